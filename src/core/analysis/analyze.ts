/**
 * `analyzeDump`: why a dump's program or system died, in the spirit of WinDbg's `!analyze -v` —
 * the crash reason or bug check by name with what its parameters mean, the faulting address and
 * the module holding it, the crashing thread's stack, a stable signature, and what the dump's
 * limits kept from being answered. `formatAnalysis` lays the result out as `!analyze -v` does.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { detectFormat } from '../detect.js';
import { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { KernelDump } from '../kernel/kernel-dump.js';
import { MinidumpType, type CpuArch, type OsName } from '../minidump/constants.js';
import { targetAddress } from '../minidump/exception-name.js';
import { Minidump } from '../minidump/minidump.js';
import { KernelMemoryReader, readKernelInput, type KernelInput } from '../processor/kernel-input.js';
import { codeModuleOf, MAX_PREFETCHED_STACK_BYTES, minidumpMemoryReader } from '../processor/minidump-input.js';
import { SymbolChain } from '../symbols/chain.js';
import { PeImageProvider } from '../symbols/pe/pe-provider.js';
import type { CodeModule, SymbolProvider } from '../symbols/types.js';
import { ModuleIndex } from '../unwind/modules.js';
import type { CallStack, MemoryReader, StackFrame } from '../unwind/types.js';
import { walkStack } from '../unwind/walker.js';
import { explainBugCheck } from './bugcheck-params.js';
import { describeException, exceptionFacts, type ExceptionFacts } from './crash-reason.js';
import { readContextRecord, readExceptionRecord64, readTrapFrame64, type RecordRegisters } from './kernel-records.js';
import { crashSignature, isSystemModule, moduleBaseName, type CrashSignature } from './signature.js';
import type { Analysis, AnalyzedFrame, ModuleRef, RecordUse } from './types.js';

export type { Analysis, AnalyzedFrame, ModuleRef, RecordUse } from './types.js';

/** What a stack walker is given: frame 0's registers and the dump's memory and modules. */
export interface StackWalkRequest {
  memory: MemoryReader;
  modules: readonly CodeModule[];
  /** Frame 0's registers, lower-case names (`rip`, `rsp`, `eip`, `pc`, `sp`…). */
  registers: Record<string, bigint>;
  arch: CpuArch | 'unknown';
  os: OsName;
  symbols?: SymbolProvider;
  /** The thread's stack memory, when the dump holds it as one block (minidumps). */
  stack?: { base: bigint; bytes: Uint8Array };
  maxFrames: number;
  diagnostics: Diagnostics;
  label: string;
}

/** Walks the crashing thread's stack. The default is dumpkit's unwinder (src/core/unwind). */
export type StackWalker = (request: StackWalkRequest) => Promise<CallStack>;

/** dumpkit's unwinder: CFI and STACK WIN from the symbols, frame pointers, then stack scanning. */
export const unwindStack: StackWalker = (r) => {
  if (r.arch === 'unknown') return Promise.resolve({ frames: [], end: 'no-context', endReason: 'the dump does not say which CPU it is for' });
  return walkStack({
    arch: r.arch,
    registers: r.registers,
    memory: r.memory,
    modules: new ModuleIndex([...r.modules]),
    ...(r.symbols ? { symbols: r.symbols } : {}),
    ...(r.stack ? { stack: r.stack } : {}),
    limits: { maxFrames: r.maxFrames },
    diagnostics: r.diagnostics,
    os: r.os,
    label: r.label,
  });
};

export interface AnalyzeOptions {
  symbols?: SymbolProvider;
  walkStack?: StackWalker;
  /** Frames kept in the report (default 64). */
  maxFrames?: number;
  /** Frames in the signature (default 3). */
  signatureFrames?: number;
  diagnostics?: Diagnostics;
}

const MAX_FRAMES_CAP = 1024;

export function moduleRefAt(modules: readonly CodeModule[], address: bigint): ModuleRef | undefined {
  for (const m of modules) {
    if (address >= m.base && address - m.base < m.size) return { name: moduleBaseName(m.codeFile), path: m.codeFile, base: m.base, size: m.size, offset: address - m.base };
  }
  return undefined;
}

