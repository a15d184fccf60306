// A stand-in for `dumpkit ui` in the viewer's tests: serves the built app (buildApp: as the ui tests build it) and, for a given
// dump folder, the two endpoints the viewer uses: GET /api/files (the folder's dumps) and
// GET /files/<rel path> with Range support. No token: it listens on 127.0.0.1 for one test only.
import { closeSync, createReadStream, existsSync, openSync, readdirSync, readSync, statSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildApp } from '../../helpers/ui-server.js';

export const root = fileURLToPath(new URL('../../../', import.meta.url));

const TYPES: Record<string, string> = { '.html': 'text/html', '.js': 'text/javascript', '.css': 'text/css', '.map': 'application/json', '.png': 'image/png' };

function kindOf(path: string): 'minidump' | 'kernel' | 'other' {
  const fd = Buffer.alloc(8);
  const f = openSync(path, 'r');
  try {
    readSync(f, fd, 0, 8, 0);
  } finally {
    closeSync(f);
  }
  const s = fd.toString('latin1');
  return s.startsWith('MDMP') ? 'minidump' : s.startsWith('PAGEDU') ? 'kernel' : 'other';
}

export interface AppServer {
  url: string;
  close(): Promise<void>;
}

export async function serveApp(dumpDir?: string): Promise<AppServer> {
  // the app as `dumpkit ui`'s tests build it: once per source hash, in a folder of its own
  const distUi = await buildApp();
  const server: Server = createServer((req, res) => {
    const url = new URL(req.url ?? '/', 'http://x');
    const path = decodeURIComponent(url.pathname);
    if (path === '/api/files') {
      const out: { name: string; size: number; mtime: string; kind: string }[] = [];
      const walk = (d: string) => {
        for (const e of readdirSync(d, { withFileTypes: true })) {
          const p = join(d, e.name);
          const st = statSync(p);
          if (st.isDirectory()) walk(p);
          else if (st.isFile()) {
            out.push({ name: relative(dumpDir!, p).split(sep).join('/'), size: st.size, mtime: st.mtime.toISOString(), kind: kindOf(p) });
          }
        }
      };
      if (!dumpDir) {
        res.writeHead(404).end();
        return;
      }
      walk(dumpDir);
      res.writeHead(200, { 'Content-Type': 'application/json' }).end(JSON.stringify(out));
      return;
    }
    let file: string;
    if (path.startsWith('/files/') && dumpDir) file = resolve(dumpDir, path.slice('/files/'.length));
    else file = resolve(distUi, path === '/' ? 'index.html' : path.slice(1));
    const base = path.startsWith('/files/') ? resolve(dumpDir ?? '/nonexistent') : distUi;
    if (!file.startsWith(base + sep) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    const size = statSync(file).size;
    const range = /^bytes=(\d+)-(\d*)$/.exec(req.headers.range ?? '');
    const type = TYPES[extname(file)] ?? 'application/octet-stream';
    if (range) {
      const start = Number(range[1]);
      const end = range[2] ? Math.min(Number(range[2]), size - 1) : size - 1;
      if (start >= size || end < start) {
        res.writeHead(416, { 'Content-Range': `bytes */${size}` }).end();
        return;
      }
      res.writeHead(206, { 'Content-Type': type, 'Content-Range': `bytes ${start}-${end}/${size}`, 'Content-Length': end - start + 1, 'Accept-Ranges': 'bytes' });
      createReadStream(file, { start, end }).pipe(res);
      return;
    }
    res.writeHead(200, { 'Content-Type': type, 'Content-Length': size, 'Accept-Ranges': 'bytes' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', r));
  const port = (server.address() as AddressInfo).port;
  return {
    url: `http://127.0.0.1:${port}/`,
    close: () => new Promise<void>((r) => server.close(() => r())),
  };
}
