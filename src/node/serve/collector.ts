// The collector: `POST /submit` as Breakpad and Crashpad clients send it (multipart/form-data, the
// minidump in `upload_file_minidump`, other file parts as attachments, annotations as fields,
// optionally gzip-encoded), answered `CrashID=bp-<uuid>` as Socorro's collector does. The body is
// streamed into the ObjectStore (never held whole in memory); the stored minidump is checked with
// the core reader before the crash is recorded, so nothing unreadable is ever accepted.
import busboy from 'busboy';
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Readable } from 'node:stream';
import { createGunzip } from 'node:zlib';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import { StreamType } from '../../core/minidump/constants.js';
import { Minidump } from '../../core/minidump/minidump.js';
import type { ByteSource } from '../../core/bytes/byte-source.js';
import { MemorySource } from '../../core/bytes/memory-source.js';
import type { Deployment, NewCrash } from './contract.js';
import { apiKeyOf, sendText, type ServeLimits } from './http.js';
import { objectSource } from './processor.js';

/** Counters the status endpoint and the bench read. */
export interface CollectorStats {
  accepted: number;
  refused: number;
  inFlight: number;
}

/** Refusals the client is told about: status, reason (one line), Retry-After seconds. */
class Refusal extends Error {
  constructor(
    readonly status: number,
    message: string,
    readonly retryAfter?: number,
  ) {
    super(message);
  }
}

/**
 * Dumps up to this size are also kept in memory while they stream into the store, and checked from
 * there (the bytes stored are the same) instead of being read back; larger ones are read back. At
 * most `--max-in-flight` × this much memory.
 */
export const CHECK_IN_MEMORY_BYTES = 256 * 1024;

/**
 * Why a stored minidump is not one dumpkit can process, or undefined when it is readable. `bytes`,
 * when given, are the whole stored minidump (kept while it streamed in).
 */
export async function minidumpProblem(deployment: Deployment, key: string, bytes?: Uint8Array): Promise<string | undefined> {
  const source: ByteSource | undefined = bytes ? new MemorySource(bytes, key) : await objectSource(deployment.objects, key);
  if (!source) return 'the minidump was not stored';
  try {
    const dump = await Minidump.open(source, { diagnostics: new Diagnostics() });
    if (!dump.stream(StreamType.ThreadListStream) && !dump.stream(StreamType.ExceptionStream)) return 'the minidump has neither a ThreadList nor an Exception stream';
    return undefined;
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    return `not a readable minidump: ${e.message.split(source.name).join('upload_file_minidump')}`;
  } finally {
    await source.close?.();
  }
}

const SAFE_FIELD = /^[A-Za-z0-9_.\-[\]]{1,128}$/;

export class Collector {
  readonly stats: CollectorStats = { accepted: 0, refused: 0, inFlight: 0 };
  private depthCache = { at: 0, depth: 0 };
  private readonly uploads = new Set<Promise<void>>();

