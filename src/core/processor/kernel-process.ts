// processKernelDump: walks a kernel dump's threads (the crashing one first, then every thread of
// every listed process) into the same ProcessState processMinidump gives, so the JSON and text
// forms of `dumpkit stack` apply unchanged.
import { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { bugCheckName } from '../kernel/bugcheck.js';
import type { KernelDump } from '../kernel/kernel-dump.js';
import { PeImageProvider } from '../symbols/pe/pe-provider.js';
import { SymbolChain } from '../symbols/chain.js';
import type { SymbolProvider } from '../symbols/types.js';
import { ModuleIndex } from '../unwind/modules.js';
import type { CallStack } from '../unwind/types.js';
import { evaluateCfiRules } from '../unwind/postfix.js';
import { frameLookupAddress, walkStack, WALK_DEFAULTS } from '../unwind/walker.js';
import { KernelMemoryReader, readKernelInput, type KernelThreadInput } from './kernel-input.js';
import type { ProcessOptions } from './process.js';
import type { ProcessState, ProcessThread } from './process-state.js';

/** The address a bug check names: the faulting instruction for exception bug checks, the referenced address for IRQL ones. */
function crashAddress(code: number, p: readonly bigint[]): bigint {
  const c = code & ~0x10000000;
  if (c === 0x7e || c === 0x8e || c === 0x1e) return p[1]!;
  if (c === 0xd1 || c === 0xa) return p[3]!;
  return p[0]!;
}

/** FILETIME (100 ns since 1601) → seconds since 1970. */
function unixSeconds(filetime: bigint | undefined): number {
  if (!filetime) return 0;
  const s = filetime / 10_000_000n - 11_644_473_600n;
  return s > 0n ? Number(s) : 0;
}

/**
 * The text a walk ends with when it reached user mode in a dump that holds only kernel memory
 * (the phrase `dumpkit info` uses for the dump kind's limit).
 */
export function userStackLimitText(dump: KernelDump, sp: bigint): string {
  return `only kernel address space is available in this ${dump.dumpTypeName} dump: the user-mode stack at ${hex(sp)} is not in it`;
}

async function walkThread(dump: KernelDump, t: KernelThreadInput, modules: ModuleIndex, symbols: SymbolProvider, options: ProcessOptions, diagnostics: Diagnostics): Promise<CallStack> {
  if (!t.registers) return { frames: [], end: 'no-context', endReason: `no context: thread ${t.id} is running but on no processor, or its KSWITCH_FRAME is unreadable` };
  const memory = new KernelMemoryReader(dump, t.processDtb);
  let stack: CallStack;
  try {
    stack = await walkStack({
      arch: 'amd64',
      registers: t.registers,
      memory,
      modules,
      symbols,
      ...(t.stack ? { stack: t.stack } : {}),
      ...(options.maxFrames !== undefined ? { limits: { maxFrames: options.maxFrames } } : {}),
      diagnostics,
      os: 'windows',
      label: `thread ${t.id}`,
    });
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    diagnostics.add(`thread ${t.id}: ${e.message}`);
    return { frames: [], end: 'memory-missing', endReason: e.message };
  }
  if (stack.end === 'no-progress') stack = await continueInUserMode(dump, t, stack, memory, modules, symbols, options, diagnostics);
  // A walk that reached user mode in a kernel-only dump stopped at the dump's limit, not at damage.
  const last = stack.frames[stack.frames.length - 1];
  const sp = last?.registers.rsp;
  if (last && sp !== undefined && dump.kernelOnly && dump.isUserAddress(sp) && (stack.end === 'memory-missing' || stack.end === 'no-caller')) {
    stack = { ...stack, end: 'limit', endReason: userStackLimitText(dump, sp) };
  }
  return stack;
}

/**
 * The walker stops where the caller's RSP is not above the callee's, which is right within one
 * stack but not where a system call or trap entry (a machine frame) returns to user mode, whose
 * stack lies below the kernel's. There the user-mode frame comes from the last kernel frame's
 * unwind rules, and the walk goes on from it in the process's address space.
 */
async function continueInUserMode(
  dump: KernelDump,
  t: KernelThreadInput,
  stack: CallStack,
  memory: KernelMemoryReader,
  modules: ModuleIndex,
  symbols: SymbolProvider,
  options: ProcessOptions,
  diagnostics: Diagnostics,
): Promise<CallStack> {
  const last = stack.frames[stack.frames.length - 1];
  if (!last?.module || last.registers.rsp === undefined || dump.isUserAddress(last.instruction)) return stack;
  const info = await symbols.unwindInfo(last.module, frameLookupAddress(last, 'amd64'));
  if (!info || info.kind !== 'cfi') return stack;
  const read = async (a: bigint) => {
    const b = await memory.read(a, 8);
    return b ? new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true) : undefined;
  };
  const r = await evaluateCfiRules(info.rules, last.registers, read, 64);
  if (!('cfa' in r) || !dump.isUserAddress(r.ra) || !dump.isUserAddress(r.cfa) || r.ra < 4096n) return stack;
  const maxFrames = (options.maxFrames ?? WALK_DEFAULTS.maxFrames) - stack.frames.length;
  if (maxFrames <= 0) return stack;
  const user = await walkStack({
    arch: 'amd64',
    registers: { rip: r.ra, rsp: r.cfa },
    memory,
    modules,
    symbols,
    limits: { maxFrames },
    // In a kernel-only dump the missing user stack is the dump's limit, said once as the end reason.
    diagnostics: dump.kernelOnly ? new Diagnostics() : diagnostics,
    os: 'windows',
    label: `thread ${t.id} (user mode)`,
  });
  const [first, ...rest] = user.frames;
  if (!first) return stack;
  return { ...user, frames: [...stack.frames, { ...first, trust: 'cfi' }, ...rest] };
}

