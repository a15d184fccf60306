// S3ObjectStore: the scale-out deployment's ObjectStore on Amazon S3 or any S3-compatible store,
// through the official AWS SDK v3. `--objects s3://bucket[/prefix]?endpoint=http://host:port&region=…`
// (credentials: the SDK's usual chain: AWS_ACCESS_KEY_ID/AWS_SECRET_ACCESS_KEY, profiles, roles).
// Atomic by S3's nature: a PutObject or a completed multipart upload appears whole or not at all;
// lib-storage's Upload streams bodies in parts of `partSize` (never the whole dump in memory) and
// aborts the multipart upload on error, so a broken upload leaves nothing visible. A new key is
// written with If-None-Match: * (stores without conditional writes: a HEAD first narrows the race).
import {
  DeleteObjectCommand, GetObjectCommand, HeadObjectCommand, ListObjectsV2Command, S3Client, type S3ClientConfig,
} from '@aws-sdk/client-s3';
import { Upload } from '@aws-sdk/lib-storage';
import { Readable } from 'node:stream';
import { DumpError } from '../../../core/errors.js';
import type { ObjectStore } from '../contract.js';
import { checkObjectKey } from '../object-keys.js';

export interface S3Location {
  bucket: string;
  /** Key prefix inside the bucket ('' or ending in '/'). */
  prefix: string;
  config: S3ClientConfig;
}

