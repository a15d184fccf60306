// Crash metadata on PostgreSQL, for the scale-out deployment (`--database postgres://…`).
// Any number of collector, processor and web processes share it; the schema is in connect.ts.
import type pg from 'pg';
import type {
  CrashDatabase, CrashId, CrashQuery, CrashRow, NewCrash, ProcessedCrash, SignatureCount,
} from '../contract.js';
import { inTransaction, query } from './connect.js';
import { CrashInsertBatcher } from './crash-batch.js';

/** Most rows one findCrashes / signatures call returns. */
export const MAX_ROWS = 1000;

interface Row {
  id: string;
  product: string;
  version: string;
  annotations: Record<string, string>;
  dump_key: string;
  dump_size: string;
  attachments: NewCrash['attachments'];
  received_at: Date;
  state: CrashRow['state'];
  processed_at: Date | null;
  signature: string | null;
  error: string | null;
  processed: ProcessedCrash | null;
}

function toCrashRow(r: Row): CrashRow {
  return {
    id: r.id,
    product: r.product,
    version: r.version,
    annotations: r.annotations,
    dumpKey: r.dump_key,
    dumpSize: Number(r.dump_size),
    attachments: r.attachments,
    receivedAt: r.received_at,
    state: r.state,
    processedAt: r.processed_at,
    signature: r.signature,
    error: r.error,
    processed: r.processed,
  };
}

/** Module names a processed crash is found by: its modules' file names and its frames' modules, lower-case. */
export function processedModules(p: ProcessedCrash): string[] {
  const names = new Set<string>();
  const add = (v: unknown): void => {
    if (typeof v !== 'string' || v === '') return;
    const base = v.split(/[\\/]/).pop()!;
    names.add(base.toLowerCase());
  };
  const modules = (p.json as { modules?: unknown }).modules;
  if (Array.isArray(modules)) for (const m of modules) add((m as { filename?: unknown } | null)?.filename);
  for (const f of p.frames) add(f.module);
  return [...names].sort();
}

function clampLimit(n: number | undefined, dflt: number): number {
  if (n === undefined || !Number.isFinite(n)) return dflt;
  return Math.max(0, Math.min(MAX_ROWS, Math.floor(n)));
}

/** WHERE clauses (and their parameters) shared by findCrashes and signatures. */
function filters(q: CrashQuery, params: unknown[]): string[] {
  const where: string[] = [];
  const add = (sql: string, v: unknown): void => {
    params.push(v);
    where.push(sql.replace('?', `$${params.length}`));
  };
  if (q.product !== undefined) add('product = ?', q.product);
  if (q.version !== undefined) add('version = ?', q.version);
  if (q.signature !== undefined) add('signature = ?', q.signature);
  if (q.module !== undefined) add('modules @> ARRAY[?]::text[]', q.module.toLowerCase());
  if (q.from !== undefined) add('received_at >= ?', q.from);
  if (q.to !== undefined) add('received_at < ?', q.to);
  if (q.state !== undefined) add('state = ?', q.state);
  return where;
}

export class PostgresCrashDatabase implements CrashDatabase {
  readonly inserts: CrashInsertBatcher;

  constructor(private readonly pool: pg.Pool) {
    this.inserts = new CrashInsertBatcher(pool);
  }

  /** Stores the crash and its job, committed together with the other crashes arriving meanwhile. */
  insertCrash(crash: NewCrash): Promise<void> {
    return this.inserts.insert(crash);
  }

  async getCrash(id: CrashId): Promise<CrashRow | undefined> {
    const r = await query<Row>(this.pool, `reading crash ${id}`, 'SELECT * FROM crashes WHERE id = $1', [id]);
    return r.rows[0] ? toCrashRow(r.rows[0]) : undefined;
  }

  async storeProcessed(id: CrashId, result: ProcessedCrash): Promise<void> {
    await query(this.pool, `storing the result of ${id}`,
      `UPDATE crashes SET state = 'processed', processed_at = now(), signature = $2, error = NULL,
              processed = $3, modules = $4 WHERE id = $1`,
      [id, result.signature, JSON.stringify(result), processedModules(result)],
    );
  }

  async storeFailed(id: CrashId, error: string): Promise<void> {
    await query(this.pool, `storing the failure of ${id}`,
      `UPDATE crashes SET state = 'failed', processed_at = now(), error = $2 WHERE id = $1`,
      [id, error.slice(0, 4000)],
    );
  }

