// The embedded deployment's CrashDatabase and JobQueue: one SQLite file (better-sqlite3, WAL mode)
// shared by both, so that recording a crash and enqueueing its job is one transaction. Leases are
// timestamps: a job whose lease has passed is taken again (at-least-once).
import Database from 'better-sqlite3';
import { EventEmitter } from 'node:events';
import { DumpError } from '../../../core/errors.js';
import type { CrashDatabase, CrashId, CrashQuery, CrashRow, Job, JobQueue, NewCrash, ProcessedCrash, SignatureCount } from '../contract.js';
import { moduleNamesOf, signatureCounts, type SignatureRow } from '../crash-rows.js';

const SCHEMA = `
CREATE TABLE IF NOT EXISTS crashes (
  id TEXT PRIMARY KEY,
  product TEXT NOT NULL,
  version TEXT NOT NULL,
  annotations TEXT NOT NULL,
  dump_key TEXT NOT NULL,
  dump_size INTEGER NOT NULL,
  attachments TEXT NOT NULL,
  received_at INTEGER NOT NULL,
  state TEXT NOT NULL,
  processed_at INTEGER,
  signature TEXT,
  error TEXT,
  processed TEXT,
  modules TEXT
);
CREATE INDEX IF NOT EXISTS crashes_received ON crashes(received_at);
CREATE INDEX IF NOT EXISTS crashes_signature ON crashes(signature, received_at);
CREATE INDEX IF NOT EXISTS crashes_product ON crashes(product, version, received_at);
CREATE TABLE IF NOT EXISTS jobs (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  crash_id TEXT NOT NULL,
  attempt INTEGER NOT NULL DEFAULT 0,
  lease_until INTEGER NOT NULL DEFAULT 0,
  dead INTEGER NOT NULL DEFAULT 0,
  error TEXT
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs(dead, lease_until, id);
CREATE TABLE IF NOT EXISTS symbols (
  debug_file TEXT NOT NULL,
  debug_id TEXT NOT NULL,
  key TEXT NOT NULL,
  PRIMARY KEY (debug_file, debug_id)
);
`;

interface Row {
  id: string;
  product: string;
  version: string;
  annotations: string;
  dump_key: string;
  dump_size: number;
  attachments: string;
  received_at: number;
  state: CrashRow['state'];
  processed_at: number | null;
  signature: string | null;
  error: string | null;
  processed: string | null;
}

function rowOf(r: Row): CrashRow {
  return {
    id: r.id,
    product: r.product,
    version: r.version,
    annotations: JSON.parse(r.annotations) as Record<string, string>,
    dumpKey: r.dump_key,
    dumpSize: r.dump_size,
    attachments: JSON.parse(r.attachments) as CrashRow['attachments'],
    receivedAt: new Date(r.received_at),
    state: r.state,
    processedAt: r.processed_at === null ? null : new Date(r.processed_at),
    signature: r.signature,
    error: r.error,
    processed: r.processed === null ? null : (JSON.parse(r.processed) as ProcessedCrash),
  };
}

/** SQLite errors the HTTP parts answer with 507 (full) or 503 (busy, locked). */
function mapSqliteError(e: unknown): never {
  const code = (e as { code?: unknown }).code;
  if (typeof code === 'string' && code.startsWith('SQLITE_FULL')) throw new DumpError('NO_SPACE', `the crash database is full (${code})`);
  if (typeof code === 'string' && (code.startsWith('SQLITE_BUSY') || code.startsWith('SQLITE_LOCKED'))) throw new DumpError('BUSY', `the crash database is busy (${code})`);
  throw e;
}

/** Runs one synchronous better-sqlite3 call with its errors mapped (full → NO_SPACE, busy → BUSY). */
function sql<T>(fn: () => T): T {
  try {
    return fn();
  } catch (e) {
    return mapSqliteError(e);
  }
}

/** Opens (creating when needed) the SQLite file both parts share. */
export function openSqlite(path: string): Database.Database {
  const db = new Database(path);
  db.pragma('journal_mode = WAL');
  db.pragma('synchronous = NORMAL'); // WAL + NORMAL: a committed transaction survives a process crash
  db.pragma('busy_timeout = 5000');
  db.pragma('foreign_keys = ON');
  db.exec(SCHEMA);
  return db;
}

export class SqliteCrashDatabase implements CrashDatabase {
  private readonly insert;
  private readonly insertJob;
  private readonly insertTx;

  constructor(
    private readonly db: Database.Database,
    private readonly queue: SqliteJobQueue,
  ) {
    this.insert = db.prepare(
      `INSERT INTO crashes (id, product, version, annotations, dump_key, dump_size, attachments, received_at, state)
       VALUES (@id, @product, @version, @annotations, @dump_key, @dump_size, @attachments, @received_at, 'received')`,
    );
    this.insertJob = db.prepare('INSERT INTO jobs (crash_id) VALUES (?)');
    this.insertTx = db.transaction((c: NewCrash) => {
      this.insert.run({
        id: c.id,
        product: c.product,
        version: c.version,
        annotations: JSON.stringify(c.annotations),
        dump_key: c.dumpKey,
        dump_size: c.dumpSize,
        attachments: JSON.stringify(c.attachments),
        received_at: c.receivedAt.getTime(),
      });
      this.insertJob.run(c.id);
    });
  }

