// The collector in this process (startServe over the embedded deployment): API keys, and a real
// full disk (a 2 MiB tmpfs): uploads get 507 while everything accepted before stays readable.
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { openEmbeddedDeployment } from '../../../src/node/serve/embedded/deployment.js';
import type { ServeLimits } from '../../../src/node/serve/http.js';
import { CHECK_IN_MEMORY_BYTES } from '../../../src/node/serve/collector.js';
import { startServe, type ServeHandle } from '../../../src/node/serve/server.js';
import type { ObjectStore } from '../../../src/node/serve/contract.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

async function upload(url: string, fields: Record<string, string>, dump: Uint8Array, headers: Record<string, string> = {}): Promise<{ status: number; body: string }> {
  const form = new FormData();
  for (const [k, v] of Object.entries(fields)) form.set(k, v);
  form.set('upload_file_minidump', new Blob([new Uint8Array(dump)]), 'upload.dmp');
  const r = await fetch(`${url}submit`, { method: 'POST', body: form, headers });
  return { status: r.status, body: await r.text() };
}

async function withServer(
  dataDir: string,
  limits: Partial<ServeLimits>,
  f: (url: string, dep: ReturnType<typeof openEmbeddedDeployment>, h: ServeHandle) => Promise<void>,
  opts: { objects?: (store: ObjectStore) => ObjectStore } = {},
): Promise<void> {
  const dep = openEmbeddedDeployment(dataDir);
  const h = await startServe({ deployment: { ...dep, objects: opts.objects?.(dep.objects) ?? dep.objects }, port: 0, limits, processor: { workers: 0 } });
  try {
    await f(h.url, dep, h);
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

test('a client that goes away mid-upload: the upload ends (nothing stored, nothing in flight) and the server drains at once', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-gone-'));
  const dump = readFileSync(corpusFile('minidump/breakpad/minidump2.dmp'));
  try {
    await withServer(dir, { minFreeBytes: 0 }, async (url, dep, h) => {
      const { port } = new URL(url);
      const b = '----gone';
      const head = `--${b}\r\nContent-Disposition: form-data; name="prod"\r\n\r\nGone\r\n--${b}\r\nContent-Disposition: form-data; name="upload_file_minidump"; filename="u.dmp"\r\n\r\n`;
      for (let i = 0; i < 3; i++) {
        // the headers promise the whole form; half the minidump arrives, then the connection closes
        const socket = connect(Number(port), '127.0.0.1');
        await new Promise((r) => socket.once('connect', r));
        socket.write(`POST /submit HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=${b}\r\nContent-Length: ${head.length + dump.length + b.length + 8}\r\n\r\n`);
        socket.write(head);
        socket.write(dump.subarray(0, dump.length >> 1));
        for (let j = 0; j < 100 && h.collector!.stats.inFlight === 0; j++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(h.collector!.stats.inFlight, 1, 'the upload is in progress');
        socket.destroy();
        for (let j = 0; j < 200 && h.collector!.stats.inFlight > 0; j++) await new Promise((r) => setTimeout(r, 10));
        assert.equal(h.collector!.stats.inFlight, 0, `round ${i}: the abandoned upload ended`);
      }
      assert.equal(h.collector!.stats.accepted, 0);
      assert.equal(h.collector!.stats.refused, 3);
      await drainsAtOnce(h);
      const left: string[] = [];
      for await (const k of dep.objects.list('dumps/')) left.push(k);
      assert.deepEqual(left, [], 'nothing half-stored is visible');
      assert.deepEqual(readdirSync(join(dir, 'objects', '.tmp')), [], 'no temporary file is left behind');
      assert.deepEqual(await dep.db.findCrashes({}), []);
    });
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});

test('a client that goes away while the collector is still checking before reading the body: the upload ends too', { skip: corpusSkip }, async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-gone-'));
  // a store whose free-space answer takes a while (statfs on a slow network file system): the
  // client's connection closes meanwhile, before the collector starts reading the body
  let asked!: () => void;
  const freeAsked = new Promise<void>((r) => (asked = r));
  let answer!: () => void;
  const freeAnswered = new Promise<void>((r) => (answer = r));
  const slowFreeBytes = (store: ObjectStore): ObjectStore => new Proxy(store, {
    get(target, key) {
      if (key === 'freeBytes') return async () => { asked(); await freeAnswered; return 1e12; };
      const v = Reflect.get(target, key) as unknown;
      return typeof v === 'function' ? (v as (...a: unknown[]) => unknown).bind(target) : v;
    },
  });
  try {
    await withServer(dir, { minFreeBytes: 1 }, async (url, _dep, h) => {
      const { port } = new URL(url);
      const socket = connect(Number(port), '127.0.0.1');
      await new Promise((r) => socket.once('connect', r));
      socket.write(`POST /submit HTTP/1.1\r\nHost: 127.0.0.1:${port}\r\nContent-Type: multipart/form-data; boundary=x\r\nContent-Length: 100000\r\n\r\n--x\r\n`);
      await freeAsked;
      socket.destroy();
      await new Promise((r) => setTimeout(r, 100)); // the server has seen the connection close
      answer();
      for (let j = 0; j < 200 && (h.collector!.stats.inFlight > 0 || h.collector!.stats.refused === 0); j++) await new Promise((r) => setTimeout(r, 10));
      assert.equal(h.collector!.stats.inFlight, 0, 'the upload ended');
      assert.equal(h.collector!.stats.refused, 1);
      await drainsAtOnce(h);
    }, { objects: slowFreeBytes });
  } finally {
    answer();
    rmSync(dir, { recursive: true, force: true });
  }
});

/** Drains `h` and checks that nothing held it (an upload waiting for ever would). */
async function drainsAtOnce(h: ServeHandle): Promise<void> {
  const t0 = Date.now();
  await h.drain();
  assert.ok(Date.now() - t0 < 2000, `drained in ${Date.now() - t0} ms`);
}

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
