// Conformance suite for src/node/serve/contract.ts: every ObjectStore, CrashDatabase and JobQueue
// (embedded: files + SQLite; scale-out: PostgreSQL, S3 or a shared folder) runs the same tests.
// Each define* call registers a describe() block; `open` makes a fresh, empty subject (or says why
// it cannot, and the block skips).
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { Readable } from 'node:stream';
import { after, before, describe, test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import type { CrashDatabase, JobQueue, NewCrash, ObjectStore, ProcessedCrash } from '../../../src/node/serve/contract.js';

type Opened<T> = T & { close(): Promise<void> };
type Opener<T> = () => Promise<Opened<T> | { skip: string }>;

function isSkip(x: unknown): x is { skip: string } {
  return typeof (x as { skip?: unknown }).skip === 'string';
}

/** Opens the subject once per describe block; a skip reason skips every test in it. */
function withSubject<T>(open: Opener<T>): { get(): Opened<T>; skip(t: { skip(msg: string): void }): boolean } {
  let subject: Opened<T> | undefined;
  let reason: string | undefined;
  before(async () => {
    const s = await open();
    if (isSkip(s)) reason = s.skip;
    else subject = s;
  });
  after(async () => { await subject?.close(); });
  return {
    get: () => subject!,
    skip: (t) => {
      if (reason === undefined) return false;
      t.skip(reason);
      return true;
    },
  };
}

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

async function readAll(r: Readable): Promise<Buffer> {
  const parts: Buffer[] = [];
  for await (const c of r) parts.push(Buffer.from(c as Uint8Array));
  return Buffer.concat(parts);
}

/** Deterministic bytes (not all zero, not repeating at a power of two). */
function bytes(n: number, seed = 1): Uint8Array {
  const b = new Uint8Array(n);
  let x = seed;
  for (let i = 0; i < n; i++) {
    x = (x * 1103515245 + 12345) >>> 0;
    b[i] = x >>> 24;
  }
  return b;
}

/** A DumpError with this code. */
function dumpError(code: string): (e: unknown) => boolean {
  return (e) => e instanceof DumpError && e.code === code;
}

/**
 * Contract methods fail by rejecting their promise, never by throwing when called: a caller that
 * awaits later (or passes the promise on) must see the error where it awaits.
 */
async function rejection(call: () => Promise<unknown>, check?: (e: unknown) => boolean, message?: string): Promise<void> {
  let p: Promise<unknown>;
  try {
    p = call();
  } catch (e) {
    assert.fail(`${message ?? 'the call'} threw synchronously instead of returning a rejected promise: ${String(e)}`);
  }
  await (check ? assert.rejects(p, check, message) : assert.rejects(p, message));
}

function chunked(b: Uint8Array, size: number): Uint8Array[] {
  const out: Uint8Array[] = [];
  for (let i = 0; i < b.length; i += size) out.push(b.subarray(i, i + size));
  return out;
}

export interface ObjectStoreSuiteOptions {
  /** Bytes of the large streamed object (S3 stores: more than one multipart part). Default 6 MiB. */
  largeSize?: number;
  /** Two racing put()s of one key without overwrite: exactly one wins (needs an atomic create, or If-None-Match on S3). */
  atomicCreate?: boolean;
}

export function defineObjectStoreSuite(name: string, open: Opener<{ objects: ObjectStore }>, opts: ObjectStoreSuiteOptions = {}): void {
  describe(`ObjectStore contract: ${name}`, () => {
    const s = withSubject(open);
    const run = `t${randomUUID().slice(0, 8)}`; // keys of this run, under one prefix

    test('put then get and getStream give the same bytes; put resolves to the size', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      const body = bytes(70_000);
      assert.deepEqual(await objects.put(`${run}/a/one.dmp`, body), { size: body.length });
      assert.deepEqual(Buffer.from((await objects.get(`${run}/a/one.dmp`))!), Buffer.from(body));
      assert.deepEqual(await readAll((await objects.getStream(`${run}/a/one.dmp`))!), Buffer.from(body));
    });

    test('a large Readable and an AsyncIterable are streamed whole', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      const big = bytes(opts.largeSize ?? 6 * 1024 * 1024, 7);
      const r = await objects.put(`${run}/big.dmp`, Readable.from(chunked(big, 64 * 1024)));
      assert.equal(r.size, big.length);
      const back = await readAll((await objects.getStream(`${run}/big.dmp`))!);
      assert.equal(back.length, big.length);
      assert.ok(back.equals(Buffer.from(big)), 'the streamed object reads back byte for byte');
      async function* gen(): AsyncIterable<Uint8Array> {
        yield new Uint8Array([1, 2]);
        yield new Uint8Array([]);
        yield new Uint8Array([3]);
      }
      assert.deepEqual(await objects.put(`${run}/gen`, gen()), { size: 3 });
      assert.deepEqual([...(await objects.get(`${run}/gen`))!], [1, 2, 3]);
      assert.deepEqual(await objects.put(`${run}/empty`, new Uint8Array(0)), { size: 0 });
      assert.equal((await objects.get(`${run}/empty`))!.length, 0);
    });

    test('an existing key is refused unless overwrite; overwrite replaces it', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      await objects.put(`${run}/x`, new Uint8Array([1]));
      await rejection(() => objects.put(`${run}/x`, new Uint8Array([2])), dumpError('REFUSED'));
      assert.deepEqual([...(await objects.get(`${run}/x`))!], [1], 'the refused put changed nothing');
      await objects.put(`${run}/x`, new Uint8Array([3, 3]), { overwrite: true });
      assert.deepEqual([...(await objects.get(`${run}/x`))!], [3, 3]);
    });

    test('a body that fails midway leaves nothing visible', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      async function* failing(): AsyncIterable<Uint8Array> {
        yield bytes(100_000);
        yield bytes(100_000, 2);
        throw new Error('client went away');
      }
      await rejection(() => objects.put(`${run}/broken/one`, failing()), (e) => /client went away/.test(String(e)));
      assert.equal(await objects.get(`${run}/broken/one`), undefined);
      assert.equal(await objects.getStream(`${run}/broken/one`), undefined);
      assert.deepEqual(await collect(objects.list(`${run}/broken/`)), []);
      const destroyed = new Readable({
        read() {
          this.push(Buffer.from(bytes(1000)));
          this.destroy(new Error('socket closed'));
        },
      });
      await rejection(() => objects.put(`${run}/broken/two`, destroyed));
      assert.equal(await objects.get(`${run}/broken/two`), undefined);
      // and the key is free for a complete upload afterwards
      await objects.put(`${run}/broken/one`, new Uint8Array([5]));
      assert.deepEqual([...(await objects.get(`${run}/broken/one`))!], [5]);
    });

    test('an aborted put leaves nothing visible', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      const ac = new AbortController();
      async function* slow(): AsyncIterable<Uint8Array> {
        yield bytes(50_000);
        ac.abort();
        await new Promise((r) => setTimeout(r, 20));
        yield bytes(50_000, 3);
      }
      await rejection(() => objects.put(`${run}/aborted`, slow(), { signal: ac.signal }));
      assert.equal(await objects.get(`${run}/aborted`), undefined);
      assert.deepEqual(await collect(objects.list(`${run}/aborted`)), []);
    });

    test('source (when the store has it) reads byte ranges of an object; absent keys give undefined', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      if (!objects.source) return t.skip('this store has no ranged reads (the processor reads objects whole)');
      const body = bytes(40_000, 5);
      await objects.put(`${run}/ranged`, body);
      const src = (await objects.source(`${run}/ranged`))!;
      try {
        assert.equal(src.size, body.length);
        assert.deepEqual(Buffer.from(await src.read(30_000, 100)), Buffer.from(body.subarray(30_000, 30_100)));
        assert.deepEqual(Buffer.from(await src.read(0, 4)), Buffer.from(body.subarray(0, 4)));
      } finally {
        await src.close?.();
      }
      assert.equal(await objects.source(`${run}/none`), undefined);
    });

    test('absent keys: get and getStream give undefined, delete is quiet; delete removes', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      assert.equal(await objects.get(`${run}/none`), undefined);
      assert.equal(await objects.getStream(`${run}/none`), undefined);
      await objects.delete(`${run}/none`);
      await objects.put(`${run}/del`, new Uint8Array([1]));
      await objects.delete(`${run}/del`);
      assert.equal(await objects.get(`${run}/del`), undefined);
    });

    test('list gives the keys under a prefix, ordered, and no others', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      for (const k of ['l/b/2', 'l/a', 'l/b/1', 'l/c/d/e', 'lx/a', 'm']) await objects.put(`${run}/${k}`, new Uint8Array([1]));
      assert.deepEqual(await collect(objects.list(`${run}/l/`)), ['l/a', 'l/b/1', 'l/b/2', 'l/c/d/e'].map((k) => `${run}/${k}`));
      assert.deepEqual(await collect(objects.list(`${run}/l/b/`)), [`${run}/l/b/1`, `${run}/l/b/2`]);
      assert.deepEqual(await collect(objects.list(`${run}/nothing/`)), []);
    });

    test('keys with "..", a leading "/" or empty parts are refused', async (t) => {
      if (s.skip(t)) return;
      const { objects } = s.get();
      for (const k of ['../x', `${run}/../x`, '/abs', '', `${run}//x`, `${run}/./x`, `${run}/a\\b`]) {
        await rejection(() => objects.put(k, new Uint8Array([1])), dumpError('INVALID_ARGUMENT'), `put ${JSON.stringify(k)}`);
        await rejection(() => objects.get(k), dumpError('INVALID_ARGUMENT'), `get ${JSON.stringify(k)}`);
      }
    });

    if (opts.atomicCreate !== false) {
      test('two racing puts of one new key: exactly one succeeds', async (t) => {
        if (s.skip(t)) return;
        const { objects } = s.get();
        const results = await Promise.allSettled([1, 2, 3, 4].map((n) => objects.put(`${run}/race`, bytes(200_000, n))));
        assert.equal(results.filter((r) => r.status === 'fulfilled').length, 1, 'one winner');
        const stored = Buffer.from((await objects.get(`${run}/race`))!);
        const winner = results.findIndex((r) => r.status === 'fulfilled') + 1;
        assert.ok(stored.equals(Buffer.from(bytes(200_000, winner))), "the stored object is the winner's whole body");
      });
    }
  });
}

