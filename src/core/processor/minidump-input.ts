// A minidump turned into the walker's inputs: CodeModules with Breakpad ids (the same values
// `dumpkit info` shows), a MemoryReader over MemoryList/Memory64List, and per-thread registers
// and stack bytes (the exception's context for the crashing thread, as Breakpad and rust-minidump use).
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import type { CpuArch, OsName } from '../minidump/constants.js';
import { targetAddress } from '../minidump/exception-name.js';
import type { Minidump } from '../minidump/minidump.js';
import { moduleCodeId, moduleDebugFile, moduleDebugId, moduleVersion, type MinidumpModule } from '../minidump/reader/module-list.js';
import type { CodeModule } from '../symbols/types.js';
import type { MemoryReader, RegisterSet } from '../unwind/types.js';

/** Stacks above this size are not prefetched (read through the MemoryReader instead). */
export const MAX_PREFETCHED_STACK_BYTES = 64 * 1024 * 1024;

export interface ThreadInput {
  index: number;
  id: number;
  /** Frame 0 registers; undefined when the thread has no usable context. */
  registers?: RegisterSet;
  stack?: { base: bigint; bytes: Uint8Array };
}

/** Runs `f`; a DumpError becomes a diagnostic and undefined (damage to optional data must not sink the walk). */
export async function soft<T>(diagnostics: Diagnostics, what: string, f: () => Promise<T>): Promise<T | undefined> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    diagnostics.add(`${what}: ${e.message}`);
    return undefined;
  }
}

function imageFormat(os: OsName): CodeModule['format'] | undefined {
  if (os === 'windows') return 'pe';
  if (os === 'linux' || os === 'android' || os === 'fuchsia' || os === 'solaris') return 'elf';
  if (os === 'macos' || os === 'ios') return 'macho';
  return undefined;
}

/** One MINIDUMP_MODULE as a CodeModule (ids exactly as `dumpkit info` computes them). */
export function codeModuleOf(m: MinidumpModule, os: OsName): CodeModule {
  const out: CodeModule = { base: m.baseOfImage, size: BigInt(m.sizeOfImage), codeFile: m.name };
  const codeId = moduleCodeId(m, os);
  const debugId = moduleDebugId(m);
  const debugFile = moduleDebugFile(m);
  const version = moduleVersion(m);
  if (codeId !== undefined) out.codeId = codeId;
  if (debugFile !== undefined) out.debugFile = debugFile;
  if (debugId !== undefined) out.debugId = debugId;
  if (version !== undefined) out.version = version;
  const cv = m.cvRecord;
  if (cv && cv.kind === 'elf' && cv.buildId.length > 0) out.buildId = cv.buildId;
  const format = imageFormat(os);
  if (format) out.format = format;
  return out;
}

/** The dump's memory as the walker reads it: undefined for bytes the dump does not hold. */
export function minidumpMemoryReader(md: Minidump): MemoryReader {
  return {
    async read(address, length) {
      if (address < 0n || length < 0) return undefined;
      try {
        return await md.readMemory(address, length);
      } catch (e) {
        if (e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP') return undefined;
        throw e;
      }
    },
  };
}

/** Registers from a decoded context, 32-bit values truncated (sign-extension garbage dropped). */
function registersOf(regs: Record<string, bigint>, arch: CpuArch): RegisterSet {
  const out: RegisterSet = {};
  for (const [k, v] of Object.entries(regs)) out[k] = targetAddress(v, arch);
  return out;
}

export interface MinidumpInput {
  arch?: CpuArch;
  os: OsName;
  modules: CodeModule[];
  memory: MemoryReader;
  threads: ThreadInput[];
}

/**
 * Reads everything the walker needs from a minidump. A thread whose context or stack cannot be read
 * gets a diagnostic and is walked with what there is.
 */
export async function readMinidumpInput(md: Minidump, only?: (index: number, id: number) => boolean): Promise<MinidumpInput> {
  const si = await md.systemInfo();
  const os = si?.os ?? 'unknown';
  const arch = si?.arch;
  const modules = (await md.modules()).map((m) => codeModuleOf(m, os));
  const ex = await md.exception();
  const threads: ThreadInput[] = [];
  const list = await md.threads();
  for (let index = 0; index < list.length; index++) {
    const t = list[index]!;
    const input: ThreadInput = { index, id: t.threadId };
    threads.push(input);
    if (only && !only(index, t.threadId)) continue;
    // The crashing thread's own context was captured inside the exception handler: the exception's
    // context is where the fault happened.
    const loc = ex && ex.threadId === t.threadId && ex.threadContext.dataSize > 0 ? ex.threadContext : t.threadContext;
    const ctx = await soft(md.diagnostics, `thread ${t.threadId} context`, () => md.context(loc, `thread ${t.threadId} context`));
    if (ctx) input.registers = registersOf(ctx.registers, arch ?? ctx.arch);
    const size = t.stack.memory.dataSize;
    if (size > 0 && size <= MAX_PREFETCHED_STACK_BYTES) {
      const bytes = await soft(md.diagnostics, `thread ${t.threadId} stack`, () => md.readLocation(t.stack.memory, `thread ${t.threadId} stack`, MAX_PREFETCHED_STACK_BYTES));
      if (bytes) input.stack = { base: t.stack.startOfMemoryRange, bytes };
    }
  }
  return { ...(arch ? { arch } : {}), os, modules, memory: minidumpMemoryReader(md), threads };
}
