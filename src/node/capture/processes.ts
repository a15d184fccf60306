import { closeSync, openSync, readdirSync, readFileSync, readSync, statSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';

const commBuf = new Uint8Array(64);

/**
 * Pids of the processes whose name (/proc/PID/comm) is `name`, dumpkit itself left out. Reads each
 * comm with open, one read and close (readFileSync adds an fstat and a second read): monitor --wait
 * runs this every interval over every process of the machine.
 */
export function findProcesses(name: string): number[] {
  const found: number[] = [];
  const want = new TextEncoder().encode(name + '\n');
  for (const d of readdirSync('/proc')) {
    const c = d.charCodeAt(0);
    if (c < 48 || c > 57 || Number(d) === process.pid) continue;
    let fd: number | undefined;
    try {
      fd = openSync(`/proc/${d}/comm`, 'r');
      const n = readSync(fd, commBuf, 0, commBuf.length, 0);
      if (n === want.length && want.every((b, i) => commBuf[i] === b)) found.push(Number(d));
    } catch (e) {
      onlyErrno(e); // gone
    } finally {
      if (fd !== undefined) closeSync(fd);
    }
  }
  return found;
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
