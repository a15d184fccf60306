/**
 * What the minidump writer is given: a description of one process, independent of how it was
 * obtained (live capture, a scripted fake, another dump). Memory is supplied as ranges whose
 * bytes are produced on demand, so a multi-GB dump streams through the sink.
 */

import type { DsoDebug } from '../../linux/dso-debug.js';

export type WriterArch = 'amd64' | 'x86' | 'arm64' | 'arm';

/** Pointer size of an architecture, in bytes. */
export function wordSizeOf(arch: WriterArch): 4 | 8 {
  return arch === 'amd64' || arch === 'arm64' ? 8 : 4;
}

/** Register state, named after the Linux user_regs_struct (values are bigint, 32-bit ones fit). */
export interface CpuRegisters {
  /** General registers by Linux name: rax…r15, rip, rsp, rbp, eflags, cs, ss, ds, es, fs, gs, fs_base, gs_base (x86: eax…; ARM64: x0…x28, fp, lr, sp, pc, cpsr, fpcr, fpsr; ARM: r0…r15, cpsr, fpscr). */
  gpr: Record<string, bigint>;
  /** 512-byte FXSAVE image (NT_FPREGSET on x86_64, NT_PRXFPREG on i386), if read. */
  fxsave?: Uint8Array;
  /** 108-byte i387 FSAVE image (NT_PRFPREG on i386), if read. */
  fsave?: Uint8Array;
  /** ARM64: the 512-byte V0..V31 image; ARM: the 256-byte d0..d31 image, if known. */
  vregs?: Uint8Array;
}

export interface ThreadRecord {
  id: number;
  name?: string;
  suspendCount?: number;
  priority?: number;
  /** Thread pointer (fs_base on x86_64, gs base on i386), stored as MINIDUMP_THREAD.Teb like Breakpad does. */
  teb: bigint;
  registers: CpuRegisters;
  /** A CONTEXT record to write verbatim instead of encoding `registers` (conversion of an existing dump). */
  rawContext?: Uint8Array;
  /** The stack range captured for this thread; must be one of the memory ranges (kind 'stack'). */
  stack?: { address: bigint; size: number };
}

export interface ModuleRecord {
  base: bigint;
  size: number;
  path: string;
  /** ELF build id (NT_GNU_BUILD_ID) bytes, written as a BpEL CodeView record. */
  buildId?: Uint8Array;
  /** A CodeView record to write verbatim (conversion of an existing dump); wins over `buildId`. */
  cvRecord?: Uint8Array;
}

export interface SnapshotMemory {
  address: bigint;
  size: number;
  /** 'stack' and 'small' ranges go to MemoryList; 'bulk' ones to Memory64List. */
  kind: 'stack' | 'small' | 'bulk';
  /** Produces exactly `size` bytes, in order, in as many chunks as it likes. */
  chunks(): Iterable<Uint8Array> | AsyncIterable<Uint8Array>;
  /**
   * Optional, used instead of `chunks()` when the sink can `reserve`: writes the range's `size`
   * bytes itself at sink offset `at` (e.g. a process snapshot writing its own memory into the
   * file), calling `progress` with each count of bytes done.
   */
  fill?(at: number, progress: (bytes: number) => void): Promise<void>;
}

export interface MemoryInfoRecord {
  base: bigint;
  size: bigint;
  protect: number;
  state: number;
  type: number;
}

export interface SystemRecord {
  arch: WriterArch;
  processorLevel: number;
  processorRevision: number;
  processorCount: number;
  /** `uname` "sysname release version machine", Breakpad's CSD convention for Linux. */
  csdVersion: string;
  /** CPUID vendor string, e.g. "GenuineIntel" (12 characters). */
  vendorId: string;
  cpuidVersion: number;
  cpuidFeatures: number;
}

export interface MiscRecord {
  processId: number;
  /** Seconds since 1970 (0 if unknown). */
  processCreateTime: number;
  processUserTime: number;
  processKernelTime: number;
}

export interface ExceptionRecord {
  threadId: number;
  /** Linux signal number (Breakpad convention) or 0xFFFFFFFF for "dump requested". */
  code: number;
  /** si_code. */
  flags: number;
  address: bigint;
  registers: CpuRegisters;
  /** A CONTEXT record to write verbatim instead of encoding `registers`. */
  rawContext?: Uint8Array;
  /** ExceptionInformation (at most 15). */
  information?: bigint[];
}

export interface ProcessSnapshot {
  /** Seconds since 1970, written to the header. */
  timestamp: number;
  /** MINIDUMP_TYPE mask for the header. */
  flags: bigint;
  system: SystemRecord;
  misc?: MiscRecord;
  threads: ThreadRecord[];
  modules: ModuleRecord[];
  /** Sorted by address, not overlapping. */
  memory: SnapshotMemory[];
  memoryInfo: MemoryInfoRecord[];
  exception?: ExceptionRecord;
  /** Raw Linux streams (LinuxMaps, LinuxProcStatus, …) by stream type. */
  linuxStreams: { type: number; data: Uint8Array }[];
  /**
   * The dynamic linker's r_debug and link_map list, written as LinuxDsoDebug (it holds RVAs, so it
   * is placed by the writer rather than given as bytes); word size from `system.arch`.
   */
  linuxDsoDebug?: DsoDebug;
  /** Free text written as CommentStreamA and CommentStreamW (e.g. why the dump was taken). */
  comment?: string;
}
