// A kernel dump turned into the walker's inputs: CodeModules from the loaded-module list (Breakpad
// ids read from each image's headers in memory), a MemoryReader over kernel virtual memory, and
// per-thread registers: the crashing processor's context for the crashing thread, each running
// thread's KPRCB context, and the KSWITCH_FRAME of every switched-out thread of every listed process.
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import type { KernelDump } from '../kernel/kernel-dump.js';
import { KPRCB } from '../kernel/offsets.js';
import { kernelLayoutNote, listProcesses, type KernelProcessInfo } from '../kernel/processes.js';
import { listThreads, switchFrameRegisters, THREAD_STATE_RUNNING, type KernelThreadInfo } from '../kernel/threads.js';
import { parseContext } from '../kernel/context.js';
import { peCodeId, readCodeView } from '../pe/debug-directory.js';
import { PeImage } from '../pe/image.js';
import type { CodeModule } from '../symbols/types.js';
import type { MemoryReader, RegisterSet } from '../unwind/types.js';

/** Kernel stacks above this size are not prefetched. */
const MAX_KERNEL_STACK_BYTES = 1024 * 1024;

/**
 * Reads a kernel dump's virtual memory for the walker: kernel addresses through the system table
 * base, user addresses through the thread's process (when the dump has user memory). A missing
 * page is `undefined`; the last LIMIT error (user memory in a kernel-only dump) is kept.
 */
export class KernelMemoryReader implements MemoryReader {
  lastLimit: string | undefined;
  constructor(
    private readonly dump: KernelDump,
    private readonly processDtb?: bigint,
  ) {}

  async read(address: bigint, length: number): Promise<Uint8Array | undefined> {
    if (length < 0 || length > 64 * 1024 * 1024 || address < 0n || address > 0xffffffffffffffffn) return undefined;
    const user = this.dump.isUserAddress(address);
    try {
      const dtb = user && this.processDtb !== undefined && !this.dump.kernelOnly ? this.processDtb : undefined;
      return await this.dump.readVirtual(address, length, dtb !== undefined ? { dtb } : {});
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      if (e.code === 'LIMIT') this.lastLimit = e.message;
      if (e.code === 'ADDRESS_NOT_IN_DUMP' || e.code === 'ADDRESS_NOT_MAPPED' || e.code === 'LIMIT' || e.code === 'INVALID_ARGUMENT') return undefined;
      throw e;
    }
  }
}

export interface KernelThreadInput {
  index: number;
  id: number;
  pid: number;
  processName: string;
  /** Table base of the thread's process (user-mode memory). */
  processDtb: bigint;
  registers?: RegisterSet;
  /** Where frame 0 came from. */
  source: 'crash-context' | 'prcb-context' | 'switch-frame' | 'none';
  stack?: { base: bigint; bytes: Uint8Array };
  thread?: KernelThreadInfo;
}

export interface KernelInput {
  modules: CodeModule[];
  memory: KernelMemoryReader;
  processes: KernelProcessInfo[];
  threads: KernelThreadInput[];
  /** Id of the thread that was running on the crashing processor, when found. */
  crashThreadId?: number;
}

const lower = (r: Record<string, bigint>): RegisterSet => Object.fromEntries(Object.entries(r).map(([k, v]) => [k.toLowerCase(), v]));

/** The kernel's loaded modules as CodeModules, with code/debug ids from the images' headers when readable. */
export async function kernelCodeModules(dump: KernelDump, memory: MemoryReader, diag: Diagnostics): Promise<CodeModule[]> {
  const out: CodeModule[] = [];
  for (const km of await dump.modules()) {
    const m: CodeModule = { base: km.base, size: BigInt(km.size), codeFile: km.fullName || km.name, format: 'pe' };
    try {
      const image = await PeImage.open(memory, km.base, km.name);
      if (image) {
        m.codeId = peCodeId(image);
        const cv = await readCodeView(image, diag);
        if (cv?.debugId) m.debugId = cv.debugId;
        if (cv?.pdbFileName) m.debugFile = cv.pdbFileName;
      }
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      diag.add(`${km.name} at ${hex(km.base)}: ${e.message}`);
    }
    out.push(m);
  }
  return out;
}