/**
 * Walks a kernel dump's threads. Symbols: the given provider first, then the exports and .pdata
 * of the images in the dump's memory (PeImageProvider).
 */
export async function processKernelDump(dump: KernelDump, options: ProcessOptions = {}): Promise<ProcessState> {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const sel = options.threads ?? 'all';
  const input = await readKernelInput(dump, diagnostics, (tid) => sel === 'all' || (Array.isArray(sel) && sel.includes(tid)));
  const modules = new ModuleIndex(input.modules);
  const pe = new PeImageProvider({ memory: input.memory, diagnostics });
  const symbols: SymbolProvider = options.symbols ? new SymbolChain([options.symbols, pe]) : pe;
  const crashIndex = input.threads.findIndex((t) => t.source === 'crash-context');
  const wanted = (t: KernelThreadInput): boolean => (sel === 'all' ? true : sel === 'crashing' ? t.index === Math.max(0, crashIndex) : sel.includes(t.id));
  const threads: ProcessThread[] = [];
  for (const t of input.threads) {
    const base = { index: t.index, id: t.id, name: t.processName ? `${t.processName} (pid ${t.pid})` : 'crashing processor', processId: t.pid };
    if (!wanted(t)) {
      threads.push({ ...base, stack: { frames: [], end: 'no-context', endReason: 'not selected' }, walked: false, skipped: 'not-selected' });
      continue;
    }
    threads.push({ ...base, stack: await walkThread(dump, t, modules, symbols, options, diagnostics), walked: true });
  }
  const code = dump.header.bugCheckCode ?? 0;
  const params = dump.header.bugCheckParameters;
  const state: ProcessState = {
    timestamp: unixSeconds(dump.header.systemTime),
    threads,
    modules: input.modules.map((module) => ({ module, status: symbols.status(module) })),
    diagnostics: [],
    system: {
      arch: 'amd64',
      os: 'windows',
      osName: 'Windows NT',
      osVersion: `10.0.${dump.header.minorVersion ?? 0}`,
      // Breakpad prints "major.minor.build service-pack"; a kernel dump's header has the build (MinorVersion) only.
      breakpadOsVersion: `10.0.${dump.header.minorVersion ?? 0} `,
      cpuCount: dump.header.numberProcessors ?? 0,
    },
    crash: {
      reason: bugCheckName(code) ?? `BUGCHECK_0x${code.toString(16).toUpperCase()}`,
      reasonText: `${bugCheckName(code) ?? 'bug check'} (0x${code.toString(16)})`,
      address: crashAddress(code, params),
      parameters: [...params],
      threadId: input.crashThreadId ?? 0,
      ...(crashIndex >= 0 ? { threadIndex: crashIndex } : {}),
    },
  };
  if (input.modules.length > 0) state.mainModule = 0;
  state.diagnostics = [...dump.diagnostics.list(), ...(dump.diagnostics === diagnostics ? [] : diagnostics.list())];
  return state;
}
