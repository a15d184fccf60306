// Faults of the scale-out deployment, each with real processes: a collector SIGKILLed mid-upload,
// PostgreSQL shut down for some seconds under a running server, 10,000 corrupt uploads, and a full
// object store (a small tmpfs). (A processor killed mid-job is in the shared end-to-end suite,
// which runs on this deployment too: test/node/serve/postgres/e2e.test.ts.)
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, readFileSync } from 'node:fs';
import { request, Agent } from 'node:http';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { setTimeout as sleep } from 'node:timers/promises';
import type { Deployment } from '../../../../src/node/serve/contract.js';
import { openScaleOutDeployment } from '../../../../src/node/serve/scale-out.js';
import { corpusFile, corpusSkip } from '../../../helpers/corpus.js';
import { freshDatabase, inCI, postgresBinDir, privatePostgres, type PrivatePostgres } from '../../../helpers/postgres.js';
import { scaleOutDeployment } from '../../../helpers/serve-scale-out.js';
import { crashIdOf, crashpadUpload, getJson, multipartBody, waitProcessed, type ServeInstance } from '../e2e-suite.js';

const noPostgres = postgresBinDir() ? undefined : 'no PostgreSQL server binaries (apt-get install postgresql)';
if (noPostgres && inCI) throw new Error(`CI=true: ${noPostgres}`);
const skip = corpusSkip || noPostgres || false;

async function collect(it: AsyncIterable<string>): Promise<string[]> {
  const out: string[] = [];
  for await (const k of it) out.push(k);
  return out;
}

/** Resident memory of a process (kB), from /proc. */
function rssKb(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]);
}

/** POSTs `body` to /submit; the status and the reason given. */
function post(url: string, body: Buffer, type: string, agent: Agent): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(`${url}submit`, { method: 'POST', agent, headers: { 'content-type': type, 'content-length': body.length } }, (res) => {
      let text = '';
      res.setEncoding('utf8');
      res.on('data', (c: string) => (text += c));
      res.on('end', () => resolve({ status: res.statusCode!, body: text }));
      res.on('error', reject);
    });
    req.on('error', reject);
    req.end(body);
  });
}

