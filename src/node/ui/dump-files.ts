import { closeSync, createReadStream, fstatSync, lstatSync, openSync, readdirSync, readSync, realpathSync, type Stats } from 'node:fs';
import type { IncomingMessage, ServerResponse } from 'node:http';
import { isAbsolute, join, relative, sep } from 'node:path';
import { onlyErrno } from '../errno.js';
import { COMMON_HEADERS, sendError } from './http-util.js';
import type { DumpFileEntry } from './wire.js';

const MAX_FILES = 10_000;
const MAX_DEPTH = 16;

/** What the first bytes say: `MDMP` (minidump), `PAGEDUMP`/`PAGEDU64` (kernel dump), or something else. */
export function dumpKind(path: string): DumpFileEntry['kind'] {
  let fd: number | undefined;
  try {
    fd = openSync(path, 'r');
    const b = Buffer.alloc(8);
    const n = readSync(fd, b, 0, 8, 0);
    const s = b.subarray(0, n).toString('latin1');
    if (s.startsWith('MDMP')) return 'minidump';
    if (s === 'PAGEDUMP' || s === 'PAGEDU64') return 'kernel';
    return 'other';
  } catch (e) {
    onlyErrno(e);
    return 'other';
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

/**
 * The dump folder's regular files (not dot files, so not the temporary names dumps are written
 * under), newest first; symlinks are not followed. At most 10,000 files, 16 folders deep.
 */
export function listDumpFiles(root: string): DumpFileEntry[] {
  const out: DumpFileEntry[] = [];
  const walk = (dir: string, depth: number): void => {
    let names: string[];
    try {
      names = readdirSync(dir).sort();
    } catch (e) {
      onlyErrno(e); // unreadable or vanished folder: skipped
      return;
    }
    for (const name of names) {
      if (out.length >= MAX_FILES) return;
      if (name.startsWith('.')) continue;
      const path = join(dir, name);
      let st: Stats;
      try {
        st = lstatSync(path);
      } catch (e) {
        onlyErrno(e);
        continue;
      }
      if (st.isDirectory()) {
        if (depth < MAX_DEPTH) walk(path, depth + 1);
      } else if (st.isFile()) {
        out.push({ name: relative(root, path).split(sep).join('/'), size: st.size, mtime: st.mtime.toISOString(), kind: dumpKind(path) });
      }
    }
  };
  walk(root, 0);
  return out.sort((a, b) => (a.mtime < b.mtime ? 1 : a.mtime > b.mtime ? -1 : a.name.localeCompare(b.name)));
}

/**
 * The file `rel` (the URL path after `/files/`, still percent-encoded) names inside `root`, or why
 * not. Refused: empty, absolute, backslashes, NUL, `.`/`..` segments, any percent-encoded `/`, `\`
 * or `.` (so `%2e%2e` never becomes `..` after a check), and a real path that leaves the folder
 * through a symlink.
 */
export function resolveDumpFile(root: string, rel: string): { path: string } | { status: number; reason: string } {
  const bad = (reason: string) => ({ status: 403, reason });
  if (rel === '') return bad('no file named');
  if (/%(2e|2f|5c|00)/i.test(rel)) return bad('encoded ".", "/", "\\" or NUL in the path');
  let decoded: string;
  try {
    decoded = decodeURIComponent(rel);
  } catch (e) {
    if (e instanceof URIError) return bad('malformed percent-encoding');
    throw e;
  }
  if (decoded.includes('\0') || decoded.includes('\\')) return bad('NUL or backslash in the path');
  if (isAbsolute(decoded) || decoded.startsWith('/')) return bad('absolute path');
  const parts = decoded.split('/');
  if (parts.some((p) => p === '..' || p === '.' || p === '')) return bad('"..", "." or empty segments in the path');
  let real: string;
  let realRoot: string;
  try {
    realRoot = realpathSync(root);
    real = realpathSync(join(root, ...parts));
  } catch (e) {
    const err = onlyErrno(e);
    return { status: 404, reason: `no such file (${err.code})` };
  }
  const inside = relative(realRoot, real);
  if (inside === '' || inside.startsWith('..') || isAbsolute(inside)) return bad('the path leaves the dump folder');
  return { path: real };
}

/**
 * Serves a dump file with single-range `Range: bytes=…` support (the viewer reads lazily): 206
 * with Content-Range, 416 for a range past the end or several ranges at once, HEAD for the size.
 */
export function serveDumpFile(req: IncomingMessage, res: ServerResponse, path: string): void {
  let fd: number;
  try {
    fd = openSync(path, 'r');
  } catch (e) {
    const err = onlyErrno(e);
    sendError(res, err.code === 'EACCES' ? 403 : 404, 'IO', `cannot open the file: ${err.code}`);
    return;
  }
  const st = fstatSync(fd);
  if (!st.isFile()) {
    closeSync(fd);
    sendError(res, 403, 'REFUSED', 'not a regular file');
    return;
  }
  const size = st.size;
  const name = path.slice(path.lastIndexOf(sep) + 1).replace(/[^\w.() -]/g, '_');
  const headers: Record<string, string | number> = {
    ...COMMON_HEADERS,
    'Accept-Ranges': 'bytes',
    'Content-Type': 'application/octet-stream',
    'Content-Disposition': `attachment; filename="${name}"`,
    'Last-Modified': st.mtime.toUTCString(),
    'Cache-Control': 'no-cache',
  };
  let start = 0;
  let end = size - 1;
  let status = 200;
  const range = req.headers.range;
  if (range !== undefined) {
    const m = /^bytes=(\d*)-(\d*)$/.exec(range.trim());
    const s = m?.[1] ?? '';
    const e = m?.[2] ?? '';
    if (!m || (s === '' && e === '')) {
      closeSync(fd);
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain' });
      res.end(m ? 'empty range' : 'one range per request: bytes=START-END, START- or -SUFFIX');
      return;
    }
    if (s === '') {
      start = Math.max(0, size - Number(e));
    } else {
      start = Number(s);
      end = e === '' ? size - 1 : Math.min(Number(e), size - 1);
    }
    if (start >= size || start > end) {
      closeSync(fd);
      res.writeHead(416, { ...headers, 'Content-Range': `bytes */${size}`, 'Content-Type': 'text/plain' });
      res.end('range not satisfiable');
      return;
    }
    status = 206;
    headers['Content-Range'] = `bytes ${start}-${end}/${size}`;
  }
  headers['Content-Length'] = size === 0 ? 0 : end - start + 1;
  res.writeHead(status, headers);
  if (req.method === 'HEAD' || size === 0) {
    closeSync(fd);
    res.end();
    return;
  }
  createReadStream('', { fd, start, end, autoClose: true }).pipe(res);
}
