import { closeSync, openSync, readdirSync, readFileSync, readSync } from 'node:fs';
import { onlyErrno } from '../errno.js';
import type { ProcessRow } from './wire.js';

const PF_KTHREAD = 0x00200000;

function readText(path: string): string | undefined {
  try {
    return readFileSync(path, 'latin1');
  } catch (e) {
    onlyErrno(e); // gone, or not ours to read
    return undefined;
  }
}

/** ELF class of /proc/PID/exe: 64-bit, 32-bit, or null (unreadable, no executable). */
function elfClass(pid: number): ProcessRow['arch'] {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/exe`, 'r');
    const b = Buffer.alloc(5);
    if (readSync(fd, b, 0, 5, 0) < 5 || b.readUInt32BE(0) !== 0x7f454c46) return null;
    return b[4] === 2 ? '64-bit' : b[4] === 1 ? '32-bit' : null;
  } catch (e) {
    onlyErrno(e);
    return null;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function kB(text: string, field: string): number | undefined {
  const m = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(text);
  return m ? Number(m[1]) * 1024 : undefined;
}

/** Sum of the `cpu` line of /proc/stat: all CPUs' time in clock ticks. */
function totalTicks(): number {
  const line = readText('/proc/stat')?.split('\n', 1)[0] ?? '';
  return line
    .split(/\s+/)
    .slice(1)
    .reduce((a, v) => a + (Number(v) || 0), 0);
}

/**
 * Lists the processes in /proc, with CPU % measured between calls the way Task Manager does: a
 * process's user+system ticks since the previous sample over all CPUs' ticks in that time.
 */
export class ProcessSampler {
  private previous = new Map<number, { start: string; ticks: number }>();
  private previousTotal = 0;
  private users = new Map<number, string>();

  constructor() {
    this.sample();
  }

  private userName(uid: number): string {
    if (!this.users.has(uid)) {
      for (const line of (readText('/etc/passwd') ?? '').split('\n')) {
        const f = line.split(':');
        if (f.length > 2 && /^\d+$/.test(f[2]!)) this.users.set(Number(f[2]), f[0]!);
      }
      if (!this.users.has(uid)) this.users.set(uid, String(uid));
    }
    return this.users.get(uid)!;
  }

  sample(): ProcessRow[] {
    const total = totalTicks();
    const elapsed = total - this.previousTotal;
    const next = new Map<number, { start: string; ticks: number }>();
    const rows: ProcessRow[] = [];
    for (const d of readdirSync('/proc')) {
      if (!/^\d+$/.test(d)) continue;
      const pid = Number(d);
      const stat = readText(`/proc/${pid}/stat`);
      const status = readText(`/proc/${pid}/status`);
      if (!stat || !status) continue; // exited meanwhile
      const name = stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'));
      const f = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // fields after the name, from 0: state ppid pgrp session tty tpgid flags minflt cminflt majflt cmajflt utime stime … starttime(19)
      const flags = Number(f[6]);
      const ticks = Number(f[11]) + Number(f[12]);
      const start = f[19] ?? '';
      next.set(pid, { start, ticks });
      const prev = this.previous.get(pid);
      const cpu = prev && prev.start === start && elapsed > 0 ? Math.max(0, Math.min(100, ((ticks - prev.ticks) / elapsed) * 100)) : null;
      const kernelThread = (flags & PF_KTHREAD) !== 0;
      const uid = Number(/^Uid:\s+(\d+)/m.exec(status)?.[1] ?? -1);
      const rollup = kernelThread ? undefined : readText(`/proc/${pid}/smaps_rollup`);
      const privateBytes = rollup !== undefined && kB(rollup, 'Private_Clean') !== undefined ? kB(rollup, 'Private_Clean')! + (kB(rollup, 'Private_Dirty') ?? 0) : (kB(status, 'RssAnon') ?? (kernelThread ? 0 : null));
      rows.push({
        pid,
        name,
        user: this.userName(uid),
        cpu,
        privateBytes,
        threads: Number(/^Threads:\s+(\d+)/m.exec(status)?.[1] ?? 0),
        arch: kernelThread ? null : elfClass(pid),
        kernelThread,
        commandLine: (readText(`/proc/${pid}/cmdline`) ?? '').replace(/\0+$/, '').replace(/\0/g, ' ').slice(0, 500),
      });
    }
    this.previous = next;
    this.previousTotal = total;
    return rows.sort((a, b) => a.pid - b.pid);
  }
}
