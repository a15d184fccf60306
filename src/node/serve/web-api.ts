// The JSON API the web pages (and scripts) read: crashes, signatures, status; re-processing.
import type { IncomingMessage, ServerResponse } from 'node:http';
import { DumpError } from '../../core/errors.js';
import type { CrashQuery, CrashRow, CrashState, Deployment } from './contract.js';
import { sendJson } from './http.js';

/** A crash as the API lists it (no processed JSON). */
export function crashSummary(c: CrashRow): Record<string, unknown> {
  return {
    id: c.id,
    state: c.state,
    product: c.product,
    version: c.version,
    receivedAt: c.receivedAt.toISOString(),
    processedAt: c.processedAt?.toISOString() ?? null,
    signature: c.signature,
    crashReason: c.processed?.crashReason ?? null,
    error: c.error,
  };
}

/** `GET /api/crashes/{id}`: state, and when processed the result (`?full=1` adds the whole processor JSON). */
export function crashDetail(c: CrashRow, full: boolean): Record<string, unknown> {
  const p = c.processed;
  return {
    ...crashSummary(c),
    annotations: c.annotations,
    dumpSize: c.dumpSize,
    attachments: c.attachments.map((a) => ({ field: a.field, filename: a.filename, size: a.size })),
    processed: p
      ? {
          signature: p.signature,
          crashReason: p.crashReason,
          crashAddress: p.crashAddress,
          crashingThread: p.crashingThread,
          frames: p.frames,
          missingSymbols: p.missingSymbols,
          ...(full ? { json: p.json } : {}),
        }
      : null,
  };
}

function dateParam(v: string | null, name: string): Date | undefined {
  if (v === null || v === '') return undefined;
  const d = /^\d+$/.test(v) ? new Date(Number(v)) : new Date(v);
  if (Number.isNaN(d.getTime())) throw new DumpError('INVALID_ARGUMENT', `${name}=${v}: not a date (YYYY-MM-DD, ISO 8601 or milliseconds)`);
  return d;
}

function intParam(v: string | null, name: string, max: number): number | undefined {
  if (v === null || v === '') return undefined;
  const n = Number(v);
  if (!Number.isSafeInteger(n) || n < 0 || n > max) throw new DumpError('INVALID_ARGUMENT', `${name}=${v}: not an integer from 0 to ${max}`);
  return n;
}

const STATES = new Set<CrashState>(['received', 'processed', 'failed']);

/** The query of `GET /api/crashes`. */
export function crashQueryOf(p: URLSearchParams): CrashQuery {
  const q: CrashQuery = {};
  for (const k of ['product', 'version', 'signature', 'module'] as const) {
    const v = p.get(k);
    if (v) q[k] = v;
  }
  const from = dateParam(p.get('from'), 'from');
  const to = dateParam(p.get('to'), 'to');
  if (from) q.from = from;
  if (to) q.to = to;
  const state = p.get('state');
  if (state) {
    if (!STATES.has(state as CrashState)) throw new DumpError('INVALID_ARGUMENT', `state=${state}: one of received, processed, failed`);
    q.state = state as CrashState;
  }
  const limit = intParam(p.get('limit'), 'limit', 1000);
  const offset = intParam(p.get('offset'), 'offset', 1_000_000_000);
  q.limit = limit ?? 100;
  if (offset !== undefined) q.offset = offset;
  return q;
}

/** Enqueues crashes again (after symbols arrived); returns how many. */
export async function reprocess(deployment: Deployment, what: { id?: string; signature?: string; all?: boolean }): Promise<number> {
  const ids: string[] = [];
  if (what.id) {
    if (!(await deployment.db.getCrash(what.id))) throw new DumpError('INVALID_ARGUMENT', `no crash ${what.id}`);
    ids.push(what.id);
  } else if (what.signature !== undefined || what.all) {
    const q: CrashQuery = what.all ? {} : { signature: what.signature! };
    for (let offset = 0; ; offset += 1000) {
      const page = await deployment.db.findCrashes({ ...q, limit: 1000, offset });
      ids.push(...page.map((c) => c.id));
      if (page.length < 1000) break;
    }
  } else throw new DumpError('INVALID_ARGUMENT', 'say what to re-process: id, signature or all');
  for (const id of ids) await deployment.queue.enqueue(id);
  return ids.length;
}

async function readJsonBody(req: IncomingMessage, max = 64 * 1024): Promise<unknown> {
  const chunks: Buffer[] = [];
  let n = 0;
  for await (const c of req as AsyncIterable<Buffer>) {
    n += c.length;
    if (n > max) throw new DumpError('INVALID_ARGUMENT', `the body is larger than ${max} bytes`);
    chunks.push(c);
  }
  try {
    return JSON.parse(Buffer.concat(chunks).toString('utf8') || '{}');
  } catch {
    throw new DumpError('INVALID_ARGUMENT', 'the body is not JSON');
  }
}

/** Answers `/api/…`; false when the path is not an API path. */
export async function handleApi(deployment: Deployment, status: () => Promise<Record<string, unknown>>, req: IncomingMessage, res: ServerResponse, url: URL): Promise<boolean> {
  const path = url.pathname;
  if (!path.startsWith('/api/')) return false;
  try {
    const m = /^\/api\/crashes\/(bp-[0-9a-f-]{36})$/.exec(path);
    if (req.method === 'GET' && m) {
      const c = await deployment.db.getCrash(m[1]!);
      if (!c) sendJson(res, 404, { error: `no crash ${m[1]}` });
      else sendJson(res, 200, crashDetail(c, url.searchParams.get('full') === '1'));
    } else if (req.method === 'GET' && path === '/api/crashes') {
      const rows = await deployment.db.findCrashes(crashQueryOf(url.searchParams));
      sendJson(res, 200, { crashes: rows.map(crashSummary) });
    } else if (req.method === 'GET' && path === '/api/signatures') {
      const p = url.searchParams;
      const q: Parameters<Deployment['db']['signatures']>[0] = {};
      if (p.get('product')) q.product = p.get('product')!;
      if (p.get('version')) q.version = p.get('version')!;
      const from = dateParam(p.get('from'), 'from');
      const to = dateParam(p.get('to'), 'to');
      if (from) q.from = from;
      if (to) q.to = to;
      q.limit = intParam(p.get('limit'), 'limit', 10_000) ?? 100;
      const sigs = await deployment.db.signatures(q);
      sendJson(res, 200, { signatures: sigs.map((s) => ({ ...s, firstSeen: s.firstSeen.toISOString(), lastSeen: s.lastSeen.toISOString() })) });
    } else if (req.method === 'GET' && path === '/api/status') {
      sendJson(res, 200, await status());
    } else if (req.method === 'POST' && path === '/api/reprocess') {
      const body = (await readJsonBody(req)) as { id?: unknown; signature?: unknown; all?: unknown };
      const what = {
        ...(typeof body.id === 'string' ? { id: body.id } : {}),
        ...(typeof body.signature === 'string' ? { signature: body.signature } : {}),
        ...(body.all === true ? { all: true } : {}),
      };
      sendJson(res, 200, { enqueued: await reprocess(deployment, what) });
    } else sendJson(res, 404, { error: `no API ${req.method} ${path}` });
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    sendJson(res, e.code === 'INVALID_ARGUMENT' ? 400 : e.code === 'BUSY' ? 503 : 500, { error: e.message });
  }
  return true;
}