const codeModuleAt = (modules: readonly CodeModule[], address: bigint) => modules.find((m) => address >= m.base && address - m.base < m.size);

async function symbolize(frames: StackFrame[], modules: readonly CodeModule[], symbols: SymbolProvider | undefined, max: number): Promise<AnalyzedFrame[]> {
  const out: AnalyzedFrame[] = [];
  for (const [i, f] of frames.slice(0, max).entries()) {
    const module = f.module ?? codeModuleAt(modules, f.instruction);
    // Callers' return addresses point after the call: look up the call itself.
    const lookupAt = i > 0 && f.trust !== 'context' && f.instruction > 0n ? f.instruction - 1n : f.instruction;
    const sym = f.symbol ?? (module && symbols ? await symbols.lookup(module, lookupAt) : undefined);
    const ref = module ? moduleRefAt([module], f.instruction) : undefined;
    const sp = f.registers.rsp ?? f.registers.esp ?? f.registers.sp;
    out.push({
      index: i,
      instruction: f.instruction,
      trust: f.trust,
      ...(sp !== undefined ? { sp } : {}),
      ...(ref ? { module: ref } : {}),
      ...(sym ? { function: sym.function, functionOffset: f.instruction - sym.functionBase } : {}),
      ...(sym?.file ? { file: sym.file } : {}),
      ...(sym?.line !== undefined ? { line: sym.line } : {}),
    });
  }
  return out;
}

function symbolLimits(frames: AnalyzedFrame[], modules: readonly CodeModule[], symbols: SymbolProvider | undefined): string[] {
  const seen = new Set<string>();
  const out: string[] = [];
  for (const f of frames) {
    if (!f.module || f.function || seen.has(f.module.path)) continue;
    seen.add(f.module.path);
    const m = codeModuleAt(modules, f.instruction);
    const id = m?.debugFile ? ` (${m.debugFile}${m.debugId ? ' ' + m.debugId : ''})` : '';
    const status = m && symbols ? symbols.status(m) : 'not-tried';
    if (status === 'loaded') out.push(`the symbols of ${f.module.name}${id} name no function at its frames (unwind data only?): they show as module+offset`);
    else out.push(`no symbols for ${f.module.name}${id}${status === 'corrupt' ? ': its symbol file is corrupt' : ''}: its frames show as module+offset`);
  }
  if (!symbols && out.length) return ['no symbol files given (--symbols DIR): frames show as module+offset'];
  return out;
}

/** An address as a frame of its own (index -1), symbolized when a provider knows it. */
async function frameAt(address: bigint, modules: readonly CodeModule[], symbols: SymbolProvider | undefined): Promise<AnalyzedFrame> {
  const [f] = await symbolize([{ instruction: address, trust: 'none', registers: {} }], modules, symbols, 1);
  return { ...f!, index: -1 };
}

/** Walks and symbolizes the crashing stack; adds to `limits` what symbols were missing. */
async function walkCrashingStack(
  request: Omit<StackWalkRequest, 'maxFrames'>,
  options: AnalyzeOptions,
  limits: string[],
): Promise<{ stack: AnalyzedFrame[]; stackEnd: string }> {
  const maxFrames = Math.min(options.maxFrames ?? 64, MAX_FRAMES_CAP);
  const walk = options.walkStack ?? unwindStack;
  const symbols = request.symbols ?? options.symbols;
  const cs = await walk({ ...request, ...(symbols ? { symbols } : {}), maxFrames: maxFrames + 1 });
  const stack = await symbolize(cs.frames, request.modules, symbols, maxFrames);
  let stackEnd = cs.endReason ? `${cs.end}: ${cs.endReason}` : cs.end;
  if (cs.frames.length > maxFrames) stackEnd = `frame-cap: the first ${maxFrames} frames are shown`;
  limits.push(...symbolLimits(stack, request.modules, options.symbols));
  return { stack, stackEnd };
}

function bucketOf(prefix: string, frame: AnalyzedFrame | undefined, fallback: ModuleRef | undefined): string {
  const mod = frame?.module ?? fallback;
  if (frame?.function) return `${prefix}_${mod ? mod.name + '!' : ''}${frame.function.replace(/\s+/g, '_')}`;
  if (mod) return `${prefix}_${mod.name}+${hex(mod.offset)}`;
  return `${prefix}_UNKNOWN_MODULE`;
}

