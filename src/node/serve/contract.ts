// The seams of `dumpkit serve` (issue #13): one code base, two deployments.
//   embedded (default): one process, `--data DIR`: FileObjectStore + SQLite (better-sqlite3) for
//                       CrashDatabase and JobQueue;
//   scale-out:          `--database postgres://…`: PostgreSQL for CrashDatabase and JobQueue,
//                       S3-compatible (or a shared folder) for ObjectStore; `--role
//                       collector|processor|web` picks the parts one process runs.
// The collector, processor and web parts are written only against these interfaces, and one
// end-to-end test suite runs against both deployments. Meanings below are the contract: an
// implementation may add methods, never change what these mean.

import type { Readable } from 'node:stream';
import type { ByteSource } from '../../core/bytes/byte-source.js';

/** `bp-<uuid>` as Socorro's collector answers (`CrashID=bp-…`), also the id in the API. */
export type CrashId = string;

export type CrashState = 'received' | 'processed' | 'failed';

/** Keys are '/'-separated, relative, never contain '..' or start with '/'. */
export interface ObjectStore {
  /**
   * Stores `body` under `key`, atomically: readers see nothing until the whole body is stored
   * (temporary name + rename, or a completed S3 upload); on error or abort nothing is left visible.
   * Refuses to overwrite an existing key unless `overwrite`. Resolves to the bytes stored.
   */
  put(key: string, body: Readable | AsyncIterable<Uint8Array> | Uint8Array, opts?: { overwrite?: boolean; signal?: AbortSignal }): Promise<{ size: number }>;
  /** The whole object, or undefined when absent. */
  get(key: string): Promise<Uint8Array | undefined>;
  /** A stream of the object, or undefined when absent. */
  getStream(key: string): Promise<Readable | undefined>;
  delete(key: string): Promise<void>;
  /** Keys under `prefix` (ordered). */
  list(prefix: string): AsyncIterable<string>;
  /**
   * Added (serve branch): random access to an object (ranged reads), so the collector's minidump
   * check and the processor read only what they need; undefined when absent. A store without it
   * is read whole through `get`.
   */
  source?(key: string): Promise<ByteSource | undefined>;
  /** Added (serve branch): bytes still free for new objects, when the store can tell (disk-full answers 507 before writing). */
  freeBytes?(): Promise<number | undefined>;
}

export interface NewCrash {
  id: CrashId;
  product: string;
  version: string;
  /** Every annotation form field as received (prod, ver, guid, ptime, …), capped by the collector's limits. */
  annotations: Record<string, string>;
  /** ObjectStore key of the minidump, already stored. */
  dumpKey: string;
  dumpSize: number;
  /** Other file parts, already stored. */
  attachments: { field: string; filename: string; key: string; size: number }[];
  receivedAt: Date;
}

/** What the processor stores: the API's `processed` object (JSON-safe: addresses as "0x…" strings). */
export interface ProcessedCrash {
  signature: string;
  crashReason: string | null;
  crashAddress: string | null;
  crashingThread: number | null;
  /** The crashing thread's frames, in rust-minidump JSON's frame shape. */
  frames: Record<string, unknown>[];
  /** Module names that lack symbols, for re-processing once symbols arrive. */
  missingSymbols: string[];
  /** The whole processor output (rust-minidump JSON shape), for the detail page. */
  json: Record<string, unknown>;
}

export interface CrashRow extends NewCrash {
  state: CrashState;
  processedAt: Date | null;
  signature: string | null;
  error: string | null;
  processed: ProcessedCrash | null;
}

export interface CrashQuery {
  product?: string;
  version?: string;
  signature?: string;
  /** Crashes whose processed modules (or frames) name this module. */
  module?: string;
  from?: Date;
  to?: Date;
  state?: CrashState;
  limit?: number;
  offset?: number;
}

export interface SignatureCount {
  signature: string;
  count: number;
  firstSeen: Date;
  lastSeen: Date;
  /** Counts per UTC day (YYYY-MM-DD) and per version, for the chart. */
  perDay: Record<string, number>;
  perVersion: Record<string, number>;
}

export interface CrashDatabase {
  /** Records an accepted crash (state 'received') and enqueues its processing job in one transaction. */
  insertCrash(crash: NewCrash): Promise<void>;
  getCrash(id: CrashId): Promise<CrashRow | undefined>;
  /** Idempotent: storing the same crash's result twice leaves one result. */
  storeProcessed(id: CrashId, result: ProcessedCrash): Promise<void>;
  storeFailed(id: CrashId, error: string): Promise<void>;
  findCrashes(q: CrashQuery): Promise<CrashRow[]>;
  signatures(q: { product?: string; version?: string; from?: Date; to?: Date; limit?: number }): Promise<SignatureCount[]>;
  /** Retention: removes crashes older than `before`, and beyond `keepPerSignature` per signature; returns their dump/attachment keys to delete. */
  prune(opts: { before?: Date; keepPerSignature?: number }): Promise<string[]>;
  /** Symbol files by (debug file, debug id): the ObjectStore key of each. */
  putSymbolFile(debugFile: string, debugId: string, key: string): Promise<void>;
  symbolKey(debugFile: string, debugId: string): Promise<string | undefined>;
  close(): Promise<void>;
}

export interface Job {
  id: string;
  crashId: CrashId;
  attempt: number;
}

/**
 * At-least-once: a taken job is leased; a worker that dies before `complete` loses its lease after
 * `leaseMs` and the job is taken again. Results are idempotent (storeProcessed), so a redone job
 * leaves one result.
 */
export interface JobQueue {
  enqueue(crashId: CrashId): Promise<void>;
  /** Waits up to `waitMs` for a job; undefined when none. */
  take(opts: { leaseMs: number; waitMs: number; signal?: AbortSignal }): Promise<Job | undefined>;
  complete(job: Job): Promise<void>;
  /** Gives the job back for another attempt, or marks it dead after `maxAttempts`. */
  fail(job: Job, error: string): Promise<void>;
  /** Jobs waiting, for back-pressure (collectors answer 503 + Retry-After past a bound). */
  depth(): Promise<number>;
  close(): Promise<void>;
}

/**
 * Errors every implementation raises (added, serve branch), as DumpErrors with these codes, so the
 * HTTP parts answer the same way in both deployments:
 * - 'NO_SPACE': the store or database is full → the collector answers 507, nothing is half-stored;
 * - 'BUSY': the database or store is unreachable or overloaded for now → 503 + Retry-After.
 * `put` also throws 'REFUSED' when the key exists and `overwrite` is not set.
 */

/** One deployment's parts, made from the command line's options. */
export interface Deployment {
  objects: ObjectStore;
  db: CrashDatabase;
  queue: JobQueue;
  close(): Promise<void>;
}