describe('scale-out deployment under faults', { skip }, () => {
  let pg: PrivatePostgres;
  let dbUrl: string;
  let dep: ReturnType<typeof scaleOutDeployment>;
  let s: ServeInstance | undefined;
  let direct: Deployment; // the test's own view of the same storage
  const dump = () => corpusFile('minidump/breakpad/linux_null_read_av.dmp');

  before(async () => {
    pg = await privatePostgres();
    dbUrl = await freshDatabase(pg.url);
    dep = scaleOutDeployment(dbUrl);
    s = await dep.start({ args: ['--workers', '1', '--min-free-bytes', '0', '--lease-seconds', '2'] });
    direct = await openScaleOutDeployment({ database: dbUrl, objects: dep.objects, postgres: { connectTimeoutMs: 1000 } });
  });
  after(async () => {
    await s?.stop();
    await direct?.close();
    await dep?.dispose();
    await pg?.stop();
  });

  test('a collector SIGKILLed mid-upload: the client gets an error, nothing half-stored is visible', async () => {
    const before = await collect(direct.objects.list(''));
    const { body, type } = multipartBody({ prod: 'KillMid', ver: '1' }, [{ field: 'upload_file_minidump', filename: 'a.dmp', bytes: readFileSync(dump()) }]);
    const victim = s!;
    const answer = new Promise<string>((resolve) => {
      const req = request(`${victim.url}submit`, { method: 'POST', headers: { 'content-type': type, 'content-length': body.length } }, (res) => {
        res.resume();
        res.on('end', () => resolve(`answered ${res.statusCode}`));
        res.on('error', (e) => resolve(`error: ${e.message}`));
      });
      req.on('error', (e) => resolve(`error: ${e.message}`));
      req.write(body.subarray(0, body.length >> 1)); // half the upload, then the collector dies
    });
    await sleep(300);
    await victim.kill();
    assert.match(await answer, /^error: /, 'the client sees the upload fail');
    s = await dep.start({ args: ['--workers', '1', '--min-free-bytes', '0', '--lease-seconds', '2'] });
    assert.deepEqual(await direct.db.findCrashes({ product: 'KillMid' }), [], 'no crash recorded');
    assert.deepEqual(await collect(direct.objects.list('')), before, 'no object visible');
  });

  test('PostgreSQL down for some seconds: uploads get 503 + Retry-After, then are accepted again; nothing accepted is lost', async () => {
    const accepted: string[] = [crashIdOf(crashpadUpload(s!.url, dump(), { prod: 'PgDown', ver: '1' }))];
    await pg.down();
    try {
      for (let i = 0; i < 3; i++) {
        const r = crashpadUpload(s!.url, dump(), { prod: 'PgDown', ver: '1' });
        assert.equal(r.status, 503, `while the database is down: ${r.status} ${r.body}`);
        assert.ok(Number(r.headers['retry-after']) > 0, 'with Retry-After');
        assert.match(r.body, /database/i, 'saying why');
      }
      await sleep(1500);
    } finally {
      await pg.up(); // restored whatever happened
    }
    const until = Date.now() + 20_000;
    for (;;) {
      const r = crashpadUpload(s!.url, dump(), { prod: 'PgDown', ver: '1' });
      if (r.status === 200) {
        accepted.push(crashIdOf(r));
        break;
      }
      assert.equal(r.status, 503, r.body);
      assert.ok(Date.now() < until, 'accepted again within 20 s of the database coming back');
      await sleep(250);
    }
    for (const id of accepted) assert.equal((await waitProcessed(s!.url, id)).state, 'processed', `${id} kept and processed`);
    const rows = await direct.db.findCrashes({ product: 'PgDown' });
    assert.deepEqual(rows.map((r) => r.id).sort(), [...accepted].sort(), 'exactly the accepted crashes, each once');
  });

  test('10,000 corrupt uploads: each refused with a reason; memory stays bounded and the server answers', async () => {
    const agent = new Agent({ keepAlive: true, maxSockets: 16 });
    const good = readFileSync(dump());
    const kinds = [
      multipartBody({ prod: 'Corrupt', ver: '1' }, [{ field: 'upload_file_minidump', filename: 'x.dmp', bytes: Buffer.from('MDMP but not really a minidump at all') }]),
      multipartBody({ prod: 'Corrupt', ver: '1' }, [{ field: 'upload_file_minidump', filename: 'x.dmp', bytes: good.subarray(0, 200) }]),
      multipartBody({ prod: 'Corrupt', ver: '1' }, []),
      { body: Buffer.from('--nope\r\ngarbage'), type: 'multipart/form-data; boundary=nope' },
      { body: Buffer.from('not multipart'), type: 'text/plain' },
    ];
    const pid = s!.proc.pid!;
    // warm up, then measure
    for (let i = 0; i < 200; i++) await post(s!.url, kinds[i % kinds.length]!.body, kinds[i % kinds.length]!.type, agent);
    const rssBefore = rssKb(pid);
    const statuses = new Map<number, number>();
    let next = 0;
    let unexplained = 0;
    const total = 10_000;
    await Promise.all(Array.from({ length: 16 }, async () => {
      while (next < total) {
        const k = kinds[next++ % kinds.length]!;
        const r = await post(s!.url, k.body, k.type, agent);
        statuses.set(r.status, (statuses.get(r.status) ?? 0) + 1);
        if (r.body.trim().length < 5) unexplained++;
      }
    }));
    agent.destroy();
    const rssAfter = rssKb(pid);
    assert.ok([...statuses.keys()].every((st) => st >= 400 && st < 500), `all refused as the client's fault: ${JSON.stringify([...statuses])}`);
    assert.equal([...statuses.values()].reduce((a, b) => a + b, 0), total);
    assert.equal(unexplained, 0, 'every refusal says why');
    assert.ok(rssAfter - rssBefore < 100 * 1024, `memory grew by ${rssAfter - rssBefore} kB over 10,000 refusals`);
    assert.deepEqual(await direct.db.findCrashes({ product: 'Corrupt' }), [], 'nothing recorded');
    const id = crashIdOf(crashpadUpload(s!.url, dump(), { prod: 'AfterCorrupt', ver: '1' }));
    assert.equal((await waitProcessed(s!.url, id)).state, 'processed', 'the server still accepts and processes');
    await getJson(`${s!.url}api/signatures`);
  });

  test('a full object store (a 1 MiB tmpfs): uploads get 507, everything accepted is kept', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('mounting a tmpfs needs root');
    const mnt = join(dep.dir, 'small');
    mkdirSync(mnt);
    const m = spawnSync('mount', ['-t', 'tmpfs', '-o', 'size=1m,mode=0700', 'tmpfs', mnt], { encoding: 'utf8' });
    if (m.status !== 0) {
      if (inCI) assert.fail(`mount tmpfs: ${m.stderr}`);
      return t.skip(`mount tmpfs failed: ${m.stderr.trim()}`);
    }
    const small = scaleOutDeployment(await freshDatabase(pg.url), mnt);
    const server = await small.start({ args: ['--workers', '1', '--min-free-bytes', '0'] });
    try {
      const accepted: string[] = [];
      let full: { status: number; body: string } | undefined;
      const agent = new Agent({ keepAlive: true });
      const { body, type } = multipartBody({ prod: 'Full', ver: '1' }, [{ field: 'upload_file_minidump', filename: 'a.dmp', bytes: readFileSync(dump()) }]);
      for (let i = 0; i < 400 && !full; i++) {
        const r = await post(server.url, body, type, agent);
        if (r.status === 200) accepted.push(/^CrashID=(bp-[0-9a-f-]+)/.exec(r.body)![1]!);
        else full = r;
      }
      agent.destroy();
      assert.ok(full, 'the store filled up');
      assert.equal(full.status, 507, full.body);
      assert.match(full.body, /full/i);
      assert.ok(accepted.length > 10, `${accepted.length} accepted before it was full`);
      assert.equal(crashpadUpload(server.url, dump(), { prod: 'Full', ver: '1' }).status, 507, 'still 507, still answering');
      for (const id of accepted) {
        const c = await getJson<{ state: string }>(`${server.url}api/crashes/${id}`);
        assert.notEqual(c.state, undefined, `${id} kept`);
      }
    } finally {
      await server.stop();
      spawnSync('umount', ['-l', mnt]);
      await small.dispose();
    }
  });
});
