// The SQLite CrashDatabase and JobQueue: leases, retries, idempotent results, search, retention.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import type { NewCrash, ProcessedCrash } from '../../../../src/node/serve/contract.js';
import { openEmbeddedDeployment } from '../../../../src/node/serve/embedded/deployment.js';
import { pruneOnce } from '../../../../src/node/serve/retention.js';

function crash(id: string, product: string, version: string, receivedAt: Date): NewCrash {
  return { id, product, version, annotations: { prod: product, ver: version }, dumpKey: `dumps/${id}.dmp`, dumpSize: 1, attachments: [{ field: 'log', filename: 'l.txt', key: `attachments/${id}/0-log`, size: 1 }], receivedAt };
}

function result(signature: string, module = 'app.exe'): ProcessedCrash {
  return { signature, crashReason: 'SIGSEGV', crashAddress: '0x0', crashingThread: 0, frames: [{ module, function: signature }], missingSymbols: [], json: { modules: [{ filename: module }] } };
}

const id = (n: number) => `bp-00000000-0000-4000-8000-${String(n).padStart(12, '0')}`;

test('SQLite queue: a job whose worker died is taken again after its lease; failures retry, then the job is dead', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-sqlite-'));
  const dep = openEmbeddedDeployment(dir, { maxAttempts: 2, pollMs: 20 });
  try {
    await dep.db.insertCrash(crash(id(1), 'P', '1', new Date()));
    assert.equal(await dep.queue.depth(), 1);
    const first = await dep.queue.take({ leaseMs: 150, waitMs: 0 });
    assert.equal(first?.crashId, id(1));
    assert.equal(first?.attempt, 1);
    assert.equal(await dep.queue.take({ leaseMs: 150, waitMs: 0 }), undefined, 'leased: not taken twice');
    // The first worker "dies": after the lease the job comes back.
    const again = await dep.queue.take({ leaseMs: 150, waitMs: 2000 });
    assert.equal(again?.crashId, id(1));
    assert.equal(again?.attempt, 2);
    // Storing twice leaves one result.
    await dep.db.storeProcessed(id(1), result('f'));
    await dep.db.storeProcessed(id(1), result('f'));
    await dep.queue.complete(again!);
    await dep.queue.complete(first!);
    assert.equal(await dep.queue.depth(), 0);
    assert.equal((await dep.db.findCrashes({ signature: 'f' })).length, 1);
    // fail(): retried with a delay while attempts remain, then dead.
    await dep.queue.enqueue(id(1));
    const j1 = (await dep.queue.take({ leaseMs: 1000, waitMs: 0 }))!;
    await dep.queue.fail({ ...j1, attempt: 2 }, 'store down');
    assert.equal(await dep.queue.depth(), 0, 'dead jobs are not waiting');
    // A take waiting for work wakes when a job is enqueued.
    const waiting = dep.queue.take({ leaseMs: 1000, waitMs: 5000 });
    await dep.queue.enqueue(id(1));
    assert.equal((await waiting)?.crashId, id(1));
  } finally {
    await dep.close();
    rmSync(dir, { recursive: true, force: true });
  }
});

test('SQLite database: search, signature counts per day and version, retention by age and per signature', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-sqlite-'));
  const dep = openEmbeddedDeployment(dir);
  try {
    const day = (d: number) => new Date(Date.UTC(2026, 0, d, 12));
    const rows: [number, string, Date, string, string][] = [
      [1, '1.0', day(1), 'a | b', 'app.exe'],
      [2, '1.0', day(2), 'a | b', 'app.exe'],
      [3, '1.1', day(2), 'a | b', 'app.exe'],
      [4, '1.1', day(3), 'c', 'plugin.dll'],
    ];
    for (const [n, v, at, sig, mod] of rows) {
      await dep.db.insertCrash(crash(id(n), 'P', v, at));
      await dep.objects.put(`dumps/${id(n)}.dmp`, new Uint8Array(1));
      await dep.objects.put(`attachments/${id(n)}/0-log`, new Uint8Array(1));
      await dep.db.storeProcessed(id(n), result(sig, mod));
    }
    await dep.db.insertCrash(crash(id(9), 'Q', '1', day(3)));
    const sigs = await dep.db.signatures({ product: 'P' });
    assert.deepEqual(
      sigs.map((s) => [s.signature, s.count, s.perDay, s.perVersion, s.firstSeen.toISOString(), s.lastSeen.toISOString()]),
      [
        ['a | b', 3, { '2026-01-01': 1, '2026-01-02': 2 }, { '1.0': 2, '1.1': 1 }, day(1).toISOString(), day(2).toISOString()],
        ['c', 1, { '2026-01-03': 1 }, { '1.1': 1 }, day(3).toISOString(), day(3).toISOString()],
      ],
    );
    assert.deepEqual((await dep.db.signatures({ product: 'P', from: day(2), to: day(3) })).map((s) => [s.signature, s.count]), [['a | b', 2]]);
    assert.deepEqual((await dep.db.findCrashes({ module: 'PLUGIN.DLL' })).map((c) => c.id), [id(4)]);
    assert.deepEqual((await dep.db.findCrashes({ state: 'received' })).map((c) => c.id), [id(9)]);
    assert.deepEqual((await dep.db.findCrashes({ product: 'P', limit: 2, offset: 1 })).map((c) => c.id), [id(2), id(3)], 'newest first, then by id');
    // Retention: one per signature keeps the newest of 'a | b' (2 and 3 arrived together: the first by id).
    const removed = await pruneOnce(dep, { perSignature: 1 });
    assert.equal(removed, 4, 'two crashes: their dumps and attachments');
    assert.deepEqual((await dep.db.findCrashes({ product: 'P' })).map((c) => c.id).sort(), [id(2), id(4)].sort());
    assert.equal(await dep.objects.get(`dumps/${id(1)}.dmp`), undefined);
    // By age: everything before now - 1 day.
    await pruneOnce(dep, { days: 1 }, Date.UTC(2026, 0, 3, 13));
    assert.deepEqual((await dep.db.findCrashes({})).map((c) => c.id).sort(), [id(4), id(9)].sort());
    // Symbols index.
    await dep.db.putSymbolFile('app.pdb', 'abc1', 'symbols/k1');
    await dep.db.putSymbolFile('app.pdb', 'ABC1', 'symbols/k2');
    assert.equal(await dep.db.symbolKey('app.pdb', 'abc1'), 'symbols/k2');
    assert.equal(await dep.db.symbolKey('app.pdb', 'abc2'), undefined);
  } finally {
    await dep.close();
    rmSync(dir, { recursive: true, force: true });
  }
});
