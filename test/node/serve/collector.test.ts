// The collector in this process (startServe over the embedded deployment): API keys, and a real
// full disk (a 2 MiB tmpfs): uploads get 507 while everything accepted before stays readable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEmbeddedDeployment } from '../../../src/node/serve/embedded/deployment.js';
import type { ServeLimits } from '../../../src/node/serve/http.js';
import { CHECK_IN_MEMORY_BYTES } from '../../../src/node/serve/collector.js';
import { startServe } from '../../../src/node/serve/server.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

async function upload(url: string, fields: Record<string, string>, dump: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('upload_file_minidump', new Blob([new Uint8Array(dump)]), 'upload.dmp');
  const r = await fetch(`${url}submit`, { method: 'POST', body: form, headers });
  return { status: r.status, body: await r.text() };
}

async function withServer(dataDir: string, limits: Partial<ServeLimits>, f: (url: string, dep: ReturnType<typeof openEmbeddedDeployment>) => Promise<void>): Promise<void> {
  const dep = openEmbeddedDeployment(dataDir);
  const h = await startServe({ deployment: dep, port: 0, limits, processor: { workers: 0 } });
  try {
    await f(h.url, dep);
  } finally {
    await h.drain();
    await dep.close();
  }
}

test('per-product API keys: none is 401, another product\'s is 403, the product\'s own is accepted', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-keys-'));
  const dump = readFileSync(corpusFile('minidump/breakpad/minidump2.dmp'));
  try {
    await withServer(dir, { minFreeBytes: 0, apiKeys: { Alpha: ['alpha-key-0123456789'], Beta: ['beta-key-0123456789'] } }, async (url) => {
      assert.equal((await upload(url, { prod: 'Alpha', ver: '1' }, dump)).status, 401);
      const wrong = await upload(url, { prod: 'Alpha', ver: '1' }, dump, { 'x-api-key': 'beta-key-0123456789' });
      assert.equal(wrong.status, 403, wrong.body);
      const ok = await upload(url, { prod: 'Alpha', ver: '1' }, dump, { authorization: 'Bearer alpha-key-0123456789' });
      assert.equal(ok.status, 200, ok.body);
      assert.equal((await fetch(`${url}symbols`, { method: 'POST', body: new FormData() })).status, 401);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a minidump is checked from the bytes kept while it streamed in, or read back from the store when larger; corrupt ones are refused either way', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-check-'));
  const small = readFileSync(corpusFile('minidump/breakpad/minidump2.dmp'));
  assert.ok(small.length < CHECK_IN_MEMORY_BYTES);
  // the same minidump padded past the in-memory bound (bytes after its last stream do not change it)
  const large = Buffer.concat([small, Buffer.alloc(CHECK_IN_MEMORY_BYTES + 4096 - small.length)]);
  // a stream directory pointing past the end of the file: readable header, unreadable directory
  const corrupt = (b: Buffer): Buffer => {
    const c = Buffer.from(b);
    c.writeUInt32LE(c.length + 1000, 12); // StreamDirectoryRva
    return c;
  };
  try {
    await withServer(dir, { minFreeBytes: 0 }, async (url, dep) => {
      for (const [what, dump] of [['small', small], ['large', large]] as const) {
        const ok = await upload(url, { prod: 'Check', ver: what }, dump);
        assert.equal(ok.status, 200, `${what}: ${ok.body}`);
        const id = /^CrashID=(bp-[0-9a-f-]+)$/m.exec(ok.body)![1]!;
        const row = await dep.db.getCrash(id);
        assert.equal(row?.dumpSize, dump.length, what);
        assert.deepEqual(await dep.objects.get(row.dumpKey), new Uint8Array(dump), `${what}: stored byte for byte`);
        const bad = await upload(url, { prod: 'Check', ver: what }, corrupt(dump));
        assert.equal(bad.status, 400, `${what} corrupt: ${bad.body}`);
        assert.match(bad.body, /^not a readable minidump: stream directory \(9 entries = 108 bytes at 0x[0-9a-f]+\) runs past the end of the file/, what);
        assert.ok(!bad.body.includes(dir), `${what}: the reason does not show the server's paths: ${bad.body}`);
      }
      assert.equal((await dep.db.findCrashes({ product: 'Check' })).length, 2, 'only the two readable ones are recorded');
    });
    const left: string[] = [];
    for await (const k of openEmbeddedDeployment(dir).objects.list('dumps/')) left.push(k);
    assert.equal(left.length, 2, `no refused dump stays in the store: ${left.join(', ')}`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('below the free-space bound uploads get 507 before anything is read', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-free-'));
  try {
    await withServer(dir, { minFreeBytes: Number.MAX_SAFE_INTEGER }, async (url) => {
      const r = await upload(url, { prod: 'Full', ver: '1' }, readFileSync(corpusFile('minidump/breakpad/minidump2.dmp')));
      assert.equal(r.status, 507);
      assert.match(r.body, /disk is full/);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

function mountTmpfs(dir: string, size: string): string | undefined {
  if (process.getuid?.() !== 0) return 'mounting a small tmpfs needs root';
  const r = spawnSync('mount', ['-t', 'tmpfs', '-o', `size=${size},mode=0700`, 'tmpfs', dir], { encoding: 'utf8' });
  return r.status === 0 ? undefined : `mount tmpfs failed: ${r.stderr.trim()}`;
}

test('a really full disk (ENOSPC, SQLITE_FULL): 507, and every crash accepted before is kept', { skip: corpusSkip }, async (t) => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-enospc-'));
  const mnt = join(dir, 'mnt');
  mkdirSync(mnt);
  const why = mountTmpfs(mnt, '2m');
  if (why) {
    rmSync(dir, { recursive: true, force: true });
    if (process.env.CI === 'true') throw new Error(`CI=true: ${why}`);
    t.skip(why);
    return;
  }
  const dump = readFileSync(corpusFile('minidump/breakpad/linux_null_read_av.dmp'));
  try {
    await withServer(join(mnt, 'data'), { minFreeBytes: 0 }, async (url, dep) => {
      const accepted: string[] = [];
      let full: { status: number; body: string } | undefined;
      for (let i = 0; i < 200 && !full; i++) {
        const r = await upload(url, { prod: 'Disk', ver: '1' }, dump);
        if (r.status === 200) accepted.push(/CrashID=(\S+)/.exec(r.body)![1]!);
        else full = r;
      }
      assert.ok(full, 'the disk never filled');
      assert.equal(full.status, 507, full.body);
      assert.ok(accepted.length > 10, `${accepted.length} accepted`);
      for (const id of accepted) {
        const c = await dep.db.getCrash(id);
        assert.ok(c, id);
        assert.deepEqual(await dep.objects.get(c.dumpKey), new Uint8Array(dump));
      }
      const listed = await dep.db.findCrashes({ product: 'Disk', limit: 1000 });
      assert.equal(listed.length, accepted.length, 'no crash row without its dump, none lost');
    });
  } finally {
    spawnSync('umount', [mnt]);
    rmSync(dir, { recursive: true, force: true });
  }
});
