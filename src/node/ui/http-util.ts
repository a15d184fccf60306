import type { IncomingMessage, ServerResponse } from 'node:http';
import { DumpError } from '../../core/errors.js';

/** Headers every response carries: no sniffing, no framing by other sites, nothing loaded from elsewhere. */
export const COMMON_HEADERS: Record<string, string> = {
  'X-Content-Type-Options': 'nosniff',
  'X-Frame-Options': 'DENY',
  'Referrer-Policy': 'no-referrer',
  'Cross-Origin-Opener-Policy': 'same-origin',
  'Cross-Origin-Resource-Policy': 'same-origin',
};

export function sendJson(res: ServerResponse, status: number, body: unknown, headers: Record<string, string> = {}): void {
  const text = JSON.stringify(body);
  res.writeHead(status, { ...COMMON_HEADERS, 'Content-Type': 'application/json; charset=utf-8', 'Cache-Control': 'no-store', 'Content-Length': Buffer.byteLength(text), ...headers });
  res.end(text);
}

/** `{ "error": { "code", "message" } }`: DumpError codes where there is one. */
export function sendError(res: ServerResponse, status: number, code: string, message: string): void {
  sendJson(res, status, { error: { code, message } });
}

const MAX_BODY = 64 * 1024;

/** A JSON request body (Content-Type application/json, at most 64 KiB), or INVALID_ARGUMENT. */
export async function readJsonBody(req: IncomingMessage): Promise<unknown> {
  const type = req.headers['content-type'] ?? '';
  if (!/^application\/json\b/i.test(type)) throw new DumpError('INVALID_ARGUMENT', 'the request body must be application/json');
  const chunks: Buffer[] = [];
  let size = 0;
  for await (const chunk of req as AsyncIterable<Buffer>) {
    size += chunk.length;
    if (size > MAX_BODY) throw new DumpError('INVALID_ARGUMENT', `the request body is larger than ${MAX_BODY} bytes`);
    chunks.push(chunk);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8')) as unknown;
  } catch (e) {
    if (e instanceof SyntaxError) throw new DumpError('INVALID_ARGUMENT', `the request body is not JSON: ${e.message}`);
    throw e;
  }
}

/** HTTP status for a DumpError code. */
export function statusOf(code: string): number {
  switch (code) {
    case 'NO_SUCH_PROCESS':
      return 404;
    case 'BUSY':
      return 409;
    case 'PERMISSION':
      return 403;
    case 'INVALID_ARGUMENT':
    case 'REFUSED':
      return 400;
    default:
      return 500;
  }
}