export interface DatabaseSuiteOptions {
  /** The queue's attempts before a job is dead, as the opener configured it. */
  maxAttempts: number;
  /** A second queue on the same store (another processor), for the no-double-take test. */
  second?: () => Promise<Opened<{ queue: JobQueue }>>;
}

const day = 86_400_000;

function newCrash(over: Partial<NewCrash> = {}): NewCrash {
  const id = `bp-${randomUUID()}`;
  return {
    id,
    product: 'Prod',
    version: '1.0',
    annotations: { prod: 'Prod', ver: '1.0', guid: randomUUID(), 'unicode ☃': 'é' },
    dumpKey: `dumps/${id}.dmp`,
    dumpSize: 1234,
    attachments: [{ field: 'upload_file_log', filename: 'log.txt', key: `attachments/${id}/0`, size: 10 }],
    receivedAt: new Date(Math.floor(Date.now() / 1000) * 1000),
    ...over,
  };
}

function processed(signature: string, module = 'app.exe'): ProcessedCrash {
  return {
    signature,
    crashReason: 'EXCEPTION_ACCESS_VIOLATION_READ',
    crashAddress: '0x0000000000000010',
    crashingThread: 0,
    frames: [{ frame: 0, module, function: signature, offset: '0x00401000', trust: 'context' }],
    missingSymbols: [],
    json: { modules: [{ filename: `C:\\Program Files\\App\\${module}`, base_addr: '0x00400000' }, { filename: 'ntdll.dll' }] },
  };
}

