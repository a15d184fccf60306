// One `dumpkit serve` process: the parts its role runs (collector, processor, web) over one
// Deployment, on one HTTP server. Embedded mode runs all three; scale-out runs one per process.
import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { extname, join, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Collector } from './collector.js';
import type { Deployment } from './contract.js';
import { allowedHosts, DEFAULT_LIMITS, sendJson, sendText, webRequestProblem, type ServeLimits } from './http.js';
import type { DeploymentOptions } from './deployment.js';
import { Processor, type ProcessorOptions } from './processor.js';
import { ThreadedProcessor, type ProcessorPool } from './processor-threads.js';
import { pruneOnce, type RetentionOptions } from './retention.js';
import { handleSymbolUpload } from './symbol-upload.js';
import { handleApi } from './web-api.js';

export interface ServeRoles {
  collector: boolean;
  processor: boolean;
  web: boolean;
}

export interface ServeOptions {
  deployment: Deployment;
  roles?: ServeRoles;
  host?: string;
  port?: number;
  limits?: Partial<ServeLimits>;
  processor?: ProcessorOptions;
  /**
   * Process in `processor.workers` worker threads, each opening the deployment from these options
   * (the command line's); without it the jobs run on this thread (library use, in-process tests).
   */
  processorThreads?: DeploymentOptions;
  retention?: RetentionOptions;
  /** Built web UI (dist/ui with serve.html); found beside the code when not given. */
  uiDir?: string;
  log?: (line: string) => void;
}

export interface ServeHandle {
  /** http://host:port/ the server listens on. */
  url: string;
  server: Server;
  collector: Collector | undefined;
  processor: ProcessorPool | undefined;
  /** SIGTERM: stop listening, answer every upload in hand, finish the jobs in hand. */
  drain(): Promise<void>;
}

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8',
  '.js': 'text/javascript; charset=utf-8',
  '.css': 'text/css; charset=utf-8',
  '.svg': 'image/svg+xml',
  '.map': 'application/json',
  '.json': 'application/json',
  '.wasm': 'application/wasm',
};

/** dist/ui from the source tree (src/node/serve) or from the CLI bundle (dist/cli/commands). */
export function findUiDir(): string | undefined {
  const here = fileURLToPath(new URL('.', import.meta.url));
  for (const rel of ['../../../dist/ui', '../../ui']) {
    const d = resolve(here, rel);
    if (existsSync(join(d, 'serve.html'))) return d;
  }
  return undefined;
}

async function serveStatic(uiDir: string | undefined, path: string, res: ServerResponse): Promise<void> {
  if (!uiDir) return sendText(res, 404, 'the web UI is not built (npm run build builds dist/ui); the JSON API is under /api/\n');
  const rel = path === '/' ? 'serve.html' : decodeURIComponent(path.slice(1));
  const file = resolve(uiDir, rel);
  if (!file.startsWith(uiDir + sep) || rel.split('/').some((p) => p.startsWith('.'))) return sendText(res, 404, 'not found\n');
  try {
    const body = await readFile(file);
    res.writeHead(200, {
      'content-type': MIME[extname(file)] ?? 'application/octet-stream',
      'cache-control': rel.startsWith('assets/') ? 'max-age=31536000, immutable' : 'no-cache',
      'x-content-type-options': 'nosniff',
      'content-security-policy': "default-src 'self'; style-src 'self' 'unsafe-inline'; img-src 'self' data:",
    });
    res.end(body);
  } catch (e) {
    const code = (e as NodeJS.ErrnoException).code;
    if (code !== 'ENOENT' && code !== 'EISDIR' && code !== 'ENOTDIR') throw e;
    sendText(res, 404, 'not found\n');
  }
}

