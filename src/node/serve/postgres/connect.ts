// One pg.Pool for a scale-out process's CrashDatabase and JobQueue, and the schema they share.
// Every process may call openPostgres at start-up: the schema is created under an advisory lock,
// so many collectors and processors starting together create it once.
import pg from 'pg';
import { DumpError } from '../../../core/errors.js';

export interface PostgresOptions {
  /** Connections this process may hold (the LISTEN connection of a JobQueue is one more). */
  max?: number;
  /** How long to wait for a connection before failing (ms); short, so that collectors answer 503. */
  connectTimeoutMs?: number;
  /** A query that gets no answer in this long fails (ms): a stopped server must not hang requests. */
  queryTimeoutMs?: number;
}

export const SCHEMA_VERSION = 1;

// Advisory lock key for schema creation ('dkit' as an int).
const SCHEMA_LOCK = 0x646b6974;

const SCHEMA = `
CREATE TABLE IF NOT EXISTS dumpkit_schema (version integer PRIMARY KEY);
CREATE TABLE IF NOT EXISTS crashes (
  id           text PRIMARY KEY,
  product      text NOT NULL,
  version      text NOT NULL,
  annotations  jsonb NOT NULL,
  dump_key     text NOT NULL,
  dump_size    bigint NOT NULL,
  attachments  jsonb NOT NULL,
  received_at  timestamptz NOT NULL,
  state        text NOT NULL DEFAULT 'received' CHECK (state IN ('received', 'processed', 'failed')),
  processed_at timestamptz,
  signature    text,
  error        text,
  processed    jsonb,
  modules      text[] NOT NULL DEFAULT '{}'
);
CREATE INDEX IF NOT EXISTS crashes_received ON crashes (received_at);
CREATE INDEX IF NOT EXISTS crashes_product ON crashes (product, version, received_at);
CREATE INDEX IF NOT EXISTS crashes_signature ON crashes (signature, received_at);
CREATE INDEX IF NOT EXISTS crashes_modules ON crashes USING gin (modules);
CREATE TABLE IF NOT EXISTS jobs (
  id          bigserial PRIMARY KEY,
  crash_id    text NOT NULL,
  state       text NOT NULL DEFAULT 'ready' CHECK (state IN ('ready', 'active', 'dead')),
  attempt     integer NOT NULL DEFAULT 0,
  run_after   timestamptz NOT NULL DEFAULT now(),
  lease_until timestamptz,
  last_error  text,
  created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX IF NOT EXISTS jobs_ready ON jobs (id) WHERE state = 'ready';
CREATE INDEX IF NOT EXISTS jobs_leased ON jobs (lease_until) WHERE state = 'active';
CREATE INDEX IF NOT EXISTS jobs_crash ON jobs (crash_id);
CREATE TABLE IF NOT EXISTS symbol_files (
  debug_file text NOT NULL,
  debug_id   text NOT NULL,
  key        text NOT NULL,
  PRIMARY KEY (debug_file, debug_id)
);
`;

/** A pool on `url` with the schema in place. */
export async function openPostgres(url: string, opts: PostgresOptions = {}): Promise<pg.Pool> {
  const pool = new pg.Pool({
    connectionString: url,
    max: opts.max ?? 10,
    connectionTimeoutMillis: opts.connectTimeoutMs ?? 3000,
    query_timeout: opts.queryTimeoutMs ?? 10_000,
    idleTimeoutMillis: 30_000,
    application_name: 'dumpkit serve',
  });
  // a broken idle connection (server restarted) is reported here; the pool replaces it
  pool.on('error', () => undefined);
  try {
    const c = await pool.connect();
    try {
      await c.query('SELECT pg_advisory_lock($1)', [SCHEMA_LOCK]);
      try {
        await c.query(SCHEMA);
        const v = await c.query<{ version: number }>('SELECT max(version) AS version FROM dumpkit_schema');
        const have = v.rows[0]?.version ?? null;
        if (have === null) await c.query('INSERT INTO dumpkit_schema (version) VALUES ($1)', [SCHEMA_VERSION]);
        else if (have > SCHEMA_VERSION) throw new Error(`database schema version ${have} is newer than this dumpkit's (${SCHEMA_VERSION})`);
      } finally {
        await c.query('SELECT pg_advisory_unlock($1)', [SCHEMA_LOCK]);
      }
    } finally {
      c.release();
    }
  } catch (e) {
    await pool.end();
    throw e;
  }
  return pool;
}

// SQLSTATE classes and codes that mean "not now" rather than "wrong": connection exceptions (08),
// operator intervention (57: shutdown, cannot connect now), too many connections, serialization.
const BUSY_STATES = /^(08|57P0|53300|53400|40001|40P01)/;

/**
 * The contract's errors for a failed query: an unreachable, restarting or stopped server → BUSY
 * (collectors answer 503 + Retry-After); a full disk (SQLSTATE 53100) → NO_SPACE (507); a
 * duplicate key → REFUSED. Anything else is returned as it is (a bug to surface).
 */
export function databaseError(e: unknown, what: string): unknown {
  if (e instanceof DumpError) return e;
  const err = e as { code?: unknown; message?: unknown };
  const code = typeof err.code === 'string' ? err.code : '';
  const message = typeof err.message === 'string' ? err.message : String(e);
  if (code === '53100') return new DumpError('NO_SPACE', `${what}: the database's disk is full`);
  if (code === '23505') return new DumpError('REFUSED', `${what}: ${message}`);
  if (BUSY_STATES.test(code) || ['ECONNREFUSED', 'ECONNRESET', 'ETIMEDOUT', 'EPIPE', 'EHOSTUNREACH', 'ENOTFOUND', 'EAI_AGAIN'].includes(code)
    || /timeout|terminated|Connection ended|not queryable|Client has encountered a connection error/i.test(message)) {
    return new DumpError('BUSY', `${what}: the database is unreachable for now (${code || message})`);
  }
  return e;
}

/** pool.query with the contract's errors. */
export async function query<R extends pg.QueryResultRow>(pool: pg.Pool, what: string, sql: string, params?: unknown[]): Promise<pg.QueryResult<R>> {
  try {
    return await pool.query<R>(sql, params);
  } catch (e) {
    throw databaseError(e, what);
  }
}

/** Runs `fn` in one transaction on one connection. */
export async function inTransaction<T>(pool: pg.Pool, what: string, fn: (c: pg.PoolClient) => Promise<T>): Promise<T> {
  let c: pg.PoolClient;
  try {
    c = await pool.connect();
  } catch (e) {
    throw databaseError(e, what);
  }
  let broken = false;
  try {
    await c.query('BEGIN');
    const r = await fn(c);
    await c.query('COMMIT');
    return r;
  } catch (e) {
    try {
      await c.query('ROLLBACK');
    } catch {
      broken = true; // the connection itself failed: do not give it back to the pool
    }
    throw databaseError(e, what);
  } finally {
    c.release(broken);
  }
}
