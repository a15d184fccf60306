import type { CpuArch, OsName } from '../minidump/constants.js';
import type { CodeModule, SymbolStatus } from '../symbols/types.js';
import type { CallStack } from '../unwind/types.js';

/** What the processor found in a dump: system, crash, walked threads, modules with symbol status. */
export interface ProcessState {
  system?: {
    arch: CpuArch;
    os: OsName;
    /** The OS as Breakpad/rust-minidump name it ("Windows NT", "Linux", "Mac OS X"…). */
    osName: string;
    /** "5.1.2600 Service Pack 2", "4.9.60-linuxkit-aufs #1 SMP …" as both tools print it. */
    osVersion: string;
    /** Breakpad's form: "major.minor.build CSD" always (Linux: "0.0.0 Linux 3.3.8 … x86_64"). */
    breakpadOsVersion: string;
    cpuInfo?: string;
    cpuCount: number;
  };
  crash?: {
    /** Exception name per OS (EXCEPTION_ACCESS_VIOLATION_WRITE, SIGSEGV, EXC_BAD_ACCESS…). */
    reason: string;
    /** Breakpad-style reason text ("SIGSEGV /0x00000000"). */
    reasonText: string;
    address: bigint;
    /** ExceptionInformation values (Breakpad prints them as "Crash parameters"). */
    parameters: bigint[];
    threadId: number;
    /** Index in `threads` of the crashing thread, when it is there. */
    threadIndex?: number;
  };
  /** Thread that asked for the dump (Breakpad info), when it is not the crashing one. */
  requestingThreadId?: number;
  pid?: number;
  /** Seconds between process creation and the dump (MiscInfo), when known. */
  processUptime?: number;
  /** Wall time the dump was written (header TimeDateStamp, seconds since 1970). */
  timestamp: number;
  threads: ProcessThread[];
  modules: ProcessModule[];
  /** Index in `modules` of the main executable (the first module, as both tools decide). */
  mainModule?: number;
  linux?: { mapCount?: number; lsbRelease?: Record<string, string> };
  diagnostics: string[];
}

export interface ProcessThread {
  /** Position in the dump's thread list. */
  index: number;
  id: number;
  name?: string;
  stack: CallStack;
  /** Whether the stack was walked (false: not asked for, or the thread that wrote the dump). */
  walked: boolean;
  /** Why it was not walked. */
  skipped?: 'not-selected' | 'dump-thread';
}

export interface ProcessModule {
  module: CodeModule;
  status: SymbolStatus;
}