/** Parses `s3://bucket[/prefix]?endpoint=…&region=…&path-style=true|false`. */
export function parseS3Url(spec: string): S3Location {
  let u: URL;
  try {
    u = new URL(spec);
  } catch {
    throw new DumpError('INVALID_ARGUMENT', `--objects ${spec}: not a URL`);
  }
  if (u.protocol !== 's3:' || !u.hostname) throw new DumpError('INVALID_ARGUMENT', `--objects ${spec}: want s3://bucket[/prefix]?endpoint=…`);
  const known = new Set(['endpoint', 'region', 'path-style']);
  for (const k of u.searchParams.keys()) if (!known.has(k)) throw new DumpError('INVALID_ARGUMENT', `--objects ${spec}: unknown parameter ${k} (known: ${[...known].join(', ')})`);
  const prefix = decodeURIComponent(u.pathname).replace(/^\/+/, '').replace(/\/*$/, '');
  if (prefix) checkObjectKey(prefix);
  const endpoint = u.searchParams.get('endpoint') ?? undefined;
  const pathStyle = u.searchParams.get('path-style');
  const config: S3ClientConfig = {
    region: u.searchParams.get('region') ?? process.env.AWS_REGION ?? process.env.AWS_DEFAULT_REGION ?? 'us-east-1',
    // S3-compatible servers name buckets in the path; AWS itself in the host name
    forcePathStyle: pathStyle !== null ? pathStyle === 'true' : endpoint !== undefined,
    // checksums only where S3 requires them: many S3-compatible servers reject the newer defaults
    requestChecksumCalculation: 'WHEN_REQUIRED',
    responseChecksumValidation: 'WHEN_REQUIRED',
    maxAttempts: 3,
  };
  if (endpoint !== undefined) config.endpoint = endpoint;
  return { bucket: u.hostname, prefix: prefix ? `${prefix}/` : '', config };
}

function status(e: unknown): number | undefined {
  return (e as { $metadata?: { httpStatusCode?: number } }).$metadata?.httpStatusCode;
}

function errName(e: unknown): string {
  return (e as { name?: unknown }).name as string ?? '';
}

/** The contract's errors: unreachable or throttling → BUSY (503 upstream); a failed If-None-Match → REFUSED. */
function storeError(e: unknown, what: string): unknown {
  if (e instanceof DumpError) return e;
  const s = status(e);
  const name = errName(e);
  const code = (e as { code?: unknown }).code;
  if (s === 412 || name === 'PreconditionFailed') return new DumpError('REFUSED', `${what}: the object exists`);
  if (s === 503 || s === 500 || name === 'SlowDown' || name === 'TimeoutError'
    || (typeof code === 'string' && ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code))) {
    return new DumpError('BUSY', `${what}: the object store is unreachable for now (${name || code || s})`);
  }
  return e;
}

function notFound(e: unknown): boolean {
  const name = errName(e);
  return status(e) === 404 || name === 'NoSuchKey' || name === 'NotFound';
}

export class S3ObjectStore implements ObjectStore {
  readonly client: S3Client;
  readonly bucket: string;
  readonly prefix: string;

  constructor(location: S3Location, private readonly partSize = 5 * 1024 * 1024) {
    this.client = new S3Client(location.config);
    this.bucket = location.bucket;
    this.prefix = location.prefix;
  }

  static fromUrl(spec: string): S3ObjectStore {
    return new S3ObjectStore(parseS3Url(spec));
  }

  private key(key: string): string {
    checkObjectKey(key);
    return this.prefix + key;
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array> | Uint8Array, opts: { overwrite?: boolean; signal?: AbortSignal } = {}): Promise<{ size: number }> {
    const Key = this.key(key);
    const what = `storing ${key}`;
    if (!opts.overwrite && (await this.exists(Key, what))) throw new DumpError('REFUSED', `object ${key} exists`);
    let size = 0;
    const counted = Readable.from((async function* count() {
      const chunks = body instanceof Uint8Array ? [body] : body;
      for await (const c of chunks as AsyncIterable<Uint8Array>) {
        size += c.length;
        yield c;
      }
    })(), { objectMode: false });
    const upload = new Upload({
      client: this.client,
      params: { Bucket: this.bucket, Key, Body: counted, ...(opts.overwrite ? {} : { IfNoneMatch: '*' }) },
      partSize: this.partSize,
      queueSize: 2,
      leavePartsOnError: false,
    });
    const onAbort = (): void => void upload.abort();
    opts.signal?.addEventListener('abort', onAbort, { once: true });
    try {
      if (opts.signal?.aborted) throw opts.signal.reason ?? new Error('aborted');
      await upload.done();
    } catch (e) {
      counted.destroy();
      throw storeError(e, what);
    } finally {
      opts.signal?.removeEventListener('abort', onAbort);
    }
    if (opts.signal?.aborted) {
      // aborted after the last part went: the object is complete, but the caller gave up on it
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key })).catch(() => undefined);
      throw opts.signal.reason ?? new Error('aborted');
    }
    return { size };
  }

  private async exists(Key: string, what: string): Promise<boolean> {
    try {
      await this.client.send(new HeadObjectCommand({ Bucket: this.bucket, Key }));
      return true;
    } catch (e) {
      if (notFound(e)) return false;
      throw storeError(e, what);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    const r = await this.getStream(key);
    if (!r) return undefined;
    const parts: Buffer[] = [];
    for await (const c of r) parts.push(c as Buffer);
    return new Uint8Array(Buffer.concat(parts));
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const Key = this.key(key);
    try {
      const r = await this.client.send(new GetObjectCommand({ Bucket: this.bucket, Key }));
      return r.Body as Readable;
    } catch (e) {
      if (notFound(e)) return undefined;
      throw storeError(e, `reading ${key}`);
    }
  }

  async delete(key: string): Promise<void> {
    const Key = this.key(key);
    try {
      await this.client.send(new DeleteObjectCommand({ Bucket: this.bucket, Key }));
    } catch (e) {
      if (!notFound(e)) throw storeError(e, `deleting ${key}`);
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    let ContinuationToken: string | undefined;
    do {
      let r;
      try {
        r = await this.client.send(new ListObjectsV2Command({ Bucket: this.bucket, Prefix: this.prefix + prefix, ContinuationToken }));
      } catch (e) {
        throw storeError(e, `listing ${prefix}`);
      }
      // S3 lists keys in UTF-8 binary order, which is the order asked for
      for (const o of r.Contents ?? []) if (o.Key !== undefined) yield o.Key.slice(this.prefix.length);
      ContinuationToken = r.IsTruncated ? r.NextContinuationToken : undefined;
    } while (ContinuationToken);
  }

  /** S3 has no bound the collector could check: undefined. */
  async freeBytes(): Promise<number | undefined> {
    return undefined;
  }

  close(): void {
    this.client.destroy();
  }
}
