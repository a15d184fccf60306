// Processing in worker threads: each thread opens the deployment from the command line's options
// and runs its own job loop; the main thread sees their counts and drains them.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEmbeddedDeployment } from '../../../src/node/serve/embedded/deployment.js';
import type { Deployment } from '../../../src/node/serve/contract.js';
import { ThreadedProcessor } from '../../../src/node/serve/processor-threads.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

/** `n` crashes (a corpus minidump each) recorded and queued in `d`; their ids. */
async function queueCrashes(d: Deployment, n: number): Promise<string[]> {
  const bytes = readFileSync(corpusFile('minidump/breakpad/linux_null_read_av.dmp'));
  const ids: string[] = [];
  for (let i = 0; i < n; i++) {
    const id = `bp-${randomUUID()}`;
    await d.objects.put(`dumps/${id}.dmp`, bytes);
    await d.db.insertCrash({ id, product: 'T', version: '1', annotations: {}, dumpKey: `dumps/${id}.dmp`, dumpSize: bytes.length, attachments: [], receivedAt: new Date() });
    ids.push(id);
  }
  return ids;
}

test('ThreadedProcessor: two threads process every queued crash once, on their own connections, and drain', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-threads-'));
  const data = join(dir, 'data');
  const d = openEmbeddedDeployment(data);
  const lines: string[] = [];
  const pool = new ThreadedProcessor({ data }, { workers: 2, leaseMs: 30_000 }, (l) => lines.push(l));
  try {
    const ids = await queueCrashes(d, 8);
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

test('ThreadedProcessor: a thread that dies mid-job is replaced, and its job is done again by another; one result each', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-threads-'));
  const data = join(dir, 'data');
  const d = openEmbeddedDeployment(data);
  const lines: string[] = [];
  // every job is held 1.5 s before its result is stored: long enough to kill a thread holding one
  const pool = new ThreadedProcessor({ data }, { workers: 2, leaseMs: 2000, holdMs: 1500 }, (l) => lines.push(l));
  try {
    const ids = await queueCrashes(d, 3);
    pool.start();
    for (let i = 0; i < 300 && pool.inFlight < 2; i++) await new Promise((r) => setTimeout(r, 20));
    assert.equal(pool.inFlight, 2, 'both threads hold a job');
    const victim = pool.workers[0]!;
    await victim.terminate();
    for (let i = 0; i < 200 && pool.processed < ids.length; i++) await new Promise((r) => setTimeout(r, 100));
    assert.equal(pool.processed, ids.length, lines.join('\n'));
    assert.equal(pool.workers.length, 2, 'the dead thread was replaced');
    assert.ok(!pool.workers.includes(victim));
    assert.ok(lines.some((l) => /a processing thread exited; starting another/.test(l)), lines.join('\n'));
    for (const id of ids) assert.equal((await d.db.getCrash(id))?.state, 'processed', id);
    assert.equal(await d.queue.depth(), 0, 'no job left');
  } finally {
    await pool.drain();
    await d.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
