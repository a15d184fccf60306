import { closeSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import { _SC_CLK_TCK, _SC_PAGESIZE, sysconf } from '../capture/libc.js';
import { onlyErrno } from '../errno.js';

/** Clock ticks per second of utime/stime in /proc/PID/stat (USER_HZ, 100 on Linux). */
export const CLOCK_TICKS = sysconf(_SC_CLK_TCK) > 0 ? sysconf(_SC_CLK_TCK) : 100;
export const PAGE_SIZE = sysconf(_SC_PAGESIZE) > 0 ? sysconf(_SC_PAGESIZE) : 4096;

/** One reading of /proc/PID/stat. */
export interface ProcSample {
  /** When it was read (Date.now()). */
  at: number;
  /** One-letter state (R, S, D, Z, …). */
  state: string;
  /** utime + stime of every thread, in clock ticks. */
  cpuTicks: number;
  threads: number;
  /** Resident set size in bytes (field 24: pages × page size). */
  rssBytes: number;
  /** Start time after boot in clock ticks (with the pid, identifies the process across pid reuse). */
  startTime: number;
}

/**
 * Reads /proc/PID/stat through a descriptor kept open: one pread per sample (the kernel formats the
 * file afresh at offset 0), no path lookup. A descriptor of /proc/PID keeps naming that process:
 * once it is gone, reads fail (ESRCH) even if the pid is reused.
 */
export class StatReader {
  private fd: number | undefined;
  private readonly buf = new Uint8Array(1024);
  private readonly decoder = new TextDecoder('latin1');

  constructor(readonly pid: number) {
    try {
      this.fd = openSync(`/proc/${pid}/stat`, 'r');
    } catch (e) {
      onlyErrno(e);
      throw new DumpError('NO_SUCH_PROCESS', `no process with id ${pid}`);
    }
  }

  /** The current reading, or undefined once the process is gone. */
  read(): ProcSample | undefined {
    if (this.fd === undefined) return undefined;
    let n: number;
    try {
      n = readSync(this.fd, this.buf, 0, this.buf.length, 0);
    } catch (e) {
      onlyErrno(e); // ESRCH: gone
      this.close();
      return undefined;
    }
    if (n <= 0) {
      this.close();
      return undefined;
    }
    return parseStat(this.decoder.decode(this.buf.subarray(0, n)), Date.now());
  }

  close(): void {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
  }
}

/** Parses /proc/PID/stat (fields after the parenthesised name, which may itself hold spaces and parentheses). */
export function parseStat(text: string, at: number): ProcSample | undefined {
  const close = text.lastIndexOf(')');
  if (close < 0) return undefined;
  const f = text.slice(close + 2).split(' ');
  // f[0] is field 3 (state); field k is f[k - 3].
  const num = (field: number): number => Number(f[field - 3]);
  if (f.length < 22) return undefined;
  return { at, state: f[0]!, cpuTicks: num(14) + num(15), threads: num(20), rssBytes: num(24) * PAGE_SIZE, startTime: num(22) };
}

/**
 * Open file descriptors of `pid`, or undefined if unreadable or gone. Since Linux 6.2 the size that
 * stat() gives /proc/PID/fd is that count: one system call instead of listing the directory
 * (ten to twenty times dearer); a size of 0 (older kernels say 0 whatever is open) means: list it.
 */
export function countFds(pid: number): number | undefined {
  try {
    const size = statSync(`/proc/${pid}/fd`).size;
    return size > 0 ? size : readdirSync(`/proc/${pid}/fd`).length;
  } catch (e) {
    onlyErrno(e);
    return undefined;
  }
}