function finishStack(frames: AnalyzedFrame[], signatureFrames: number | undefined): { signature: CrashSignature; followupFrame?: number } {
  const signature = crashSignature(
    frames.map((f) => ({ address: f.instruction, ...(f.module ? { module: f.module.path, moduleOffset: f.module.offset } : {}), ...(f.function ? { function: f.function } : {}) })),
    { maxFrames: signatureFrames },
  );
  const idx = frames.findIndex((f) => f.module && !isSystemModule(f.module.path));
  return { signature, ...(idx >= 0 ? { followupFrame: idx } : {}) };
}

/** An optional stream: a DumpError (broken stream) reads as absent; the reader already made it a diagnostic or it is reported by `info`. */
async function optional<T>(p: Promise<T>): Promise<T | undefined> {
  try {
    return await p;
  } catch (e) {
    if (e instanceof DumpError) return undefined;
    throw e;
  }
}

/** Analyzes an opened minidump. */
export async function analyzeMinidump(md: Minidump, options: AnalyzeOptions = {}): Promise<Analysis> {
  const limits: string[] = [];
  const si = await md.systemInfo();
  const os: OsName = si?.os ?? 'unknown';
  const arch: CpuArch | 'unknown' = si?.arch ?? 'unknown';
  const addr = (a: bigint) => targetAddress(a, si?.arch);
  const rawModules = await md.modules();
  const modules = rawModules.map((m) => codeModuleOf(m, os));
  const diagnostics = options.diagnostics ?? md.diagnostics;
  const threads = await md.threads();
  const ex = await md.exception();

  let threadId: number | undefined;
  let exception: Analysis['exception'];
  if (ex) {
    threadId = ex.threadId;
    const record = exceptionFacts(ex);
    exception = { reason: describeException(record, os, si?.arch), record, use: { source: 'Exception stream' }, threadId };
  } else {
    const bp = await optional(md.breakpadInfo());
    threadId = bp?.requestingThreadId ?? threads[0]?.threadId;
    limits.push('no Exception stream: the dump was not written for a crash (or its writer kept no exception); the requesting or first thread is shown');
  }
  const crashed = exception ? exception.reason.crashed : false;
  const thread = threads.find((t) => t.threadId === threadId);
  if (threadId !== undefined && !thread) limits.push(`thread ${threadId} of the exception is not in the thread list`);

  // The registers: the exception's own context (where the fault happened), else the thread's.
  let context: Analysis['context'];
  let registers: Record<string, bigint> | undefined;
  const tryContext = async (loc: Parameters<Minidump['context']>[0], source: string) => {
    try {
      const c = await md.context(loc, source);
      if (c) {
        context = { pc: addr(c.pc), sp: addr(c.sp), use: { source } };
        registers = Object.fromEntries(Object.entries(c.registers).map(([k, v]) => [k, addr(v)]));
      }
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      limits.push(`the ${source} cannot be read: ${e.message}`);
    }
  };
  if (ex) await tryContext(ex.threadContext, 'exception context');
  if (!context && thread) await tryContext(thread.threadContext, `thread ${thread.threadId} context`);
  if (!context) limits.push('no CPU context for the crashing thread: no faulting instruction and no stack');

  // FAULTING_IP: the pc of the exception context; Windows ExceptionAddress when there is none.
  let faultingAddress = context?.pc;
  if (faultingAddress === undefined && ex && os === 'windows') faultingAddress = addr(ex.exceptionAddress);
  const faultingModule = faultingAddress !== undefined ? moduleRefAt(modules, faultingAddress) : undefined;

  let dataAddress: Analysis['dataAddress'];
  if (exception?.reason.faultAddress !== undefined) {
    const a = exception.reason.faultAddress;
    const m = moduleRefAt(modules, a);
    dataAddress = { address: a, ...(exception.reason.access ? { access: exception.reason.access } : {}), ...(m ? { module: m } : {}) };
    if ((await md.rangeAt(a)) === undefined && a >= 0x10000n) {
      const full = (md.header.flags & BigInt(MinidumpType.MiniDumpWithFullMemory | MinidumpType.MiniDumpWithPrivateReadWriteMemory)) !== 0n;
      limits.push(
        full
          ? `the memory at the fault address ${hex(a)} is not in the dump (not mapped or not readable when it was written)`
          : `the memory at the fault address ${hex(a)} is not in the dump: a ${md.header.flags === 0n ? 'MiniDumpNormal' : 'Mini'} dump holds stacks and a little memory around them, no heap`,
      );
    }
  }

  // The stack.
  let stack: AnalyzedFrame[] = [];
  let stackEnd: string | undefined;
  if (context && registers) {
    if (thread && thread.stack.memory.dataSize === 0) limits.push(`the stack memory of thread ${thread.threadId} is not in the dump: only frame 0 can be found`);
    let stackBytes: StackWalkRequest['stack'];
    const size = thread?.stack.memory.dataSize ?? 0;
    if (thread && size > 0 && size <= MAX_PREFETCHED_STACK_BYTES) {
      try {
        stackBytes = { base: thread.stack.startOfMemoryRange, bytes: await md.readLocation(thread.stack.memory, `thread ${thread.threadId} stack`, MAX_PREFETCHED_STACK_BYTES) };
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        limits.push(`the stack memory of thread ${thread.threadId} cannot be read: ${e.message}`);
      }
    }
    ({ stack, stackEnd } = await walkCrashingStack(
      {
        memory: minidumpMemoryReader(md),
        modules,
        registers,
        arch,
        os,
        ...(stackBytes ? { stack: stackBytes } : {}),
        diagnostics,
        label: `thread ${threadId}`,
      },
      options,
      limits,
    ));
  }
  const { signature, followupFrame } = finishStack(stack, options.signatureFrames);

  const names = (await optional(md.threadNames())) ?? [];
  const threadName = names.find((n) => n.threadId === threadId)?.name;
  const misc = await optional(md.miscInfo());
  const processName = rawModules[0] ? moduleBaseName(rawModules[0].name) : undefined;
  const prefix = exception ? exception.reason.name : 'NO_EXCEPTION';
  const followup = followupFrame !== undefined ? stack[followupFrame] : stack[0];
  const faultingFrame =
    faultingAddress === undefined ? undefined : (stack.find((f) => f.instruction === faultingAddress) ?? (await frameAt(faultingAddress, modules, options.symbols)));

  return {
    format: 'minidump',
    os,
    arch,
    ...(processName || misc?.processId !== undefined ? { process: { ...(processName ? { name: processName } : {}), ...(misc?.processId !== undefined ? { pid: misc.processId } : {}) } } : {}),
    crashed,
    ...(exception ? { exception } : {}),
    ...(context ? { context } : {}),
    ...(faultingAddress !== undefined ? { faultingAddress } : {}),
    ...(faultingModule ? { faultingModule } : {}),
    ...(faultingFrame ? { faultingFrame } : {}),
    ...(dataAddress ? { dataAddress } : {}),
    ...(threadId !== undefined ? { thread: { id: threadId, ...(threadName !== undefined ? { name: threadName } : {}) } } : {}),
    stack,
    ...(stackEnd ? { stackEnd } : {}),
    ...(followupFrame !== undefined ? { followupFrame } : {}),
    signature,
    failureBucketId: bucketOf(prefix, followup, faultingModule),
    limits,
    diagnostics: diagnostics.list(),
  };
}

