// The processor when the database cannot take the outcome of a job: it logs, leaves the job to its
// lease and keeps running; the job is finished once the database answers again.
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import type { Deployment } from '../../../src/node/serve/contract.js';
import { openEmbeddedDeployment } from '../../../src/node/serve/embedded/deployment.js';
import { Processor } from '../../../src/node/serve/processor.js';

/** The real embedded deployment, with the database and queue writes failing BUSY while `down.on`. */
function withOutage(d: Deployment, down: { on: boolean; calls: number }): Deployment {
  const busy = <A extends unknown[]>(f: (...a: A) => Promise<void>) =>
    (...a: A): Promise<void> => {
      if (!down.on) return f(...a);
      down.calls++;
      return Promise.reject(new DumpError('BUSY', 'the crash database is unreachable (test outage)'));
    };
  return {
    ...d,
    db: Object.assign(Object.create(d.db) as typeof d.db, { storeFailed: busy(d.db.storeFailed.bind(d.db)), storeProcessed: busy(d.db.storeProcessed.bind(d.db)) }),
    queue: Object.assign(Object.create(d.queue) as typeof d.queue, { fail: busy(d.queue.fail.bind(d.queue)), complete: busy(d.queue.complete.bind(d.queue)) }),
  };
}

test('a database outage while recording a failed job: logged, the job left to its lease, the process keeps working', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-processor-'));
  const real = openEmbeddedDeployment(join(dir, 'data'));
  const down = { on: true, calls: 0 };
  const lines: string[] = [];
  const processor = new Processor(withOutage(real, down), { workers: 1, leaseMs: 300 }, (l) => lines.push(l));
  try {
    // not a minidump: processing fails for good, and storing that failure meets the outage
    const id = `bp-${randomUUID()}`;
    await real.objects.put(`dumps/${id}.dmp`, new TextEncoder().encode('this is not a minidump, only text'));
    await real.db.insertCrash({ id, product: 'P', version: '1', annotations: {}, dumpKey: `dumps/${id}.dmp`, dumpSize: 33, attachments: [], receivedAt: new Date() });
    processor.start();
    for (let i = 0; i < 100 && down.calls === 0; i++) await new Promise((r) => setTimeout(r, 50));
    assert.ok(down.calls > 0, 'the processor met the outage');
    assert.ok(lines.some((l) => l.includes(id) && /BUSY.*taken again when its lease ends/.test(l)), lines.join('\n'));
    assert.equal((await real.db.getCrash(id))?.state, 'received', 'nothing recorded during the outage');
    assert.equal(await real.queue.depth(), 1, 'the job is still queued (leased)');

    down.on = false;
    let state = '';
    for (let i = 0; i < 100 && state !== 'failed'; i++, await new Promise((r) => setTimeout(r, 50))) state = (await real.db.getCrash(id))!.state;
    assert.equal(state, 'failed', 'after the outage the job is taken again and its failure recorded');
    assert.match((await real.db.getCrash(id))!.error ?? '', /minidump|MDMP|signature/i);
    assert.equal(await real.queue.depth(), 0);
  } finally {
    await processor.drain();
    await real.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
