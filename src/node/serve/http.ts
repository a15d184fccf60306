// HTTP pieces every part of `dumpkit serve` shares: limits, API keys, replies, and the Host/Origin
// checks that keep web pages on loopback safe from DNS rebinding and cross-site requests.
import type { IncomingMessage, ServerResponse } from 'node:http';

export interface ServeLimits {
  /** Largest file part (minidump or attachment) after gzip decoding. */
  maxDumpBytes: number;
  /** Largest request body as sent (Content-Length). */
  maxRequestBytes: number;
  maxFields: number;
  maxFieldBytes: number;
  maxAttachments: number;
  /** Uploads received at once before 503 + Retry-After. */
  maxInFlightUploads: number;
  /** Jobs waiting before 429 + Retry-After. */
  maxQueueDepth: number;
  /** Free bytes in the store under which uploads get 507. */
  minFreeBytes: number;
  /** Largest symbol upload (a .sym, or a zip of them). */
  maxSymbolBytes: number;
  /** Per-product API keys for /submit; undefined: none needed. `*` is any product (symbols too). */
  apiKeys?: Record<string, string[]>;
}

export const DEFAULT_LIMITS: ServeLimits = {
  maxDumpBytes: 64 * 1024 * 1024,
  maxRequestBytes: 80 * 1024 * 1024,
  maxFields: 256,
  maxFieldBytes: 64 * 1024,
  maxAttachments: 8,
  maxInFlightUploads: 256,
  maxQueueDepth: 100_000,
  minFreeBytes: 256 * 1024 * 1024,
  maxSymbolBytes: 1024 * 1024 * 1024,
};

/** The API key a request carries: `X-API-Key`, `Authorization: Bearer …`, or `?key=`. */
export function apiKeyOf(req: IncomingMessage): string | undefined {
  const h = req.headers['x-api-key'];
  if (typeof h === 'string' && h) return h;
  const auth = req.headers.authorization;
  const m = auth ? /^Bearer\s+(\S+)$/i.exec(auth) : null;
  if (m) return m[1];
  const q = new URL(req.url ?? '/', 'http://x').searchParams.get('key');
  return q ?? undefined;
}

export function sendText(res: ServerResponse, status: number, text: string, headers: Record<string, string> = {}): void {
  res.writeHead(status, { 'content-type': 'text/plain; charset=utf-8', 'cache-control': 'no-store', ...headers });
  res.end(text);
}

export function sendJson(res: ServerResponse, status: number, value: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json; charset=utf-8', 'cache-control': 'no-store' });
  res.end(JSON.stringify(value, (_k, v: unknown) => (typeof v === 'bigint' ? `0x${v.toString(16)}` : v)));
}

/**
 * The names this server answers to: the address it listens on, and for loopback `localhost`.
 * A request whose Host is anything else (a rebinding domain) is refused.
 */
export function allowedHosts(host: string, port: number): Set<string> {
  const out = new Set<string>();
  const h = host.includes(':') && !host.startsWith('[') ? `[${host}]` : host;
  out.add(`${h}:${port}`);
  if (host === '127.0.0.1' || host === '::1' || host === 'localhost') for (const n of ['127.0.0.1', '[::1]', 'localhost']) out.add(`${n}:${port}`);
  return out;
}

/**
 * Why a web or API request is refused, or undefined. Every page and API call needs a known Host;
 * state-changing ones (not GET/HEAD) also need an Origin (or Sec-Fetch-Site) of this server, so
 * another site open in the browser cannot post to it.
 */
export function webRequestProblem(req: IncomingMessage, hosts: Set<string>, anyHost: boolean): string | undefined {
  const host = req.headers.host ?? '';
  if (!anyHost && !hosts.has(host.toLowerCase())) return `Host ${JSON.stringify(host)} is not this server's`;
  if (req.method === 'GET' || req.method === 'HEAD') return undefined;
  const origin = req.headers.origin;
  if (origin !== undefined) {
    if (origin !== `http://${host}` && origin !== `https://${host}`) return `Origin ${origin} is not this server's`;
    return undefined;
  }
  const site = req.headers['sec-fetch-site'];
  if (site !== undefined && site !== 'same-origin' && site !== 'none') return `a ${site} request may not change state`;
  if (req.headers['content-type']?.toLowerCase().startsWith('application/json') !== true) return 'state-changing API calls send application/json';
  return undefined;
}
