// Group commit of the collectors' inserts (src/node/serve/postgres/crash-batch.ts): crashes that
// arrive while an insert is committing go together in the next statement, each with its own job,
// and a crash that cannot be stored (a duplicate id) is refused alone.
import assert from 'node:assert/strict';
import { after, test } from 'node:test';
import { DumpError } from '../../../../src/core/errors.js';
import { openPostgres } from '../../../../src/node/serve/postgres/connect.js';
import { PostgresCrashDatabase } from '../../../../src/node/serve/postgres/crash-database.js';
import type { NewCrash } from '../../../../src/node/serve/contract.js';
import { dropTestDatabases, testDatabase } from '../../../helpers/postgres.js';

after(dropTestDatabases);

const crash = (n: number): NewCrash => ({
  id: `bp-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`,
  product: 'Batch',
  version: `1.${n % 3}`,
  annotations: { guid: `g${n}`, note: `quote " and backslash \\ and {brace}` },
  dumpKey: `dumps/2026-12-04/${n}.dmp`,
  dumpSize: 50_000 + n,
  attachments: n % 2 ? [{ field: 'log', filename: `log ${n}.txt`, key: `attachments/${n}/0-log`, size: n }] : [],
  receivedAt: new Date(Date.UTC(2026, 11, 4, 12, 0, n % 60, n % 1000)),
});

test('concurrent inserts are committed in shared batches, each crash with its own row and job; a duplicate is refused alone', async (t) => {
  const d = await testDatabase();
  if (d.skip !== undefined) return t.skip(d.skip);
  const pool = await openPostgres(d.url);
  try {
    const db = new PostgresCrashDatabase(pool);
    await db.insertCrash(crash(0)); // already there: its second insert below must be refused
    const crashes = Array.from({ length: 300 }, (_, i) => crash(i + 1));
    const results = await Promise.allSettled([...crashes, crash(0)].map((c) => db.insertCrash(c)));
    const refused = results.filter((r) => r.status === 'rejected');
    assert.equal(refused.length, 1, 'only the duplicate is refused');
    const reason = (refused[0] as PromiseRejectedResult).reason as unknown;
    assert.ok(reason instanceof DumpError && reason.code === 'REFUSED', `the duplicate's error: ${String(reason)}`);
    assert.equal(results.at(-1)!.status, 'rejected', 'the refused one is the duplicate');
    assert.ok(db.inserts.stats.batches < 301, `grouped: ${db.inserts.stats.batches} committed statements for 301 crashes`);
    assert.ok(db.inserts.stats.largest > 1 && db.inserts.stats.largest <= 256, `largest batch ${db.inserts.stats.largest}`);
    for (const c of [crashes[0]!, crashes[150]!, crashes[299]!]) {
      const row = await db.getCrash(c.id);
      assert.ok(row, c.id);
      assert.deepEqual(
        { product: row.product, version: row.version, annotations: row.annotations, dumpKey: row.dumpKey, dumpSize: row.dumpSize, attachments: row.attachments, receivedAt: row.receivedAt.toISOString(), state: row.state },
        { product: c.product, version: c.version, annotations: c.annotations, dumpKey: c.dumpKey, dumpSize: c.dumpSize, attachments: c.attachments, receivedAt: c.receivedAt.toISOString(), state: 'received' },
      );
    }
    const jobs = await pool.query<{ n: string; distinct: string }>("SELECT count(*) AS n, count(DISTINCT crash_id) AS distinct FROM jobs WHERE state = 'ready'");
    assert.deepEqual(jobs.rows[0], { n: '301', distinct: '301' }, 'one ready job per stored crash');
    const order = await pool.query<{ crash_id: string }>('SELECT crash_id FROM jobs ORDER BY id LIMIT 3');
    assert.deepEqual(order.rows.map((r) => r.crash_id), [crash(0).id, crashes[0]!.id, crashes[1]!.id], 'jobs are queued in arrival order');
  } finally {
    await pool.end();
  }
});
