// The processing queue on PostgreSQL: a table of jobs taken with SELECT … FOR UPDATE SKIP LOCKED,
// so any number of processors on any number of machines share it without taking a job twice.
// A taken job is leased until `lease_until`; a processor that dies loses the lease and the next
// take() picks the job up again (at-least-once). LISTEN/NOTIFY wakes waiting processors at once;
// a short poll covers a lost notification. The crash insert and its job go in one transaction
// (PostgresCrashDatabase.insertCrash, through crash-batch.ts, inserts both in one statement).
import type pg from 'pg';
import type { CrashId, Job, JobQueue } from '../contract.js';
import { DumpError } from '../../../core/errors.js';
import { databaseError, query } from './connect.js';

export const JOBS_CHANNEL = 'dumpkit_jobs';

/** How often waiters look at the table while no LISTEN connection is up (ms). */
const UNLISTENED_POLL_MS = 250;

export interface PostgresJobQueueOptions {
  /** Attempts before a job is dead (fail() and lost leases both count). Default 5. */
  maxAttempts?: number;
  /** Delay before a failed job is tried again, times the attempt number (ms). Default 2000. */
  retryDelayMs?: number;
  /**
   * Longest sleep between two looks at the table while waiting and listening (ms). Default 2000:
   * NOTIFY wakes waiters at once; this is for the jobs no notification announces (a retry's delay
   * or a lease running out). While the LISTEN connection is not up, waiters look every 250 ms.
   */
  pollMs?: number;
  /** depth() answers from a count this old at most (ms), so that busy collectors do not count per request. Default 200. */
  depthCacheMs?: number;
}

/** Inserts a job for `crashId` and notifies waiting processors (on the caller's connection, in its transaction). */
export async function insertJob(c: pg.Pool | pg.PoolClient, crashId: CrashId): Promise<void> {
  try {
    await c.query('INSERT INTO jobs (crash_id) VALUES ($1)', [crashId]);
    await c.query(`NOTIFY ${JOBS_CHANNEL}`);
  } catch (e) {
    throw databaseError(e, `enqueueing ${crashId}`);
  }
}

/**
 * complete() and fail() while the database is unreachable (BUSY): the job stays leased, and its
 * lease running out gives it to the next take() — the at-least-once path a dead worker takes, so
 * the worker goes on instead of failing on a job it cannot report.
 */
async function leaveToLease(done: Promise<unknown>): Promise<void> {
  try {
    await done;
  } catch (e) {
    if (!(e instanceof DumpError && e.code === 'BUSY')) throw e;
  }
}

export class PostgresJobQueue implements JobQueue {
  private readonly maxAttempts: number;
  private readonly retryDelayMs: number;
  private readonly pollMs: number;
  private readonly depthCacheMs: number;
  private listener: pg.PoolClient | undefined;
  private listening: Promise<void> | undefined;
  private wakers = new Set<() => void>();
  private depthCache: { at: number; value: Promise<number> } | undefined;
  /** NOTIFYs received so far (a take that sees this change while it looks does not go to sleep). */
  private notifications = 0;
  private closed = false;

  constructor(private readonly pool: pg.Pool, opts: PostgresJobQueueOptions = {}) {
    this.maxAttempts = opts.maxAttempts ?? 5;
    this.retryDelayMs = opts.retryDelayMs ?? 2000;
    this.pollMs = opts.pollMs ?? 2000;
    this.depthCacheMs = opts.depthCacheMs ?? 200;
  }

  async enqueue(crashId: CrashId): Promise<void> {
    await insertJob(this.pool, crashId);
  }

  async take(opts: { leaseMs: number; waitMs: number; signal?: AbortSignal }): Promise<Job | undefined> {
    const until = Date.now() + Math.max(0, opts.waitMs);
    for (;;) {
      if (this.closed || opts.signal?.aborted) return undefined;
      const seen = this.notifications;
      const job = await this.claim(opts.leaseMs);
      if (job) return job;
      const left = until - Date.now();
      if (left <= 0) return undefined;
      if (this.notifications !== seen) continue; // a job was announced while claim() looked
      this.listen();
      await this.sleep(Math.min(left, this.listener ? this.pollMs : Math.min(this.pollMs, UNLISTENED_POLL_MS)), opts.signal);
    }
  }

