import { lstatSync, mkdirSync, readdirSync, statfsSync, unlinkSync } from 'node:fs';
import { join } from 'node:path';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';
import { nextFreeName } from '../file-sink.js';

/**
 * The DumpFolder: WER's file names (`<exe>.<pid>.dmp`, the kept core beside it as
 * `<exe>.<pid>.core`) and DumpCount (WER: "when the maximum value is exceeded, the oldest dump
 * file in the folder will be replaced with the new dump file").
 */

/** An executable's name as a file name: what is not a letter, digit, `.`, `_`, `+` or `-` becomes `_`. */
export function safeName(name: string): string {
  const s = name.replace(/[^\w.+-]/g, '_').replace(/^\.+/, '_').slice(0, 100);
  return s || 'process';
}

/** The dump's path (the first free one) and its core's. */
export function dumpPaths(folder: string, exe: string, pid: number): { dump: string; core: string } {
  const dump = nextFreeName(join(folder, `${safeName(exe)}.${pid}.dmp`));
  return { dump, core: dump.replace(/\.dmp$/, '.core') };
}

/**
 * Creates the folder (and parents) readable by its owner only, and refuses a folder others could
 * write into: the handler runs as root, and in a folder where someone else can plant a link under
 * the next file's name, root's write would land wherever the link points.
 */
export function ensureFolder(folder: string): void {
  mkdirSync(folder, { recursive: true, mode: 0o700 });
  const st = lstatSync(folder);
  const uid = process.geteuid?.() ?? 0;
  if (!st.isDirectory()) throw new DumpError('REFUSED', `${folder} is not a directory (a symbolic link?): the handler writes only into a real folder`);
  if (st.uid !== uid || st.mode & 0o022) {
    throw new DumpError('REFUSED', `${folder} can be written by others (owner ${st.uid}, mode ${(st.mode & 0o7777).toString(8)}): choose a folder only ${uid === 0 ? 'root' : 'this user'} can write, since links planted there would redirect the handler's writes`);
  }
}

/** Removes the oldest `*.dmp` files (and their `.core`) past `count`; returns the removed dumps. */
export function applyDumpCount(folder: string, count: number): string[] {
  const dumps: { path: string; mtime: number }[] = [];
  for (const name of readdirSync(folder)) {
    if (!name.endsWith('.dmp') || name.startsWith('.')) continue;
    const path = join(folder, name);
    try {
      const st = lstatSync(path);
      if (st.isFile()) dumps.push({ path, mtime: st.mtimeMs });
    } catch (e) {
      if (onlyErrno(e).code !== 'ENOENT') throw e; // removed meanwhile by another handler
    }
  }
  if (dumps.length <= count) return [];
  dumps.sort((a, b) => a.mtime - b.mtime || (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
  const removed: string[] = [];
  for (const d of dumps.slice(0, dumps.length - count)) {
    for (const p of [d.path, d.path.replace(/\.dmp$/, '.core')]) {
      try {
        unlinkSync(p);
        if (p === d.path) removed.push(p);
      } catch (e) {
        if (onlyErrno(e).code !== 'ENOENT') throw e;
      }
    }
  }
  return removed;
}

/** Bytes the handler may write into the folder: free space less a reserve of 5 % or 256 MiB, whichever is more. */
export function writableBytes(folder: string): number {
  const fs = statfsSync(folder);
  const free = fs.bavail * fs.bsize;
  const reserve = Math.max(256 * 1024 * 1024, fs.blocks * fs.bsize * 0.05);
  return Math.max(0, free - reserve);
}