/** Analyzes an opened kernel dump. */
export async function analyzeKernelDump(kd: KernelDump, options: AnalyzeOptions = {}): Promise<Analysis> {
  const limits: string[] = [...kd.limits()];
  const arch: CpuArch = kd.machine;
  const diagnostics = options.diagnostics ?? kd.diagnostics;
  // x64 dumps with memory: modules with ids from their headers, processes and threads, the thread
  // that was running on the bug-checking processor (src/core/processor/kernel-input.ts).
  let input: KernelInput | undefined;
  if (kd.machine === 'amd64' && kd.physical) {
    try {
      // Only the thread that bug-checked is walked here: the others stay listed, their saved
      // contexts and stacks unread (readKernelInput always reads the crashing thread's).
      input = await readKernelInput(kd, diagnostics, () => false);
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      limits.push(`processes, threads and module ids cannot be read: ${e.message}`);
    }
  }
  let modules: CodeModule[] = input?.modules ?? [];
  if (!input) {
    try {
      modules = (await kd.modules()).map((m) => ({ base: m.base, size: BigInt(m.size), codeFile: m.fullName ?? m.name, format: 'pe' as const }));
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      limits.push(`the loaded module list cannot be read: ${e.message}`);
    }
  }
  const crashThread = input?.threads.find((t) => t.source === 'crash-context' && t.thread);
  if (modules.length === 0) limits.push('no loaded module list: addresses cannot be attributed to drivers');

  const code = kd.header.bugCheckCode ?? 0;
  const bugCheck = code !== 0 ? explainBugCheck(code, kd.header.bugCheckParameters) : undefined;
  if (!bugCheck) limits.push('the header holds no bug check code');
  const crashed = bugCheck !== undefined && code !== 0x161 && !limits.some((l) => l.startsWith('live kernel dump'));

  // Records the parameters point to.
  let exception: Analysis['exception'];
  let recordContext: { regs: RecordRegisters; use: RecordUse } | undefined;
  const params = bugCheck?.parameters ?? [];
  for (const p of params) {
    if (p.role === 'exception-record') {
      const r = await readExceptionRecord64(kd, p.value);
      if (r.ok) exception = { reason: describeException(r.value, 'windows', arch), record: r.value, use: { source: p.field, address: p.value } };
      else limits.push(`${p.field}: ${r.why}`);
    } else if (p.role === 'context-record' || p.role === 'trap-frame') {
      const r = p.role === 'context-record' ? await readContextRecord(kd, p.value) : await readTrapFrame64(kd, p.value);
      if (r.ok) recordContext = { regs: r.value, use: { source: `${p.field} (${p.role === 'context-record' ? '.cxr' : '.trap'})`, address: p.value } };
      else limits.push(`${p.field}: ${r.why}`);
    }
  }
  // 0x1E and friends carry the exception in the parameters themselves.
  const excCode = params.find((p) => p.role === 'exception-code');
  const codeAddr = params.find((p) => p.role === 'code-address');
  if (!exception && excCode && bugCheck && (bugCheck.code & 0xfffffff) === 0x1e) {
    const record: ExceptionFacts = { code: Number(excCode.value & 0xffffffffn), flags: 0, address: codeAddr?.value ?? 0n, information: [params[2]!.value, params[3]!.value] };
    exception = { reason: describeException(record, 'windows', arch), record, use: { source: 'Parameters 1–4' } };
  } else if (!exception && excCode) {
    const record: ExceptionFacts = { code: Number(excCode.value & 0xffffffffn), flags: 0, address: codeAddr?.value ?? 0n, information: [] };
    exception = { reason: describeException(record, 'windows', arch), record, use: { source: `${excCode.field} (exception code only)` } };
  }

  // The registers: a context record / trap frame from the parameters, else the header's (the bug-checking processor).
  let context: Analysis['context'];
  let registers: Record<string, bigint> | undefined;
  if (recordContext) {
    context = { pc: recordContext.regs.pc, sp: recordContext.regs.sp, use: recordContext.use };
    registers = recordContext.regs.registers;
  } else {
    try {
      const c = kd.context();
      const lower: Record<string, bigint> = {};
      for (const [k, v] of Object.entries(c.registers)) lower[k.toLowerCase()] = v;
      context = { pc: c.pc, sp: c.sp, use: { source: 'dump header ContextRecord (the processor that bug-checked)' } };
      registers = lower;
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      limits.push(`the header's CONTEXT cannot be read: ${e.message}`);
    }
  }

  // FAULTING_IP: the exception's address, a code address in the parameters, the record's pc.
  const candidates: bigint[] = [];
  if (exception && exception.record.address !== 0n) candidates.push(exception.record.address);
  if (codeAddr && codeAddr.value !== 0n) candidates.push(codeAddr.value);
  if (recordContext) candidates.push(recordContext.regs.pc);
  let faultingAddress = candidates[0];
  let faultingModule = faultingAddress !== undefined ? moduleRefAt(modules, faultingAddress) : undefined;

  let dataAddress: Analysis['dataAddress'];
  const dataParam = params.find((p) => p.role === 'data-address');
  if (dataParam) {
    const m = moduleRefAt(modules, dataParam.value);
    dataAddress = { address: dataParam.value, ...(bugCheck?.access ? { access: bugCheck.access } : {}), ...(m ? { module: m } : {}) };
  } else if (exception?.reason.faultAddress !== undefined) {
    const m = moduleRefAt(modules, exception.reason.faultAddress);
    dataAddress = { address: exception.reason.faultAddress, ...(exception.reason.access ? { access: exception.reason.access } : {}), ...(m ? { module: m } : {}) };
  }
  if (dataAddress && kd.isUserAddress(dataAddress.address) && kd.kernelOnly) {
    limits.push(`the referenced address ${hex(dataAddress.address)} is a user address: only kernel address space is available in this ${kd.dumpTypeName} dump`);
  }

  const memory = new KernelMemoryReader(kd, crashThread?.processDtb);
  // Unwind data and export names from the images in memory, after any symbol files given.
  const symbols = new SymbolChain([...(options.symbols ? [options.symbols] : []), new PeImageProvider({ memory, diagnostics })]);
  let stack: AnalyzedFrame[] = [];
  let stackEnd: string | undefined;
  if (context && registers) {
    const fromHeader = !recordContext && crashThread?.stack !== undefined;
    ({ stack, stackEnd } = await walkCrashingStack(
      {
        memory,
        modules,
        registers,
        arch,
        os: 'windows',
        symbols,
        ...(fromHeader ? { stack: crashThread.stack! } : {}),
        diagnostics,
        label: recordContext ? recordContext.use.source : crashThread ? `thread ${crashThread.id}` : 'bug-checking processor',
      },
      options,
      limits,
    ));
  }
  const { signature, followupFrame } = finishStack(stack, options.signatureFrames);
  // The bucket follows the faulting address the bug check or its records give (the stack of the
  // bug-checking processor runs through KeBugCheckEx); without one, the first frame outside the kernel.
  const followup = followupFrame !== undefined ? stack[followupFrame] : undefined;
  let faultFrame: AnalyzedFrame | undefined;
  if (faultingAddress !== undefined) {
    faultFrame = stack.find((f) => f.instruction === faultingAddress) ?? (await frameAt(faultingAddress, modules, symbols));
  } else if (stack.length) {
    faultFrame = followup ?? stack[0]!;
    faultingAddress = faultFrame.instruction;
    faultingModule = faultFrame.module;
  }
  const prefix = bugCheck ? bugCheck.bugCheckString : 'NO_BUGCHECK';

  return {
    format: 'kernel',
    os: 'windows',
    arch,
    ...(crashThread?.processName ? { process: { name: crashThread.processName, pid: crashThread.pid } } : {}),
    crashed,
    ...(bugCheck ? { bugCheck } : {}),
    ...(exception ? { exception } : {}),
    ...(context ? { context } : {}),
    ...(faultingAddress !== undefined ? { faultingAddress } : {}),
    ...(faultingModule ? { faultingModule } : {}),
    ...(dataAddress ? { dataAddress } : {}),
    ...(crashThread ? { thread: { id: crashThread.id } } : {}),
    stack,
    ...(stackEnd ? { stackEnd } : {}),
    ...(followupFrame !== undefined ? { followupFrame } : {}),
    signature,
    ...(faultFrame ? { faultingFrame: faultFrame } : {}),
    failureBucketId: bucketOf(prefix, faultFrame, faultingModule),
    limits,
    diagnostics: diagnostics.list(),
  };
}

/** Opens a minidump or kernel dump and analyzes it. */
export async function analyzeDump(source: ByteSource, options: AnalyzeOptions = {}): Promise<Analysis> {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const format = await detectFormat(source);
  if (format === 'minidump') return analyzeMinidump(await Minidump.open(source, { diagnostics }), options);
  return analyzeKernelDump(await KernelDump.open(source, diagnostics), options);
}

export { formatAnalysis } from './format.js';