  /** Takes the oldest ready job (or one whose lease ran out), leasing it for `leaseMs`. */
  private async claim(leaseMs: number): Promise<Job | undefined> {
    // jobs whose workers lost the lease maxAttempts times are dead: their crash is marked failed
    await query(this.pool, 'taking a job',
      `WITH dead AS (
         UPDATE jobs SET state = 'dead', lease_until = NULL,
                last_error = 'processing did not finish in ' || attempt || ' attempts (the worker stopped or its lease ran out)'
          WHERE state = 'active' AND lease_until < now() AND attempt >= $1
          RETURNING crash_id, last_error)
       UPDATE crashes c SET state = 'failed', error = dead.last_error
         FROM dead WHERE c.id = dead.crash_id AND c.state = 'received'`,
      [this.maxAttempts],
    );
    const r = await query<{ id: string; crash_id: string; attempt: number }>(this.pool, 'taking a job',
      `UPDATE jobs SET state = 'active', attempt = attempt + 1, lease_until = now() + $1 * interval '1 millisecond'
        WHERE id = (SELECT id FROM jobs
                     WHERE (state = 'ready' AND run_after <= now()) OR (state = 'active' AND lease_until < now())
                     ORDER BY id LIMIT 1 FOR UPDATE SKIP LOCKED)
        RETURNING id, crash_id, attempt`,
      [Math.max(1, Math.round(leaseMs))],
    );
    const row = r.rows[0];
    return row ? { id: row.id, crashId: row.crash_id, attempt: row.attempt } : undefined;
  }

  async complete(job: Job): Promise<void> {
    // only the holder of this attempt's lease removes the job: a worker whose lease ran out and
    // was taken over does not cut the new holder's work short
    await leaveToLease(query(this.pool, `completing job ${job.id}`, 'DELETE FROM jobs WHERE id = $1 AND attempt = $2', [job.id, job.attempt]));
  }

  async fail(job: Job, error: string): Promise<void> {
    await leaveToLease(query(this.pool, `failing job ${job.id}`,
      `UPDATE jobs SET state = CASE WHEN attempt >= $3 THEN 'dead' ELSE 'ready' END,
              lease_until = NULL, last_error = $4,
              run_after = now() + ($5 * attempt) * interval '1 millisecond'
        WHERE id = $1 AND attempt = $2 AND state = 'active'`,
      [job.id, job.attempt, this.maxAttempts, error.slice(0, 4000), this.retryDelayMs],
    ));
  }

  async depth(): Promise<number> {
    const now = Date.now();
    if (!this.depthCache || now - this.depthCache.at > this.depthCacheMs) {
      const value = query<{ n: string }>(this.pool, 'counting jobs', `SELECT count(*) AS n FROM jobs WHERE state IN ('ready', 'active')`)
        .then((r) => Number(r.rows[0]!.n));
      this.depthCache = { at: now, value };
      value.catch(() => { if (this.depthCache?.value === value) this.depthCache = undefined; });
    }
    return this.depthCache.value;
  }

  /** Jobs that ran out of attempts (for the CLI and the tests). */
  async deadJobs(): Promise<{ crashId: CrashId; attempt: number; error: string | null }[]> {
    const r = await query<{ crash_id: string; attempt: number; last_error: string | null }>(this.pool, 'listing dead jobs',
      `SELECT crash_id, attempt, last_error FROM jobs WHERE state = 'dead' ORDER BY id`,
    );
    return r.rows.map((x) => ({ crashId: x.crash_id, attempt: x.attempt, error: x.last_error }));
  }

  async close(): Promise<void> {
    this.closed = true;
    for (const w of this.wakers) w();
    const l = this.listener;
    this.listener = undefined;
    if (l) {
      l.removeAllListeners('notification');
      l.release(true);
    }
  }

  /** Opens the LISTEN connection once; on failure waiting falls back to polling until the next try. */
  private listen(): void {
    if (this.listener || this.listening || this.closed) return;
    this.listening = (async () => {
      const c = await this.pool.connect();
      c.on('notification', () => this.wake());
      c.on('error', () => {
        // the server went away: drop this connection and listen again on the next wait
        if (this.listener === c) this.listener = undefined;
        c.release(true);
      });
      await c.query(`LISTEN ${JOBS_CHANNEL}`);
      if (this.closed) c.release(true);
      else this.listener = c;
    })()
      .catch(() => undefined)
      .finally(() => { this.listening = undefined; });
  }

  private wake(): void {
    this.notifications++;
    for (const w of this.wakers) w();
  }

  private sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise((resolve) => {
      const done = (): void => {
        clearTimeout(t);
        this.wakers.delete(done);
        signal?.removeEventListener('abort', done);
        resolve();
      };
      const t = setTimeout(done, ms);
      this.wakers.add(done);
      signal?.addEventListener('abort', done, { once: true });
    });
  }
}