  async insertCrash(crash: NewCrash): Promise<void> {
    sql(() => {
      this.insertTx(crash);
    });
    this.queue.wakeWaiting();
  }

  async getCrash(id: CrashId): Promise<CrashRow | undefined> {
    const r = this.db.prepare('SELECT * FROM crashes WHERE id = ?').get(id) as Row | undefined;
    return r && rowOf(r);
  }

  async storeProcessed(id: CrashId, result: ProcessedCrash): Promise<void> {
    sql(() => {
      this.db
        .prepare(`UPDATE crashes SET state = 'processed', processed_at = ?, signature = ?, error = NULL, processed = ?, modules = ? WHERE id = ?`)
        .run(Date.now(), result.signature, JSON.stringify(result), moduleNamesOf(result), id);
    });
  }

  async storeFailed(id: CrashId, error: string): Promise<void> {
    sql(() => this.db.prepare(`UPDATE crashes SET state = 'failed', processed_at = ?, error = ? WHERE id = ? AND state != 'processed'`).run(Date.now(), error, id));
  }

  private where(q: Omit<CrashQuery, 'limit' | 'offset'>): { sql: string; args: unknown[] } {
    const cond: string[] = [];
    const args: unknown[] = [];
    if (q.product !== undefined) (cond.push('product = ?'), args.push(q.product));
    if (q.version !== undefined) (cond.push('version = ?'), args.push(q.version));
    if (q.signature !== undefined) (cond.push('signature = ?'), args.push(q.signature));
    if (q.module !== undefined) (cond.push("instr(modules, ?) > 0"), args.push(`\n${q.module.toLowerCase()}\n`));
    if (q.from !== undefined) (cond.push('received_at >= ?'), args.push(q.from.getTime()));
    if (q.to !== undefined) (cond.push('received_at < ?'), args.push(q.to.getTime()));
    if (q.state !== undefined) (cond.push('state = ?'), args.push(q.state));
    return { sql: cond.length ? `WHERE ${cond.join(' AND ')}` : '', args };
  }

  async findCrashes(q: CrashQuery): Promise<CrashRow[]> {
    const w = this.where(q);
    const rows = this.db
      .prepare(`SELECT * FROM crashes ${w.sql} ORDER BY received_at DESC, id LIMIT ? OFFSET ?`)
      .all(...w.args, Math.min(q.limit ?? 100, 10_000), q.offset ?? 0) as Row[];
    return rows.map(rowOf);
  }

  async signatures(q: { product?: string; version?: string; from?: Date; to?: Date; limit?: number }): Promise<SignatureCount[]> {
    const w = this.where({ ...q, state: 'processed' });
    const rows = this.db
      .prepare(
        `SELECT signature, version, strftime('%Y-%m-%d', received_at / 1000, 'unixepoch') AS day, count(*) AS n,
                min(received_at) AS first, max(received_at) AS last
         FROM crashes ${w.sql} GROUP BY signature, version, day`,
      )
      .all(...w.args) as SignatureRow[];
    return signatureCounts(rows, q.limit ?? 100);
  }

  async prune(opts: { before?: Date; keepPerSignature?: number }): Promise<string[]> {
    const doomed: { id: string; dump_key: string; attachments: string }[] = [];
    if (opts.before) doomed.push(...(this.db.prepare('SELECT id, dump_key, attachments FROM crashes WHERE received_at < ?').all(opts.before.getTime()) as typeof doomed));
    if (opts.keepPerSignature !== undefined) {
      doomed.push(
        ...(this.db
          .prepare(
            `SELECT id, dump_key, attachments FROM (
               SELECT id, dump_key, attachments, row_number() OVER (PARTITION BY signature ORDER BY received_at DESC, id) AS k
               FROM crashes WHERE signature IS NOT NULL) WHERE k > ?`,
          )
          .all(opts.keepPerSignature) as typeof doomed),
      );
    }
    const keys = new Set<string>();
    const del = this.db.prepare('DELETE FROM crashes WHERE id = ?');
    const delJobs = this.db.prepare('DELETE FROM jobs WHERE crash_id = ?');
    this.db.transaction(() => {
      for (const d of doomed) {
        del.run(d.id);
        delJobs.run(d.id);
        keys.add(d.dump_key);
        for (const a of JSON.parse(d.attachments) as { key: string }[]) keys.add(a.key);
      }
    })();
    return [...keys];
  }

  async putSymbolFile(debugFile: string, debugId: string, key: string): Promise<void> {
    sql(() => {
      this.db.prepare('INSERT OR REPLACE INTO symbols (debug_file, debug_id, key) VALUES (?, ?, ?)').run(debugFile, debugId.toUpperCase(), key);
    });
  }

