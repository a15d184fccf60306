// The contract suite on PostgreSQL (the scale-out deployment's CrashDatabase and JobQueue).
import { after } from 'node:test';
import { openPostgres } from '../../../../src/node/serve/postgres/connect.js';
import { PostgresCrashDatabase } from '../../../../src/node/serve/postgres/crash-database.js';
import { PostgresJobQueue } from '../../../../src/node/serve/postgres/job-queue.js';
import { dropTestDatabases, testDatabase } from '../../../helpers/postgres.js';
import { defineDatabaseSuite } from '../contract-suite.js';

after(dropTestDatabases);

let url: string | undefined;
const maxAttempts = 3;
const queueOptions = { maxAttempts, retryDelayMs: 20, pollMs: 50, depthCacheMs: 0 };

defineDatabaseSuite('PostgreSQL', async () => {
  const d = await testDatabase();
  if (d.skip !== undefined) return { skip: d.skip };
  url = d.url;
  const pool = await openPostgres(url);
  const queue = new PostgresJobQueue(pool, queueOptions);
  return {
    db: new PostgresCrashDatabase(pool),
    queue,
    close: async () => { await queue.close(); await pool.end(); },
  };
}, {
  maxAttempts,
  second: async () => {
    const pool = await openPostgres(url!);
    const queue = new PostgresJobQueue(pool, queueOptions);
    return { queue, close: async () => { await queue.close(); await pool.end(); } };
  },
});
