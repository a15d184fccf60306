// The contract suite on the embedded deployment's parts: FileObjectStore and SQLite.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after } from 'node:test';
import { openEmbeddedDeployment } from '../../../src/node/serve/embedded/deployment.js';
import { FileObjectStore } from '../../../src/node/serve/embedded/file-object-store.js';
import { defineDatabaseSuite, defineObjectStoreSuite } from './contract-suite.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-contract-'));
after(() => rmSync(dir, { recursive: true, force: true }));

defineObjectStoreSuite('files (FileObjectStore)', async () => ({ objects: new FileObjectStore(join(dir, 'objects')), close: async () => undefined }));

const maxAttempts = 3;
defineDatabaseSuite('SQLite (embedded)', async () => {
  const d = openEmbeddedDeployment(join(dir, 'data'), { maxAttempts, retryDelayMs: 20, pollMs: 50 } as never);
  return { db: d.db, queue: d.queue, close: () => d.close() };
}, { maxAttempts });