  async symbolKey(debugFile: string, debugId: string): Promise<string | undefined> {
    const r = this.db.prepare('SELECT key FROM symbols WHERE debug_file = ? AND debug_id = ?').get(debugFile, debugId.toUpperCase()) as { key: string } | undefined;
    return r?.key;
  }

  async close(): Promise<void> {
  }
}

export interface SqliteJobQueueOptions {
  /**
   * How often a waiting `take` looks at the table by itself (ms, default 2000): for jobs that no
   * wake-up announces — enqueued by another process (`serve reprocess`), retried after a delay,
   * or left by a worker whose lease ran out. Jobs enqueued in this process wake waiters at once.
   */
  pollMs?: number;
  /** Attempts before a job is marked dead (its crash 'failed'). */
  maxAttempts?: number;
}

/**
 * Wake-ups between the queues of one SQLite file in one process: the collector's insert in the
 * main thread wakes the processing threads (each has its own connection and queue object), so
 * that idle threads sleep instead of polling the table.
 */
function wakeChannel(db: Database.Database): BroadcastChannel | undefined {
  if (db.memory) return undefined;
  const channel = new BroadcastChannel(`dumpkit-serve-jobs:${db.name}`);
  (channel as BroadcastChannel & { unref(): void }).unref(); // never what keeps a process alive
  return channel;
}

export class SqliteJobQueue implements JobQueue {
  /** 'job' when a job is enqueued (here, or by another thread of this process on the same file). */
  private readonly wake = new EventEmitter();
  private readonly channel: BroadcastChannel | undefined;
  private readonly maxAttempts: number;
  private readonly pollMs: number;
  private readonly takeStmt;

  constructor(
    private readonly db: Database.Database,
    opts: SqliteJobQueueOptions = {},
  ) {
    this.wake.setMaxListeners(0);
    this.channel = wakeChannel(db);
    if (this.channel) this.channel.onmessage = () => this.wake.emit('job');
    this.maxAttempts = opts.maxAttempts ?? 3;
    this.pollMs = opts.pollMs ?? 2000;
    this.takeStmt = db.prepare(
      `UPDATE jobs SET attempt = attempt + 1, lease_until = @until
       WHERE id = (SELECT id FROM jobs WHERE dead = 0 AND lease_until <= @now ORDER BY lease_until, id LIMIT 1)
       RETURNING id, crash_id, attempt`,
    );
  }

  async enqueue(crashId: CrashId): Promise<void> {
    sql(() => {
      this.db.prepare('INSERT INTO jobs (crash_id) VALUES (?)').run(crashId);
    });
    this.wakeWaiting();
  }

  /** Wakes the takes waiting in this thread and in the other threads' queues on this file. */
  wakeWaiting(): void {
    this.wake.emit('job');
    this.channel?.postMessage('job');
  }

  private takeNow(leaseMs: number): Job | undefined {
    const now = Date.now();
    const r = this.takeStmt.get({ now, until: now + leaseMs }) as { id: number; crash_id: string; attempt: number } | undefined;
    return r && { id: String(r.id), crashId: r.crash_id, attempt: r.attempt };
  }

  async take(opts: { leaseMs: number; waitMs: number; signal?: AbortSignal }): Promise<Job | undefined> {
    const deadline = Date.now() + opts.waitMs;
    for (;;) {
      if (opts.signal?.aborted) return undefined;
      const job = sql(() => this.takeNow(opts.leaseMs));
      if (job) return job;
      const left = deadline - Date.now();
      if (left <= 0) return undefined;
      await new Promise<void>((resolve) => {
        const done = () => {
          clearTimeout(timer);
          this.wake.off('job', done);
          opts.signal?.removeEventListener('abort', done);
          resolve();
        };
        const timer = setTimeout(done, Math.min(left, this.pollMs));
        this.wake.once('job', done);
        opts.signal?.addEventListener('abort', done, { once: true });
      });
    }
  }

  async complete(job: Job): Promise<void> {
    sql(() => this.db.prepare('DELETE FROM jobs WHERE id = ?').run(Number(job.id)));
  }

  async fail(job: Job, error: string): Promise<void> {
    sql(() =>
      job.attempt >= this.maxAttempts
        ? this.db.prepare('UPDATE jobs SET dead = 1, error = ? WHERE id = ?').run(error, Number(job.id))
        : this.db.prepare('UPDATE jobs SET lease_until = ?, error = ? WHERE id = ?').run(Date.now() + 1000 * 2 ** job.attempt, error, Number(job.id)),
    );
  }

  async depth(): Promise<number> {
    const r = this.db.prepare('SELECT count(*) AS n FROM jobs WHERE dead = 0').get() as { n: number };
    return r.n;
  }

  async close(): Promise<void> {
    this.channel?.close();
    this.wake.emit('job');
  }
}