/** Each processor's current thread and saved context (KiProcessorBlock → KPRCB). */
async function processorContexts(dump: KernelDump, diag: Diagnostics): Promise<{ thread: bigint; registers: RegisterSet }[]> {
  const kd = await dump.debuggerData().catch((e: unknown) => {
    if (e instanceof DumpError) return undefined;
    throw e;
  });
  const n = dump.header.numberProcessors ?? 0;
  if (!kd?.kiProcessorBlock || dump.machine !== 'amd64') return [];
  const ctxOff = kd.offsetPrcbContext ?? KPRCB.Context;
  const out: { thread: bigint; registers: RegisterSet }[] = [];
  const vm = dump.virtual();
  for (let i = 0; i < Math.min(n, 4096); i++) {
    try {
      const prcb = await vm.readU64(kd.kiProcessorBlock + BigInt(i * 8));
      const thread = await vm.readU64(prcb + BigInt(KPRCB.CurrentThread));
      const ctx = parseContext('amd64', await vm.read(prcb + BigInt(ctxOff), 0x4d0), 0);
      out.push({ thread, registers: lower(ctx.registers) });
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      diag.add(`processor ${i}: KPRCB not readable: ${e.message}`);
    }
  }
  return out;
}

async function prefetchStack(memory: MemoryReader, sp: bigint | undefined, t: KernelThreadInfo | undefined): Promise<{ base: bigint; bytes: Uint8Array } | undefined> {
  if (sp === undefined || !t || sp < t.stackLimit || sp >= t.stackBase || t.stackBase - sp > BigInt(MAX_KERNEL_STACK_BYTES)) return undefined;
  const bytes = await memory.read(sp, Number(t.stackBase - sp));
  return bytes ? { base: sp, bytes } : undefined;
}

/**
 * Builds the walker's inputs for a kernel dump (x64 with physical memory). `wanted` limits which
 * threads get registers and stack bytes (all are listed); the crashing thread always does.
 */
export async function readKernelInput(dump: KernelDump, diag: Diagnostics, wanted: (tid: number) => boolean = () => true): Promise<KernelInput> {
  if (dump.machine !== 'amd64') throw new DumpError('UNSUPPORTED', `kernel stacks are walked for x64 dumps only (this one is ${dump.machine})`);
  const memory = new KernelMemoryReader(dump);
  const modules = await kernelCodeModules(dump, memory, diag);
  const note = kernelLayoutNote(dump.header.minorVersion);
  if (note) diag.add(note);
  const head = dump.header.psActiveProcessHead;
  const processes = head !== undefined && dump.physical ? await listProcesses(dump.virtual(), head, diag) : [];
  const cpus = dump.physical ? await processorContexts(dump, diag) : [];
  const header = lower(dump.context().registers);
  const crashCpu = cpus.find((c) => c.registers.rip === header.rip && c.registers.rsp === header.rsp);
  const threads: KernelThreadInput[] = [];
  let crashThreadId: number | undefined;
  const vm = dump.physical ? dump.virtual() : undefined;
  const all: { t: KernelThreadInfo; p: KernelProcessInfo }[] = [];
  if (vm) for (const p of processes) for (const t of await listThreads(vm, p.eprocess, diag)) all.push({ t, p });
  const crash = crashCpu ? all.find((x) => x.t.ethread === crashCpu.thread) : undefined;
  const ordered = crash ? [crash, ...all.filter((x) => x !== crash)] : all;
  if (!crash) {
    // No thread list (or no match): the header's context alone, as thread 0.
    threads.push({ index: 0, id: 0, pid: 0, processName: '', processDtb: dump.directoryTableBase, registers: header, source: 'crash-context' });
  }
  for (const item of ordered) {
    const { t, p } = item;
    let registers: RegisterSet | undefined;
    let source: KernelThreadInput['source'] = 'none';
    const cpu = cpus.find((c) => c.thread === t.ethread);
    if (item === crash) {
      registers = header;
      source = 'crash-context';
      crashThreadId = t.tid;
    } else if (!wanted(t.tid)) {
      // listed, not walked
    } else if (cpu) {
      registers = cpu.registers;
      source = 'prcb-context';
    } else if (t.state !== THREAD_STATE_RUNNING && vm) {
      registers = await switchFrameRegisters(vm, t, diag);
      if (registers) source = 'switch-frame';
    }
    const stack = await prefetchStack(memory, registers?.rsp, t);
    threads.push({
      index: threads.length,
      id: t.tid,
      pid: p.pid,
      processName: p.name,
      processDtb: p.directoryTableBase,
      ...(registers ? { registers } : {}),
      source,
      ...(stack ? { stack } : {}),
      thread: t,
    });
  }
  return { modules, memory, processes, threads, ...(crashThreadId !== undefined ? { crashThreadId } : {}) };
}
