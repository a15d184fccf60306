// The embedded deployment: `dumpkit serve --data DIR`: DIR/objects (FileObjectStore) and
// DIR/serve.sqlite (CrashDatabase + JobQueue), one process.
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import type { Deployment } from '../contract.js';
import { FileObjectStore } from './file-object-store.js';
import { openSqlite, SqliteCrashDatabase, SqliteJobQueue, type SqliteJobQueueOptions } from './sqlite.js';

export function openEmbeddedDeployment(dataDir: string, opts: SqliteJobQueueOptions = {}): Deployment {
  mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  const sqlite = openSqlite(join(dataDir, 'serve.sqlite'));
  const queue = new SqliteJobQueue(sqlite, opts);
  const db = new SqliteCrashDatabase(sqlite, queue);
  return {
    objects: new FileObjectStore(join(dataDir, 'objects')),
    db,
    queue,
    async close() {
      await queue.close();
      await db.close();
      sqlite.close();
    },
  };
}
