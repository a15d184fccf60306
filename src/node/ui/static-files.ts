import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import type { ServerResponse } from 'node:http';
import { dirname, extname, join, relative, isAbsolute } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';
import { COMMON_HEADERS, sendError } from './http-util.js';

const TYPES: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.mjs': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.json': 'application/json',
  '.map': 'application/json',
  '.svg': 'image/svg+xml',
  '.png': 'image/png',
  '.wasm': 'application/wasm',
  '.woff2': 'font/woff2',
  '.ico': 'image/x-icon',
};

/** The page's content security policy: its own scripts, styles and workers, data only from itself. */
const CSP = "default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; style-src 'self' 'unsafe-inline'; img-src 'self' data: blob:; worker-src 'self' blob:; connect-src 'self' blob: data:; object-src 'none'; base-uri 'none'; frame-ancestors 'none'; form-action 'none'";

/**
 * The built browser app (Vite's output, dist/ui), wherever this module runs from: the sources
 * (src/node/ui), tsc's dist/node/ui or the CLI bundle dist/cli/commands. DUMPKIT_UI_DIR names
 * another build (tests build into a temporary folder).
 */
export function findAppDir(): string {
  const env = process.env.DUMPKIT_UI_DIR;
  if (env) {
    if (!existsSync(join(env, 'index.html'))) throw new DumpError('IO', `DUMPKIT_UI_DIR=${env} holds no index.html`);
    return env;
  }
  let d = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const c of [join(d, 'dist', 'ui'), join(d, 'ui')]) if (existsSync(join(c, 'index.html')) && c.includes(`dist`)) return c;
    d = dirname(d);
  }
  throw new DumpError('IO', 'the browser app is not built (no dist/ui/index.html): run `npm run build`');
}

/**
 * Serves GET/HEAD of a file of the app; `/` is index.html. `pathname` is the raw request path (not
 * normalized): `..` segments and encoded `.`, `/`, `\\` are refused, as is a real path outside the app.
 */
export function serveAppFile(res: ServerResponse, appDir: string, pathname: string, head: boolean): void {
  if (/%(2e|2f|5c|00)/i.test(pathname)) return sendError(res, 403, 'FORBIDDEN', 'encoded ".", "/", "\\" or NUL in the path');
  let rel: string;
  try {
    rel = decodeURIComponent(pathname === '/' ? '/index.html' : pathname);
  } catch (e) {
    if (e instanceof URIError) return sendError(res, 400, 'INVALID_ARGUMENT', 'malformed percent-encoding');
    throw e;
  }
  if (rel.includes('\0') || rel.includes('\\') || rel.split('/').some((p) => p === '..')) return sendError(res, 403, 'FORBIDDEN', 'the path leaves the app folder');
  let path: string;
  try {
    path = realpathSync(join(appDir, rel));
  } catch (e) {
    onlyErrno(e);
    return sendError(res, 404, 'IO', `no such file: ${pathname}`);
  }
  const inside = relative(realpathSync(appDir), path);
  if (inside.startsWith('..') || isAbsolute(inside) || !statSync(path).isFile()) return sendError(res, 404, 'IO', `no such file: ${pathname}`);
  const body = readFileSync(path);
  const type = TYPES[extname(path)] ?? 'application/octet-stream';
  res.writeHead(200, {
    ...COMMON_HEADERS,
    'Content-Type': type,
    'Content-Length': body.length,
    // Vite names assets by content hash; index.html must be fetched anew.
    'Cache-Control': rel.startsWith('/assets/') ? 'private, max-age=31536000, immutable' : 'no-cache',
    ...(type.startsWith('text/html') ? { 'Content-Security-Policy': CSP } : {}),
  });
  res.end(head ? undefined : body);
}
