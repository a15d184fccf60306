import { closeSync, openSync, readlinkSync, readSync } from 'node:fs';
import { basename } from 'node:path';
import { onlyErrno } from '../errno.js';

/**
 * What the handler reads from /proc/PID while the kernel holds the crashed process (it is held
 * as long as the core has not been read to its end, and, with core_pipe_limit > 0, until the
 * handler exits): the files behind the minidump's Linux streams and the executable's name.
 * Each is read whole up to a cap; a file that is gone or unreadable is simply absent.
 */
export const PROC_FILE_CAPS = {
  cmdline: 1 << 20,
  environ: 1 << 20,
  maps: 64 << 20,
  status: 64 << 10,
  auxv: 64 << 10,
  stat: 64 << 10,
  comm: 64,
} as const;

export type ProcFileName = keyof typeof PROC_FILE_CAPS;
export type ProcFiles = Partial<Record<ProcFileName, Uint8Array>>;

/** Reads up to `cap` bytes of a /proc file (their size is 0 to stat: read until EOF). */
export function readCapped(path: string, cap: number): Uint8Array | undefined {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    onlyErrno(e);
    return undefined;
  }
  try {
    const chunks: Buffer[] = [];
    let total = 0;
    for (;;) {
      const buf = Buffer.allocUnsafe(Math.min(cap - total, 256 * 1024));
      if (buf.length === 0) break;
      const n = readSync(fd, buf, 0, buf.length, null);
      if (n === 0) break;
      chunks.push(buf.subarray(0, n));
      total += n;
    }
    return new Uint8Array(Buffer.concat(chunks, total));
  } catch (e) {
    onlyErrno(e); // ESRCH / EIO: the process went away
    return undefined;
  } finally {
    closeSync(fd);
  }
}

/** The files of `procDir` (/proc/PID, or a path through a descriptor of it). */
export function readProcFiles(procDir: string): ProcFiles {
  const out: ProcFiles = {};
  for (const [name, cap] of Object.entries(PROC_FILE_CAPS) as [ProcFileName, number][]) {
    const b = readCapped(`${procDir}/${name}`, cap);
    if (b) out[name] = b;
  }
  return out;
}

/**
 * The executable's file name (WER keys per-application settings by it): `procDir`/exe's target
 * (not truncated to 15 bytes like comm), else `fallback` (the kernel's %e).
 */
export function executableName(procDir: string, fallback: string): string {
  try {
    const target = readlinkSync(`${procDir}/exe`).replace(/ \(deleted\)$/, '');
    const name = basename(target);
    if (name) return name;
  } catch (e) {
    onlyErrno(e);
  }
  return fallback;
}