export async function startServe(opts: ServeOptions): Promise<ServeHandle> {
  const { deployment } = opts;
  const roles = opts.roles ?? { collector: true, processor: true, web: true };
  const log = opts.log ?? (() => {});
  const limits: ServeLimits = { ...DEFAULT_LIMITS, ...opts.limits };
  const host = opts.host ?? '127.0.0.1';
  const collector = roles.collector ? new Collector(deployment, limits, log) : undefined;
  const processor: ProcessorPool | undefined = !roles.processor
    ? undefined
    : opts.processorThreads
      ? new ThreadedProcessor(opts.processorThreads, opts.processor, log)
      : new Processor(deployment, opts.processor, log);
  const uiDir = roles.web ? (opts.uiDir ?? findUiDir()) : undefined;
  let hosts = new Set<string>();
  let draining = false;

  const status = async () => ({
    roles,
    draining,
    queueDepth: await deployment.queue.depth(),
    collector: collector?.stats ?? null,
    processor: processor ? { inFlight: processor.inFlight, processed: processor.processed, failed: processor.failed } : null,
  });

  const route = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (collector && req.method === 'POST' && url.pathname === '/submit') {
      if (draining) return sendText(res, 503, 'shutting down\n', { 'retry-after': '5', connection: 'close' });
      return collector.handle(req, res);
    }
    if (collector && req.method === 'POST' && url.pathname === '/symbols') return handleSymbolUpload(deployment, limits, req, res);
    // sym_upload -p sym-upload-v2 talks to a symbol-collector API under the URL it is given
    // (GET …/v1/symbols/<file>/<id>:checkStatus, POST …/v1/uploads:create, …); it prints this body.
    if (collector && url.pathname.startsWith('/symbols/v1/')) {
      req.resume();
      return sendText(res, 501, "sym-upload-v2 is not supported: upload with sym_upload's default protocol, sym-upload-v1 (a form POST to /symbols)\n");
    }
    if (url.pathname === '/healthz') return sendText(res, draining ? 503 : 200, draining ? 'draining\n' : 'ok\n');
    if (!roles.web) return sendText(res, 404, 'this process runs no web pages\n');
    const problem = webRequestProblem(req, hosts, host !== '127.0.0.1' && host !== '::1' && host !== 'localhost');
    if (problem) return sendJson(res, 403, { error: problem });
    if (await handleApi(deployment, status, req, res, url)) return;
    if (req.method !== 'GET' && req.method !== 'HEAD') return sendText(res, 405, 'method not allowed\n');
    return serveStatic(uiDir, url.pathname, res);
  };

  const server = createServer((req, res) => {
    route(req, res).catch((e: unknown) => {
      log(`serve: BUG answering ${req.method} ${req.url}: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}`);
      if (!res.headersSent) sendText(res, 500, 'internal error\n');
      else res.destroy();
    });
  });
  server.requestTimeout = 300_000;
  server.headersTimeout = 30_000;
  // Longer than clients keep idle sockets (undici 4 s, browsers ~60 s): the client closes first,
  // so it never reuses a socket the server is closing at that moment.
  server.keepAliveTimeout = 65_000;
  await new Promise<void>((resolveListen, reject) => {
    server.once('error', reject);
    server.listen(opts.port ?? 8080, host, () => resolveListen());
  });
  const addr = server.address() as AddressInfo;
  hosts = allowedHosts(host, addr.port);
  const shown = addr.family === 'IPv6' ? `[${addr.address}]` : addr.address;
  processor?.start();

  let retentionTimer: NodeJS.Timeout | undefined;
  if (processor && opts.retention && (opts.retention.days !== undefined || opts.retention.perSignature !== undefined)) {
    const pass = () => void pruneOnce(deployment, opts.retention!).then((n) => n && log(`retention: removed ${n} objects`), (e: unknown) => log(`retention: ${String(e)}`));
    pass();
    retentionTimer = setInterval(pass, 3_600_000);
    retentionTimer.unref();
  }

  return {
    url: `http://${shown}:${addr.port}/`,
    server,
    collector,
    processor,
    async drain() {
      draining = true;
      if (retentionTimer) clearInterval(retentionTimer);
      const closed = new Promise<void>((r) => server.close(() => r()));
      server.closeIdleConnections();
      await collector?.drain();
      await processor?.drain();
      server.closeAllConnections();
      await closed;
    },
  };
}
