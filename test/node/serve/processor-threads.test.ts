// Processing in worker threads: each thread opens the deployment from the command line's options
// and runs its own job loop; the main thread sees their counts and drains them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEmbeddedDeployment } from '../../../src/node/serve/embedded/deployment.js';
import { ThreadedProcessor } from '../../../src/node/serve/processor-threads.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

test('ThreadedProcessor: two threads process every queued crash once, on their own connections, and drain', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-threads-'));
  const data = join(dir, 'data');
  const d = openEmbeddedDeployment(data);
  const lines: string[] = [];
  const pool = new ThreadedProcessor({ data }, { workers: 2, leaseMs: 30_000 }, (l) => lines.push(l));
  try {
    const bytes = readFileSync(corpusFile('minidump/breakpad/linux_null_read_av.dmp'));
    const ids: string[] = [];
    for (let i = 0; i < 8; i++) {
      const id = `bp-${randomUUID()}`;
      await d.objects.put(`dumps/${id}.dmp`, bytes);
      await d.db.insertCrash({ id, product: 'T', version: '1', annotations: {}, dumpKey: `dumps/${id}.dmp`, dumpSize: bytes.length, attachments: [], receivedAt: new Date() });
      ids.push(id);
    }
    pool.start();
    for (let i = 0; i < 300 && pool.processed < ids.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pool.processed, ids.length, lines.join('\n'));
    assert.equal(pool.failed, 0);
    for (const id of ids) {
      const row = await d.db.getCrash(id);
      assert.equal(row?.state, 'processed');
      assert.ok(row.signature, 'a signature was stored');
    }
    assert.equal(await d.queue.depth(), 0);
  } finally {
    await pool.drain();
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.equal(pool.inFlight, 0);
  assert.equal(pool.processed, 8, 'counts of drained threads are kept');
  assert.deepEqual(lines.filter((l) => /BUG|exited/.test(l)), []);
});