async function drain(queue: JobQueue): Promise<void> {
  for (;;) {
    const j = await queue.take({ leaseMs: 60_000, waitMs: 0 });
    if (!j) return;
    await queue.complete(j);
  }
}

export function defineDatabaseSuite(name: string, open: Opener<{ db: CrashDatabase; queue: JobQueue }>, opts: DatabaseSuiteOptions): void {
  describe(`CrashDatabase + JobQueue contract: ${name}`, () => {
    const s = withSubject(open);

    test('insertCrash stores the crash as received and enqueues its job; getCrash gives it back', async (t) => {
      if (s.skip(t)) return;
      const { db, queue } = s.get();
      await drain(queue);
      const c = newCrash();
      await db.insertCrash(c);
      const row = await db.getCrash(c.id);
      assert.deepEqual(row, { ...c, state: 'received', processedAt: null, signature: null, error: null, processed: null });
      assert.equal(await queue.depth(), 1);
      const job = await queue.take({ leaseMs: 60_000, waitMs: 1000 });
      assert.equal(job?.crashId, c.id);
      assert.equal(job?.attempt, 1);
      await queue.complete(job!);
      assert.equal(await db.getCrash(`bp-${randomUUID()}`), undefined);
    });

    test('a duplicate crash id is refused and enqueues nothing (one transaction)', async (t) => {
      if (s.skip(t)) return;
      const { db, queue } = s.get();
      await drain(queue);
      const c = newCrash();
      await db.insertCrash(c);
      await rejection(() => db.insertCrash({ ...c, product: 'Other' }), undefined, 'insertCrash of a duplicate id');
      assert.equal((await db.getCrash(c.id))?.product, 'Prod');
      const first = await queue.take({ leaseMs: 60_000, waitMs: 0 });
      assert.equal(first?.crashId, c.id);
      await queue.complete(first!);
      assert.equal(await queue.take({ leaseMs: 60_000, waitMs: 0 }), undefined, 'the refused insert left no job');
    });

    test('storeProcessed is idempotent; storeFailed records the error', async (t) => {
      if (s.skip(t)) return;
      const { db } = s.get();
      const c = newCrash();
      await db.insertCrash(c);
      await db.storeProcessed(c.id, processed('app!first'));
      await db.storeProcessed(c.id, processed('app!first'));
      const row = (await db.getCrash(c.id))!;
      assert.equal(row.state, 'processed');
      assert.equal(row.signature, 'app!first');
      assert.deepEqual(row.processed, processed('app!first'));
      assert.ok(row.processedAt instanceof Date);
      assert.equal((await db.findCrashes({ signature: 'app!first' })).length, 1, 'one result after two stores');
      const f = newCrash();
      await db.insertCrash(f);
      await db.storeFailed(f.id, 'not a minidump: bad signature at 0x0');
      const frow = (await db.getCrash(f.id))!;
      assert.equal(frow.state, 'failed');
      assert.equal(frow.error, 'not a minidump: bad signature at 0x0');
    });

    test('findCrashes filters by product, version, signature, module, dates and state; newest first; limit and offset', async (t) => {
      if (s.skip(t)) return;
      const { db } = s.get();
      const product = `Find${randomUUID().slice(0, 6)}`;
      const base = Date.UTC(2026, 0, 10);
      const cs = [
        newCrash({ product, version: '1.0', receivedAt: new Date(base) }),
        newCrash({ product, version: '1.0', receivedAt: new Date(base + day) }),
        newCrash({ product, version: '2.0', receivedAt: new Date(base + 2 * day) }),
        newCrash({ product, version: '2.0', receivedAt: new Date(base + 3 * day) }),
      ];
      for (const c of cs) await db.insertCrash(c);
      await db.storeProcessed(cs[0]!.id, processed('find!a', 'alpha.dll'));
      await db.storeProcessed(cs[1]!.id, processed('find!b', 'beta.dll'));
      await db.storeFailed(cs[2]!.id, 'bad');
      const ids = async (q: Parameters<CrashDatabase['findCrashes']>[0]): Promise<string[]> => (await db.findCrashes({ product, ...q })).map((r) => r.id);
      assert.deepEqual(await ids({}), [cs[3]!.id, cs[2]!.id, cs[1]!.id, cs[0]!.id]);
      assert.deepEqual(await ids({ version: '1.0' }), [cs[1]!.id, cs[0]!.id]);
      assert.deepEqual(await ids({ signature: 'find!b' }), [cs[1]!.id]);
      assert.deepEqual(await ids({ module: 'alpha.dll' }), [cs[0]!.id], 'a module by its file name');
      assert.deepEqual(await ids({ module: 'ALPHA.DLL' }), [cs[0]!.id], 'module names match case-insensitively');
      assert.deepEqual(await ids({ module: 'ntdll.dll' }), [cs[1]!.id, cs[0]!.id], "a module of the processed crash's module list");
      assert.deepEqual(await ids({ from: new Date(base + day), to: new Date(base + 3 * day) }), [cs[2]!.id, cs[1]!.id], 'from inclusive, to exclusive');
      assert.deepEqual(await ids({ state: 'failed' }), [cs[2]!.id]);
      assert.deepEqual(await ids({ state: 'received' }), [cs[3]!.id]);
      assert.deepEqual(await ids({ limit: 2 }), [cs[3]!.id, cs[2]!.id]);
      assert.deepEqual(await ids({ limit: 2, offset: 2 }), [cs[1]!.id, cs[0]!.id]);
      assert.deepEqual(await ids({ product: `${product}-none` }), []);
    });

    test('signatures: counts, first and last seen, per UTC day and per version, most frequent first', async (t) => {
      if (s.skip(t)) return;
      const { db } = s.get();
      const product = `Sig${randomUUID().slice(0, 6)}`;
      const base = Date.UTC(2026, 1, 1, 23, 30);
      const rows: [string, string, number][] = [
        ['sig!hot', '1.0', 0], ['sig!hot', '1.0', 1], ['sig!hot', '2.0', 1], ['sig!cold', '2.0', 2],
      ];
      for (const [sig, version, d] of rows) {
        const c = newCrash({ product, version, receivedAt: new Date(base + d * day) });
        await db.insertCrash(c);
        await db.storeProcessed(c.id, processed(sig));
      }
      await db.insertCrash(newCrash({ product })); // unprocessed: no signature yet, not counted
      const sigs = await db.signatures({ product });
      assert.deepEqual(sigs.map((x) => [x.signature, x.count]), [['sig!hot', 3], ['sig!cold', 1]]);
      const hot = sigs[0]!;
      assert.deepEqual(hot.perDay, { '2026-02-01': 1, '2026-02-02': 2 });
      assert.deepEqual(hot.perVersion, { '1.0': 2, '2.0': 1 });
      assert.equal(hot.firstSeen.getTime(), base);
      assert.equal(hot.lastSeen.getTime(), base + day);
      assert.deepEqual((await db.signatures({ product, version: '2.0' })).map((x) => [x.signature, x.count]), [['sig!cold', 1], ['sig!hot', 1]]);
      assert.deepEqual((await db.signatures({ product, limit: 1 })).map((x) => x.signature), ['sig!hot']);
      assert.deepEqual((await db.signatures({ product, from: new Date(base + 2 * day) })).map((x) => x.signature), ['sig!cold']);
    });

    test('prune: by age and by count per signature, returning the dump and attachment keys', async (t) => {
      if (s.skip(t)) return;
      const { db } = s.get();
      const product = `Prune${randomUUID().slice(0, 6)}`;
      const now = Date.now();
      const old = newCrash({ product, receivedAt: new Date(now - 100 * day) });
      await db.insertCrash(old);
      const sig = `prune!${randomUUID().slice(0, 6)}`;
      const same = [3, 2, 1].map((d) => newCrash({ product, receivedAt: new Date(now - d * day) }));
      for (const c of same) {
        await db.insertCrash(c);
        await db.storeProcessed(c.id, processed(sig));
      }
      const keys = await db.prune({ before: new Date(now - 30 * day) });
      assert.ok(keys.includes(old.dumpKey) && keys.includes(old.attachments[0]!.key), 'the old crash’s dump and attachment keys');
      assert.equal(await db.getCrash(old.id), undefined);
      const keys2 = await db.prune({ keepPerSignature: 2 });
      assert.ok(keys2.includes(same[0]!.dumpKey), 'the oldest of the signature is pruned');
      assert.ok(!keys2.includes(same[1]!.dumpKey) && !keys2.includes(same[2]!.dumpKey), 'the newest two are kept');
      assert.equal(await db.getCrash(same[0]!.id), undefined);
      assert.ok(await db.getCrash(same[2]!.id));
    });

    test('symbol files by debug file and debug id; a second upload replaces the key', async (t) => {
      if (s.skip(t)) return;
      const { db } = s.get();
      const id = randomUUID().replace(/-/g, '').toUpperCase() + '1';
      assert.equal(await db.symbolKey('app.pdb', id), undefined);
      await db.putSymbolFile('app.pdb', id, `symbols/app.pdb/${id}/app.sym`);
      assert.equal(await db.symbolKey('app.pdb', id), `symbols/app.pdb/${id}/app.sym`);
      await db.putSymbolFile('app.pdb', id, `symbols/app.pdb/${id}/app.2.sym`);
      assert.equal(await db.symbolKey('app.pdb', id), `symbols/app.pdb/${id}/app.2.sym`);
      assert.equal(await db.symbolKey('other.pdb', id), undefined);
    });

    test('take waits up to waitMs, and wakes when a job arrives', async (t) => {
      if (s.skip(t)) return;
      const { queue } = s.get();
      await drain(queue);
      const t0 = Date.now();
      assert.equal(await queue.take({ leaseMs: 60_000, waitMs: 300 }), undefined);
      assert.ok(Date.now() - t0 >= 250, 'it waited');
      const id = `bp-${randomUUID()}`;
      setTimeout(() => void queue.enqueue(id), 100);
      const job = await queue.take({ leaseMs: 60_000, waitMs: 10_000 });
      assert.equal(job?.crashId, id);
      await queue.complete(job!);
      const ac = new AbortController();
      setTimeout(() => ac.abort(), 100);
      assert.equal(await queue.take({ leaseMs: 60_000, waitMs: 30_000, signal: ac.signal }), undefined, 'an abort ends the wait');
    });

    test('a leased job is not taken twice; once the lease runs out it is taken again (attempt 2)', async (t) => {
      if (s.skip(t)) return;
      const { queue } = s.get();
      await drain(queue);
      const id = `bp-${randomUUID()}`;
      await queue.enqueue(id);
      const first = await queue.take({ leaseMs: 400, waitMs: 0 });
      assert.equal(first?.crashId, id);
      assert.equal(await queue.take({ leaseMs: 400, waitMs: 0 }), undefined, 'leased');
      assert.equal(await queue.depth(), 1, 'a leased job still counts');
      const again = await queue.take({ leaseMs: 60_000, waitMs: 5000 });
      assert.equal(again?.crashId, id, 'taken again after the lease ran out (the worker died)');
      assert.equal(again?.attempt, 2);
      await queue.complete(first!); // the first worker wakes up late: it does not end the second's job
      await queue.complete(again!);
      assert.equal(await queue.depth(), 0);
      assert.equal(await queue.take({ leaseMs: 60_000, waitMs: 0 }), undefined);
    });

    test(`fail gives a job back for another attempt until maxAttempts (${opts.maxAttempts}), then it is dead`, async (t) => {
      if (s.skip(t)) return;
      const { queue } = s.get();
      await drain(queue);
      const id = `bp-${randomUUID()}`;
      await queue.enqueue(id);
      for (let attempt = 1; attempt <= opts.maxAttempts; attempt++) {
        const j = await queue.take({ leaseMs: 60_000, waitMs: 10_000 });
        assert.equal(j?.crashId, id);
        assert.equal(j?.attempt, attempt);
        await queue.fail(j!, `boom ${attempt}`);
      }
      assert.equal(await queue.take({ leaseMs: 60_000, waitMs: 300 }), undefined, 'dead after maxAttempts');
      assert.equal(await queue.depth(), 0, 'a dead job is not waiting');
    });

    test('many jobs taken concurrently, by two processors: each exactly once', async (t) => {
      if (s.skip(t)) return;
      const { queue } = s.get();
      await drain(queue);
      const other = opts.second ? await opts.second() : undefined;
      try {
        const ids = Array.from({ length: 40 }, () => `bp-${randomUUID()}`);
        for (const id of ids) await queue.enqueue(id);
        assert.equal(await queue.depth(), 40);
        const taken: string[] = [];
        const worker = async (q: JobQueue): Promise<void> => {
          for (;;) {
            const j = await q.take({ leaseMs: 60_000, waitMs: 0 });
            if (!j) return;
            taken.push(j.crashId);
            await q.complete(j);
          }
        };
        const queues = [queue, queue, queue, other?.queue ?? queue, other?.queue ?? queue];
        await Promise.all(queues.map(worker));
        assert.deepEqual([...taken].sort(), [...ids].sort());
      } finally {
        await other?.close();
      }
    });
  });
}
