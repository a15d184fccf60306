import { closeSync, fstatSync, openSync, readSync, renameSync, statSync, writeSync, constants } from 'node:fs';
import { onlyErrno } from '../errno.js';

/**
 * The handler's log: one line per crash, `<ISO time> key=value …` (values with spaces or quotes
 * as JSON strings), appended with O_APPEND in one write so lines from handlers running at once
 * never interleave. Past MAX_LOG_BYTES the file is renamed to `<name>.1` (one old generation).
 */
export const MAX_LOG_BYTES = 1024 * 1024;

export type LogFields = Record<string, string | number | boolean | undefined>;

export function formatLogLine(when: Date, fields: LogFields): string {
  const parts = [when.toISOString()];
  for (const [k, v] of Object.entries(fields)) {
    if (v === undefined) continue;
    const s = String(v);
    parts.push(`${k}=${/^[^\s"=]+$/.test(s) ? s : JSON.stringify(s)}`);
  }
  return parts.join(' ') + '\n';
}

export function parseLogLine(line: string): { time: string; fields: Record<string, string> } | undefined {
  const m = /^(\S+) (.*)$/.exec(line);
  if (!m) return undefined;
  const fields: Record<string, string> = {};
  const re = /(\w+)=("(?:[^"\\]|\\.)*"|\S+)/g;
  for (let f; (f = re.exec(m[2]!)); ) fields[f[1]!] = f[2]!.startsWith('"') ? (JSON.parse(f[2]!) as string) : f[2]!;
  return { time: m[1]!, fields };
}

/** Appends one line; rotates first when the file is past MAX_LOG_BYTES. */
export function appendLog(path: string, when: Date, fields: LogFields): void {
  try {
    if (statSync(path).size > MAX_LOG_BYTES) renameSync(path, `${path}.1`);
  } catch (e) {
    if (onlyErrno(e).code !== 'ENOENT') throw e;
  }
  const fd = openSync(path, constants.O_WRONLY | constants.O_APPEND | constants.O_CREAT, 0o600);
  try {
    writeSync(fd, formatLogLine(when, fields));
  } finally {
    closeSync(fd);
  }
}

/** The last `count` lines of the log (read from its last 256 KiB), oldest first; [] if there is none. */
export function recentLog(path: string, count: number): { time: string; fields: Record<string, string> }[] {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    if (onlyErrno(e).code === 'ENOENT') return [];
    throw e;
  }
  try {
    const size = fstatSync(fd).size;
    const len = Math.min(size, 256 * 1024);
    const buf = Buffer.alloc(len);
    readSync(fd, buf, 0, len, size - len);
    const lines = buf.toString('utf8').split('\n').filter(Boolean);
    if (len < size) lines.shift(); // cut in the middle
    return lines
      .slice(-count)
      .map(parseLogLine)
      .filter((l): l is NonNullable<typeof l> => !!l);
  } finally {
    closeSync(fd);
  }
}
