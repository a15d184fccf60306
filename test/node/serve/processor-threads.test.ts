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
import type { ProcessorOptions } from '../../../src/node/serve/processor.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

/** `n` crashes (a corpus minidump each, or with `oneDump` one stored minidump for all) recorded and queued in `d`; their ids. */
async function queueCrashes(d: Deployment, n: number, opts: { oneDump?: boolean } = {}): Promise<string[]> {
  const bytes = readFileSync(corpusFile('minidump/breakpad/linux_null_read_av.dmp'));
  const ids: string[] = [];
  if (opts.oneDump) await d.objects.put('dumps/shared.dmp', bytes);
  for (let i = 0; i < n; i++) {
    const id = `bp-${randomUUID()}`;
    const dumpKey = opts.oneDump ? 'dumps/shared.dmp' : `dumps/${id}.dmp`;
    if (!opts.oneDump) await d.objects.put(dumpKey, bytes);
    await d.db.insertCrash({ id, product: 'T', version: '1', annotations: {}, dumpKey, dumpSize: bytes.length, attachments: [], receivedAt: new Date() });
    ids.push(id);
  }
  return ids;
}

interface PoolRun {
  d: Deployment;
  pool: ThreadedProcessor;
  /** What the pool logged. */
  lines: string[];
}

/** A ThreadedProcessor over a fresh embedded deployment; drained and removed after `f`, whatever happens. Returns the run for checks after the drain. */
async function withPool(opts: ProcessorOptions, f: (run: PoolRun) => Promise<void>): Promise<PoolRun> {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-threads-'));
  const data = join(dir, 'data');
  const lines: string[] = [];
  const run = { d: openEmbeddedDeployment(data), pool: new ThreadedProcessor({ data }, opts, (l) => lines.push(l)), lines };
  try {
    await f(run);
  } finally {
    await run.pool.drain();
    await run.d.close();
    rmSync(dir, { recursive: true, force: true });
  }
  return run;
}

test('ThreadedProcessor: two threads process every queued crash once, on their own connections, and drain', { skip: corpusSkip }, async () => {
  const { pool, lines } = await withPool({ workers: 2, leaseMs: 30_000 }, async ({ d, pool, lines }) => {
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
  });
  assert.equal(pool.inFlight, 0);
  assert.equal(pool.processed, 8, 'counts of drained threads are kept');
  assert.deepEqual(lines.filter((l) => /BUG|exited/.test(l)), []);
});

test('ThreadedProcessor: a thread that dies mid-job is replaced, and its job is done again by another; one result each', { skip: corpusSkip }, async () => {
  // every job is held 1.5 s before its result is stored: long enough to kill a thread holding one
  await withPool({ workers: 2, leaseMs: 2000, holdMs: 1500 }, async ({ d, pool, lines }) => {
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
  });
});

test('ThreadedProcessor: drain() during a long queue stops after the jobs in hand, not after the queue (the job loop yields to its thread\'s messages)', { skip: corpusSkip }, async () => {
  const { lines } = await withPool({ workers: 1, leaseMs: 30_000 }, async ({ d, pool }) => {
    // 4,000 crashes sharing one stored minidump: seconds of work for one thread
    const total = (await queueCrashes(d, 4000, { oneDump: true })).length;
    pool.start();
    // the thread's counts arrive while it works through the queue, not only at its end
    for (let i = 0; i < 600 && pool.processed < 20; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(pool.processed >= 20 && pool.processed < total, `counts reported mid-queue: ${pool.processed}`);
    await pool.drain();
    const left = await d.queue.depth();
    assert.ok(left > 0, 'drain stopped before the queue was empty');
    assert.equal(pool.processed + left, total, 'every job either processed or still queued, none lost');
    assert.equal(pool.inFlight, 0);
  });
  assert.deepEqual(lines.filter((l) => /BUG/.test(l)), []);
});