  async findCrashes(q: CrashQuery): Promise<CrashRow[]> {
    const params: unknown[] = [];
    const where = filters(q, params);
    params.push(clampLimit(q.limit, 100), Math.max(0, Math.floor(q.offset ?? 0)));
    const r = await query<Row>(this.pool, 'searching crashes',
      `SELECT * FROM crashes ${where.length ? `WHERE ${where.join(' AND ')}` : ''}
        ORDER BY received_at DESC, id LIMIT $${params.length - 1} OFFSET $${params.length}`,
      params,
    );
    return r.rows.map(toCrashRow);
  }

  async signatures(q: { product?: string; version?: string; from?: Date; to?: Date; limit?: number }): Promise<SignatureCount[]> {
    const params: unknown[] = [];
    const where = ['signature IS NOT NULL', ...filters(q, params)];
    params.push(clampLimit(q.limit, 100));
    const r = await query<{
      signature: string; n: string; first_seen: Date; last_seen: Date;
      per_day: Record<string, number>; per_version: Record<string, number>;
    }>(this.pool, 'counting signatures',
      `WITH c AS (SELECT signature, version, received_at FROM crashes WHERE ${where.join(' AND ')}),
            top AS (SELECT signature, count(*) AS n, min(received_at) AS first_seen, max(received_at) AS last_seen
                      FROM c GROUP BY signature ORDER BY count(*) DESC, signature LIMIT $${params.length})
       SELECT top.*,
              (SELECT jsonb_object_agg(d, k) FROM (SELECT to_char(received_at AT TIME ZONE 'UTC', 'YYYY-MM-DD') AS d, count(*) AS k
                                                     FROM c WHERE c.signature = top.signature GROUP BY 1) x) AS per_day,
              (SELECT jsonb_object_agg(v, k) FROM (SELECT version AS v, count(*) AS k
                                                     FROM c WHERE c.signature = top.signature GROUP BY 1) y) AS per_version
         FROM top ORDER BY n DESC, signature`,
      params,
    );
    return r.rows.map((x) => ({
      signature: x.signature,
      count: Number(x.n),
      firstSeen: x.first_seen,
      lastSeen: x.last_seen,
      perDay: x.per_day,
      perVersion: x.per_version,
    }));
  }

  async prune(opts: { before?: Date; keepPerSignature?: number }): Promise<string[]> {
    return inTransaction(this.pool, 'pruning crashes', async (c) => {
      const conds: string[] = [];
      const params: unknown[] = [];
      if (opts.before !== undefined) {
        params.push(opts.before);
        conds.push(`id IN (SELECT id FROM crashes WHERE received_at < $${params.length})`);
      }
      if (opts.keepPerSignature !== undefined) {
        params.push(Math.max(0, Math.floor(opts.keepPerSignature)));
        conds.push(`id IN (SELECT id FROM (SELECT id, row_number() OVER (PARTITION BY signature ORDER BY received_at DESC, id) AS rank
                                              FROM crashes WHERE signature IS NOT NULL) ranked
                            WHERE rank > $${params.length})`);
      }
      if (conds.length === 0) return [];
      const r = await c.query<{ id: string; dump_key: string; attachments: NewCrash['attachments'] }>(
        `DELETE FROM crashes WHERE ${conds.join(' OR ')} RETURNING id, dump_key, attachments`,
        params,
      );
      if (r.rows.length) await c.query('DELETE FROM jobs WHERE crash_id = ANY($1)', [r.rows.map((x) => x.id)]);
      return r.rows.flatMap((x) => [x.dump_key, ...x.attachments.map((a) => a.key)]);
    });
  }

  async putSymbolFile(debugFile: string, debugId: string, key: string): Promise<void> {
    await query(this.pool, `recording symbols ${debugFile}/${debugId}`,
      `INSERT INTO symbol_files (debug_file, debug_id, key) VALUES ($1, $2, $3)
       ON CONFLICT (debug_file, debug_id) DO UPDATE SET key = EXCLUDED.key`,
      [debugFile, debugId, key],
    );
  }

  async symbolKey(debugFile: string, debugId: string): Promise<string | undefined> {
    const r = await query<{ key: string }>(this.pool, `looking up symbols ${debugFile}/${debugId}`,
      'SELECT key FROM symbol_files WHERE debug_file = $1 AND debug_id = $2',
      [debugFile, debugId],
    );
    return r.rows[0]?.key;
  }

  /** The pool is the deployment's (closed by it); nothing of this object's own to close. */
  async close(): Promise<void> {}
}
