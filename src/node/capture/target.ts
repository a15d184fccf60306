import { DumpError } from '../../core/errors.js';
import type { CpuRegisters } from '../../core/minidump/writer/model.js';

/** A thread as found when the process was stopped. */
export interface StoppedThread {
  id: number;
  registers: CpuRegisters;
  /** Set when the thread was stopped delivering a signal (it is re-delivered on resume). */
  signal?: { signo: number; code: number; address: bigint };
}

/** Something process memory can be read from (the process, or its snapshot). */
export interface MemoryReader {
  /** Reads target memory into `buf`; returns the bytes read (fewer at an unreadable page), or -1. */
  readMemory(address: bigint, buf: Uint8Array): number;
}

/** A copy-on-write snapshot of the stopped process, readable after the process runs again. */
export interface Snapshot extends MemoryReader {
  /** Reads like readMemory, off the main thread (so reading the next piece overlaps writing this one). */
  readMemoryAsync?(address: bigint, buf: Uint8Array): Promise<number>;
  /**
   * Makes the snapshot write its own memory into `fd`, an open file of dumpkit's (one copy of
   * each byte instead of a pass through dumpkit), or says why it cannot.
   */
  fileWriter?(fd: number): SnapshotFileWriter | { reason: string };
  /** Discards the snapshot. Safe to call more than once. */
  end(): void;
}

/** Writes snapshot memory into a file: see snapshot-writer.ts. */
export interface SnapshotFileWriter {
  /**
   * Writes up to `length` bytes at `address` to file offset `offset`; returns the bytes written
   * (fewer when an unreadable page stops it) or the errno that stopped it at its first byte.
   */
  writePiece(address: bigint, length: number, offset: number): Promise<{ written: number } | { errno: number }>;
  /** False when each write costs a round trip to dumpkit (no write loop in the snapshot). */
  readonly hasLoop: boolean;
  close(): void;
}

/**
 * What capture needs from a process. The live implementation uses ptrace and /proc
 * (ptrace-target.ts); tests can script a fake.
 */
export interface TargetProcess extends MemoryReader {
  readonly pid: number;
  /** 64-bit process (x86_64) or 32-bit (i386). */
  readonly is64: boolean;
  /** Raw bytes of /proc/PID/<name> (maps, smaps, status, cmdline, environ, auxv, stat), or undefined. */
  procFile(name: string): Uint8Array | undefined;
  /** Thread name from /proc/PID/task/TID/comm. */
  threadName(tid: number): string | undefined;
  /** Stops every thread; returns them with their registers. */
  stop(): StoppedThread[];
  /**
   * While stopped: makes a copy-on-write snapshot of the memory, or says why it cannot.
   * Optional: targets without it are copied while stopped.
   */
  snapshot?(threads: StoppedThread[]): Snapshot | { reason: string };
  /** Bytes of an ELF file the process maps (through /proc/PID/root), or undefined. */
  readMappedFile(path: string, offset: number, length: number): Uint8Array | undefined;
  /** Lets every thread run again. Safe to call more than once. */
  resume(): void;
  /** The process has exited (or is a zombie). */
  gone(): boolean;
}

/** Signals whose default action ends the process with a core dump: a crash (SIGILL, SIGTRAP, SIGABRT, SIGBUS, SIGFPE, SIGSEGV, SIGSYS). */
export const FATAL_SIGNALS: ReadonlySet<number> = new Set([4, 5, 6, 7, 8, 11, 31]);

export interface CrashEvent {
  threadId: number;
  signo: number;
  /** Signals passed on to the process while waiting. */
  passedOn: number;
}

/** Which signal-delivery stops of a followed process to hold (see follow.ts). */
export interface FollowWatch {
  /** A fatal signal (FATAL_SIGNALS) the process has no handler for. */
  crash: boolean;
  /** These signals, whether handled or not (monitor --signal). */
  signals?: ReadonlySet<number>;
}

/** What a followed process did: a thread held at a watched signal, or the process ended. */
export type FollowOutcome = ({ kind: 'crash' | 'signal' } & CrashEvent) | { kind: 'ended'; how: string };

export function exitedError(pid: number): DumpError {
  return new DumpError('PROCESS_EXITED', `process ${pid} exited during the capture`);
}
