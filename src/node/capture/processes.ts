import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';

const commBuf = new Uint8Array(64);

/** Whether the first `n` bytes of commBuf are one of `wants` (each a name + '\n'). */
function commIsOneOf(n: number, wants: readonly Uint8Array[]): boolean {
  return wants.some((want) => n === want.length && want.every((b, i) => commBuf[i] === b));
}

function isPidName(d: string): boolean {
  const c = d.charCodeAt(0);
  return c >= 48 && c <= 57;
}

/**
 * Pids of the processes whose name (/proc/PID/comm) is `name`, dumpkit itself left out. Reads each
 * comm with open, one read and close (readFileSync adds an fstat and a second read).
 */
export function findProcesses(name: string): number[] {
  return new ProcessNameScanner(0).find([name]);
}

/**
 * Finds processes by name again and again (monitor --wait, every interval): keeps each process's
 * /proc/PID/comm open between scans, so a scan is one listing of /proc and one pread per process
 * (a comm read again gives the name after an exec). A descriptor whose process has gone reads
 * ESRCH and is closed; if its pid was reused meanwhile, the new process's comm is opened then.
 * At most `maxOpen` descriptors are kept; processes past that are read with open, read, close.
 */
export class ProcessNameScanner {
  private readonly open = new Map<number, number>();

  constructor(private readonly maxOpen = 512) {}

  /** Pids (dumpkit's own left out) whose name is one of `names`. */
  find(names: readonly string[]): number[] {
    const wants = names.map((n) => new TextEncoder().encode(n + '\n'));
    const found: number[] = [];
    const present = new Set<number>();
    for (const d of readdirSync('/proc')) {
      if (!isPidName(d)) continue;
      const pid = Number(d);
      if (pid === process.pid) continue;
      present.add(pid);
      const n = this.readComm(pid);
      if (n !== undefined && commIsOneOf(n, wants)) found.push(pid);
    }
    for (const [pid, fd] of this.open) {
      if (present.has(pid)) continue;
      closeSync(fd);
      this.open.delete(pid);
    }
    return found;
  }

  /** Bytes of PID's comm read into commBuf, or undefined when the process is gone. */
  private readComm(pid: number): number | undefined {
    const kept = this.open.get(pid);
    if (kept !== undefined) {
      try {
        return readSync(kept, commBuf, 0, commBuf.length, 0);
      } catch (e) {
        onlyErrno(e); // that process is gone (ESRCH); its pid may be another's now
        closeSync(kept);
        this.open.delete(pid);
      }
    }
    let fd: number;
    try {
      fd = openSync(`/proc/${pid}/comm`, 'r');
    } catch (e) {
      onlyErrno(e);
      return undefined;
    }
    let keep = false;
    try {
      const n = readSync(fd, commBuf, 0, commBuf.length, 0);
      keep = this.open.size < this.maxOpen;
      if (keep) this.open.set(pid, fd);
      return n;
    } catch (e) {
      onlyErrno(e);
      return undefined;
    } finally {
      if (!keep) closeSync(fd);
    }
  }

  /** Closes every descriptor kept. */
  close(): void {
    for (const fd of this.open.values()) closeSync(fd);
    this.open.clear();
  }
}

/** A process id, or the one process named `proc`. */
export function resolvePid(proc: string): number {
  if (/^\d+$/.test(proc)) {
    const pid = Number(proc);
    try {
      statSync(`/proc/${pid}`);
    } catch (e) {
      onlyErrno(e);
      throw new DumpError('NO_SUCH_PROCESS', `no process with id ${pid}`);
    }
    return pid;
  }
  const found = findProcesses(proc);
  if (found.length === 0) throw new DumpError('NO_SUCH_PROCESS', `no process named ${JSON.stringify(proc)}`);
  if (found.length > 1) throw new DumpError('INVALID_ARGUMENT', `${found.length} processes are named ${JSON.stringify(proc)} (pids ${found.slice(0, 10).join(', ')}); give a pid`);
  return found[0]!;
}

/** The process's name made safe for a file name (letters, digits, `.+-_`). */
export function processName(pid: number): string {
  try {
    return readFileSync(`/proc/${pid}/comm`, 'utf8').trim().replace(/[^\w.+-]/g, '_') || 'process';
  } catch (e) {
    onlyErrno(e);
    throw new DumpError('NO_SUCH_PROCESS', `no process with id ${pid}`);
  }
}

/**
 * ProcDump's file name: `<name>_<YYMMDD>_<HHMMSS>.<pid>.dmp`, or with the trigger that caused the
 * dump `<name>_<trigger>_<YYMMDD>_<HHMMSS>.<pid>.dmp` (local time, as ProcDump).
 */
export function defaultDumpName(name: string, pid: number, when: Date, trigger?: string): string {
  const p = (n: number): string => String(n).padStart(2, '0');
  const date = `${p(when.getFullYear() % 100)}${p(when.getMonth() + 1)}${p(when.getDate())}`;
  const time = `${p(when.getHours())}${p(when.getMinutes())}${p(when.getSeconds())}`;
  return `${name}_${trigger ? `${trigger}_` : ''}${date}_${time}.${pid}.dmp`;
}