  constructor(
    private readonly deployment: Deployment,
    private readonly limits: ServeLimits,
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** Resolves when every upload in hand is answered (SIGTERM drains these). */
  async drain(): Promise<void> {
    while (this.uploads.size) await Promise.allSettled([...this.uploads]);
  }

  private async queueDepth(): Promise<number> {
    const now = Date.now();
    if (now - this.depthCache.at > 200) this.depthCache = { at: now, depth: await this.deployment.queue.depth() };
    return this.depthCache.depth;
  }

  handle(req: IncomingMessage, res: ServerResponse): void {
    const p = this.submit(req, res).catch((e: unknown) => {
      let r: Refusal;
      try {
        r = refusalOf(e);
      } catch (bug) {
        // Not a refusal nor a store error: a bug; logged with its stack, the client told 500.
        this.log(`collector: BUG: ${bug instanceof Error ? (bug.stack ?? bug.message) : String(bug)}`);
        r = new Refusal(500, 'internal error');
      }
      this.stats.refused++;
      if (r.status >= 500 && r.status !== 503 && r.status !== 507) this.log(`collector: ${r.message}`);
      refuse(req, res, r);
    });
    this.uploads.add(p);
    void p.finally(() => this.uploads.delete(p));
  }

  private async submit(req: IncomingMessage, res: ServerResponse): Promise<void> {
    const { limits, deployment } = this;
    const key = apiKeyOf(req);
    if (limits.apiKeys && !Object.values(limits.apiKeys).some((keys) => key !== undefined && keys.includes(key))) {
      throw new Refusal(401, 'an API key is required (X-API-Key header, Authorization: Bearer, or ?key=)');
    }
    if (this.stats.inFlight >= limits.maxInFlightUploads) throw new Refusal(503, `${this.stats.inFlight} uploads in progress; try again`, 1);
    if ((await this.queueDepth()) >= limits.maxQueueDepth) throw new Refusal(429, 'the processing queue is full; try again later', 10);
    const free = await deployment.objects.freeBytes?.();
    if (free !== undefined && free < limits.minFreeBytes) throw new Refusal(507, `the server's disk is full (${free} bytes free)`);
    const length = Number(req.headers['content-length'] ?? NaN);
    if (length > limits.maxRequestBytes) throw new Refusal(413, `the request is ${length} bytes, more than the limit of ${limits.maxRequestBytes}`);
    const type = req.headers['content-type'] ?? '';
    if (!/^multipart\/form-data\b/i.test(type)) throw new Refusal(415, 'the body must be multipart/form-data (Breakpad/Crashpad upload)');
    const encoding = (req.headers['content-encoding'] ?? 'identity').toLowerCase();
    if (encoding !== 'identity' && encoding !== 'gzip') throw new Refusal(415, `Content-Encoding ${encoding} is not supported (gzip is)`);

    this.stats.inFlight++;
    const id = `bp-${randomUUID()}`;
    const receivedAt = new Date();
    const stored: string[] = [];
    try {
      const { dumpBytes, ...crash } = await this.receive(req, type, encoding, id, receivedAt, stored);
      if (limits.apiKeys?.[crash.product] && (key === undefined || !limits.apiKeys[crash.product]!.includes(key))) {
        throw new Refusal(403, `the API key is not one of product ${crash.product}'s`);
      }
      const problem = await minidumpProblem(deployment, crash.dumpKey, dumpBytes);
      if (problem) throw new Refusal(400, problem);
      try {
        await deployment.db.insertCrash(crash);
      } catch (e) {
        throw refusalOf(e);
      }
      stored.length = 0; // recorded: they belong to the crash now
      this.stats.accepted++;
      this.depthCache.depth++;
      res.writeHead(200, { 'content-type': 'text/plain; charset=utf-8' });
      res.end(`CrashID=${id}\n`);
    } finally {
      this.stats.inFlight--;
      // Refused or failed: nothing half-stored stays behind.
      for (const k of stored) await deployment.objects.delete(k).catch((e: unknown) => this.log(`collector: removing ${k}: ${String(e)}`));
    }
  }

  /** Streams the form into the store; the NewCrash to record (its objects listed in `stored`). */
  private receive(req: IncomingMessage, type: string, encoding: string, id: string, receivedAt: Date, stored: string[]): Promise<NewCrash & { dumpBytes?: Uint8Array }> {
    const { limits, deployment } = this;
    return new Promise<NewCrash & { dumpBytes?: Uint8Array }>((resolve, reject) => {
      const ac = new AbortController();
      let failed = false;
      const fail = (e: unknown) => {
        if (failed) return;
        failed = true;
        ac.abort();
        reject(e);
      };
      let bb: busboy.Busboy;
      try {
        bb = busboy({
          headers: { ...req.headers, 'content-type': type },
          limits: {
            fileSize: limits.maxDumpBytes,
            files: limits.maxAttachments + 1,
            fields: limits.maxFields,
            fieldSize: limits.maxFieldBytes,
            fieldNameSize: 128,
            parts: limits.maxAttachments + 1 + limits.maxFields,
          },
        });
      } catch (e) {
        reject(new Refusal(400, `malformed multipart/form-data: ${e instanceof Error ? e.message : String(e)}`));
        return;
      }
      const annotations: Record<string, string> = {};
      const attachments: NewCrash['attachments'] = [];
      const puts: Promise<void>[] = [];
      let dump: { key: string; size: number; head?: Uint8Array[] } | undefined;
      const day = receivedAt.toISOString().slice(0, 10);
      bb.on('field', (name, value, info) => {
        if (info.valueTruncated) return fail(new Refusal(413, `field ${name} is longer than ${limits.maxFieldBytes} bytes`));
        if (!SAFE_FIELD.test(name)) return fail(new Refusal(400, `field name ${JSON.stringify(name.slice(0, 40))} is not accepted`));
        annotations[name] = value;
      });
      bb.on('file', (name, stream: Readable & { truncated?: boolean }, info) => {
        if (failed) return stream.resume();
        let key: string;
        if (name === 'upload_file_minidump') {
          if (dump) return fail(new Refusal(400, 'more than one upload_file_minidump part'));
          key = `dumps/${day}/${id}.dmp`;
        } else {
          if (!SAFE_FIELD.test(name)) return fail(new Refusal(400, `file field name ${JSON.stringify(name.slice(0, 40))} is not accepted`));
          key = `attachments/${id}/${attachments.length}-${name}`;
        }
        stored.push(key);
        const entry: { key: string; size: number; head?: Uint8Array[] } = { key, size: 0 };
        let body: Readable | AsyncIterable<Uint8Array> = stream;
        if (name === 'upload_file_minidump') {
          dump = entry;
          entry.head = [];
          body = keepHead(stream, entry, ac.signal);
        }
        let over = false;
        stream.on('limit', () => {
          over = true;
          fail(new Refusal(413, `file part ${name} is larger than ${limits.maxDumpBytes} bytes`));
        });
        puts.push(
          deployment.objects.put(key, body, { signal: ac.signal }).then(
            ({ size }) => {
              entry.size = size;
              if (over || stream.truncated) fail(new Refusal(413, `file part ${name} is larger than ${limits.maxDumpBytes} bytes`));
              if (name !== 'upload_file_minidump') attachments.push({ field: name, filename: (info.filename ?? name).slice(0, 256), key, size });
            },
            (e: unknown) => {
              stream.resume();
              fail(e);
            },
          ),
        );
      });
      bb.on('partsLimit', () => fail(new Refusal(413, 'too many form parts')));
      bb.on('filesLimit', () => fail(new Refusal(413, `more than ${limits.maxAttachments} attachments`)));
      bb.on('fieldsLimit', () => fail(new Refusal(413, `more than ${limits.maxFields} fields`)));
      bb.on('error', (e: unknown) => fail(new Refusal(400, `malformed multipart/form-data: ${e instanceof Error ? e.message : String(e)}`)));
      bb.on('close', () => {
        void Promise.all(puts).then(() => {
          if (failed) return;
          if (!dump) return fail(new Refusal(400, 'no upload_file_minidump part'));
          const product = annotations.prod ?? annotations.ProductName ?? annotations.product;
          const version = annotations.ver ?? annotations.Version ?? annotations.version;
          if (!product) return fail(new Refusal(400, 'no prod (product name) field'));
          const dumpBytes = dump.head && Buffer.concat(dump.head);
          resolve({ id, product, version: version ?? '', annotations, dumpKey: dump.key, dumpSize: dump.size, attachments, receivedAt, dumpBytes });
        });
      });
      // The connection may have closed already, while the checks before this awaited: then no
      // event is coming, and waiting for the body would hold this upload (and drain) for ever.
      const gone = () => fail(new Refusal(400, 'the client closed the connection mid-upload'));
      if (req.destroyed || req.readableAborted) return gone();
      req.on('close', () => req.complete || gone());
      req.on('error', (e) => fail(new Refusal(400, `reading the request: ${e.message}`)));
      if (encoding === 'gzip') {
        const gunzip = createGunzip();
        gunzip.on('error', (e) => fail(new Refusal(400, `the gzip body is corrupt: ${e.message}`)));
        req.pipe(gunzip).pipe(bb);
      } else req.pipe(bb);
    });
  }
}

/**
 * Passes `stream` on, keeping its chunks in `entry.head` while they add up to CHECK_IN_MEMORY_BYTES
 * at most (dropped past that). The store's pipeline cannot destroy a stream behind a generator:
 * `signal` does it, so that an aborted upload ends its put (and its temporary file) too.
 */
async function* keepHead(stream: Readable, entry: { head?: Uint8Array[] }, signal: AbortSignal): AsyncIterable<Uint8Array> {
  const abort = () => stream.destroy();
  signal.addEventListener('abort', abort, { once: true });
  let kept = 0;
  try {
    for await (const chunk of stream as AsyncIterable<Uint8Array>) {
      if (entry.head) {
        kept += chunk.length;
        if (kept <= CHECK_IN_MEMORY_BYTES) entry.head.push(chunk);
        else delete entry.head;
      }
      yield chunk;
    }
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

function refusalOf(e: unknown): Refusal {
  if (e instanceof Refusal) return e;
  if (e instanceof DumpError) {
    if (e.code === 'NO_SPACE') return new Refusal(507, e.message);
    if (e.code === 'BUSY') return new Refusal(503, e.message, 5);
    return new Refusal(500, e.message);
  }
  if (e instanceof Error && e.name === 'AbortError') return new Refusal(400, 'upload aborted');
  throw e;
}

function refuse(req: IncomingMessage, res: ServerResponse, r: Refusal): void {
  // The rest of the body is not read: tell the client the connection ends here.
  const headers: Record<string, string> = { connection: 'close' };
  if (r.retryAfter !== undefined) headers['retry-after'] = String(r.retryAfter);
  if (!res.headersSent) sendText(res, r.status, `${r.message}\n`, headers);
  req.unpipe();
  req.resume();
}
