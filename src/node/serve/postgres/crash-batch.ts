// Group commit for the collectors' inserts. Each accepted upload needs its crash row and its job
// committed before the client is told `CrashID=…`; one transaction per upload costs a WAL flush
// and five round trips each, which bounded a collector long before its CPU did. Here the uploads
// that arrive while one insert is being committed wait for it and then go together in the next
// one: a single statement (crashes and jobs through one CTE, one NOTIFY), so one round trip and
// one WAL flush for the whole batch. Under light load a batch is one crash and nothing waits for
// a timer; under heavy load batches grow by themselves. Every caller still gets its own answer:
// when a batch of several fails for a reason that belongs to one crash (a duplicate id, say), its
// crashes are inserted again one by one, so one bad crash never refuses the others.
import type pg from 'pg';
import { DumpError } from '../../../core/errors.js';
import type { NewCrash } from '../contract.js';
import { databaseError } from './connect.js';
import { JOBS_CHANNEL } from './job-queue.js';

/** Most crashes one statement inserts (its arrays are parameters; this keeps a statement small). */
export const MAX_BATCH = 256;

const INSERT_CRASHES = {
  name: 'dumpkit-insert-crashes-v1',
  text: `WITH c AS (
    INSERT INTO crashes (id, product, version, annotations, dump_key, dump_size, attachments, received_at)
    SELECT * FROM unnest($1::text[], $2::text[], $3::text[], $4::jsonb[], $5::text[], $6::bigint[], $7::jsonb[], $8::timestamptz[])
  ), j AS (
    INSERT INTO jobs (crash_id) SELECT id FROM unnest($1::text[]) WITH ORDINALITY AS u (id, n) ORDER BY n
  )
  SELECT pg_notify('${JOBS_CHANNEL}', '')`,
};

interface Waiting {
  crash: NewCrash;
  resolve(): void;
  reject(e: unknown): void;
}

/** Errors every crash of a batch would meet alike (no point in trying them one by one). */
function sharedFailure(e: unknown): boolean {
  return e instanceof DumpError && (e.code === 'BUSY' || e.code === 'NO_SPACE');
}

export class CrashInsertBatcher {
  private waiting: Waiting[] = [];
  private running = false;
  /** Batches committed and crashes in them (for tests and the bench). */
  readonly stats = { batches: 0, crashes: 0, largest: 0 };

  constructor(private readonly pool: pg.Pool) {}

  /** Resolves once `crash` and its job are committed; rejects with the contract's errors. */
  insert(crash: NewCrash): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      this.waiting.push({ crash, resolve, reject });
      if (!this.running) void this.run();
    });
  }

  private async run(): Promise<void> {
    this.running = true;
    try {
      while (this.waiting.length) {
        const batch = this.waiting.splice(0, MAX_BATCH);
        try {
          await this.insertMany(batch.map((w) => w.crash));
          for (const w of batch) w.resolve();
        } catch (e) {
          if (batch.length === 1 || sharedFailure(e)) {
            for (const w of batch) w.reject(e);
            continue;
          }
          for (const w of batch) await this.insertMany([w.crash]).then(w.resolve, w.reject);
        }
      }
    } finally {
      this.running = false;
    }
  }

  private async insertMany(crashes: NewCrash[]): Promise<void> {
    const what = crashes.length === 1 ? `storing crash ${crashes[0]!.id}` : `storing ${crashes.length} crashes`;
    try {
      await this.pool.query({
        ...INSERT_CRASHES,
        values: [
          crashes.map((c) => c.id),
          crashes.map((c) => c.product),
          crashes.map((c) => c.version),
          crashes.map((c) => JSON.stringify(c.annotations)),
          crashes.map((c) => c.dumpKey),
          crashes.map((c) => c.dumpSize),
          crashes.map((c) => JSON.stringify(c.attachments)),
          crashes.map((c) => c.receivedAt.toISOString()),
        ],
      });
    } catch (e) {
      throw databaseError(e, what);
    }
    this.stats.batches++;
    this.stats.crashes += crashes.length;
    this.stats.largest = Math.max(this.stats.largest, crashes.length);
  }
}
