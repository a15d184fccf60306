import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { FileObjectStore } from '../../../../src/node/serve/embedded/file-object-store.js';

// The ObjectStore contract runs on FileObjectStore in test/node/serve/contract.test.ts; here what only files have.

test('FileObjectStore writes files with mode 0600, leaves no temporary file, and tells its free space', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-objects-'));
  try {
    const store = new FileObjectStore(join(dir, 'objects'));
    await store.put('dumps/2026-01-01/x.dmp', new Uint8Array(10));
    assert.equal(statSync(join(dir, 'objects/dumps/2026-01-01/x.dmp')).mode & 0o777, 0o600);
    assert.deepEqual(readdirSync(join(dir, 'objects/.tmp')), []);
    const free = await store.freeBytes();
    assert.ok(free !== undefined && free > 0);
    await assert.rejects(store.put('.tmp/x', new Uint8Array(1)), /temporary folder/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
