// The ObjectStore contract (src/node/serve/contract.ts) as tests, for every implementation: the
// file store here, the S3 store in the scale-out deployment.
import assert from 'node:assert/strict';
import { Readable } from 'node:stream';
import { test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import type { ObjectStore } from '../../../src/node/serve/contract.js';

async function keys(store: ObjectStore, prefix: string): Promise<string[]> {
  const out: string[] = [];
  for await (const k of store.list(prefix)) out.push(k);
  return out;
}

export function defineObjectStoreContract(name: string, make: () => Promise<{ store: ObjectStore; dispose(): Promise<void> }>): void {
  test(`ObjectStore contract: ${name}`, async (t) => {
    const { store, dispose } = await make();
    try {
      await t.test('put stores a stream, a byte array or an async iterable; get, getStream and source read it back', async () => {
        assert.deepEqual(await store.put('a/one', Readable.from([Buffer.from('hello '), Buffer.from('world')])), { size: 11 });
        assert.deepEqual(await store.put('a/two', new Uint8Array([1, 2, 3])), { size: 3 });
        assert.deepEqual(
          await store.put(
            'b/three',
            (async function* () {
              yield new Uint8Array([9]);
            })(),
          ),
          { size: 1 },
        );
        assert.equal(Buffer.from((await store.get('a/one'))!).toString(), 'hello world');
        const chunks: Buffer[] = [];
        for await (const c of (await store.getStream('a/one'))!) chunks.push(c as Buffer);
        assert.equal(Buffer.concat(chunks).toString(), 'hello world');
        if (store.source) {
          const src = (await store.source('a/one'))!;
          assert.equal(src.size, 11);
          assert.equal(Buffer.from(await src.read(6, 5)).toString(), 'world');
          await src.close?.();
        }
      });
      await t.test('an existing key is refused unless overwrite; absent keys read as undefined', async () => {
        await assert.rejects(store.put('a/two', new Uint8Array([4])), (e: unknown) => e instanceof DumpError && e.code === 'REFUSED');
        assert.deepEqual(await store.get('a/two'), new Uint8Array([1, 2, 3]));
        await store.put('a/two', new Uint8Array([4]), { overwrite: true });
        assert.deepEqual(await store.get('a/two'), new Uint8Array([4]));
        assert.equal(await store.get('nope/x'), undefined);
        assert.equal(await store.getStream('nope/x'), undefined);
      });
      await t.test('list is ordered and prefix-bounded; delete removes (and ignores absent keys)', async () => {
        assert.deepEqual(await keys(store, 'a/'), ['a/one', 'a/two']);
        assert.deepEqual(await keys(store, ''), ['a/one', 'a/two', 'b/three']);
        await store.delete('a/one');
        await store.delete('a/one');
        assert.deepEqual(await keys(store, 'a/'), ['a/two']);
      });
      await t.test('a failed or aborted body leaves nothing visible', async () => {
        const failing = new Readable({
          read() {
            this.push(Buffer.alloc(1000, 1));
            this.destroy(new Error('client went away'));
          },
        });
        await assert.rejects(store.put('c/partial', failing));
        assert.equal(await store.get('c/partial'), undefined);
        const ac = new AbortController();
        const slow = new Readable({ read() {} });
        slow.push(Buffer.alloc(100));
        const p = store.put('c/aborted', slow, { signal: ac.signal });
        setTimeout(() => ac.abort(), 20);
        await assert.rejects(p);
        assert.equal(await store.get('c/aborted'), undefined);
        assert.deepEqual(await keys(store, 'c/'), []);
      });
      await t.test('keys that could leave the store are refused', async () => {
        for (const k of ['../x', '/abs', 'a/../b', 'a//b', 'a\\b', '']) {
          await assert.rejects(store.put(k, new Uint8Array([1])), (e: unknown) => e instanceof DumpError && e.code === 'INVALID_ARGUMENT', k);
        }
      });
    } finally {
      await dispose();
    }
  });
}
