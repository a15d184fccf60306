/**
 * `dumpkit serve` benchmark, scale-out part (`npm run bench -- serve-scale`): PostgreSQL from
 * Debian (a private server on loopback with its default durability, fsync on) and objects in a
 * shared folder.
 *  1. uploads: two collector processes (`--workers 0`), each hammered by autocannon on loopback
 *     with Crashpad's form around a 50 KB minidump for DURATION s: accepted uploads/s in all, p99;
 *  2. processing: one processor process (`--workers 2`, the machine's two cores) with the corpus
 *     symbols uploaded: processed crashes/s over the queued crashes;
 *  3. heap: a collector in this process under 300 uploads/s for HEAP s (default 120): V8's used heap
 *     after full collections every 20 s, and its growth per upload (what a leak would show);
 *  4. soak: one collector and one processor under a steady 100 uploads/s for SOAK s (default 600,
 *     the 10-minute soak): resident memory of both at the start, the end and the peak.
 * Environment: DUMPKIT_BENCH_SERVE_SECONDS (default 10), DUMPKIT_BENCH_HEAP_SECONDS (default 120),
 * DUMPKIT_BENCH_SOAK_SECONDS (default 600); 0 leaves a part out.
 */
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, readdirSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { openDeployment } from '../src/node/serve/deployment.js';
import { startServe } from '../src/node/serve/server.js';
import { freshDatabase, postgresBinDir, privatePostgres } from '../test/helpers/postgres.js';

const root = fileURLToPath(new URL('..', import.meta.url));
const corpus = join(root, '../shared/corpus');
const mainTs = join(root, 'src/node/cli/main.ts');
const DURATION = Number(process.env.DUMPKIT_BENCH_SERVE_SECONDS ?? 10);
const SOAK = Number(process.env.DUMPKIT_BENCH_SOAK_SECONDS ?? 600);
const HEAP = Number(process.env.DUMPKIT_BENCH_HEAP_SECONDS ?? 120);
const CONNECTIONS = 32; // per collector

/** Crashpad's multipart form around a 50 KB minidump (minidump2.dmp, zero-padded past its last stream). */
function uploadBody(): { body: Buffer; type: string } {
  const dump = readFileSync(join(corpus, 'minidump/breakpad/minidump2.dmp'));
  const padded = Buffer.concat([dump, Buffer.alloc(Math.max(0, 50 * 1024 - dump.length))]);
  const b = '----crashpad-scale-bench';
  const field = (k: string, v: string): string => `--${b}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const body = Buffer.concat([
    Buffer.from(field('prod', 'Bench') + field('ver', '1.0.0') + field('guid', '3f2e1d0c-1111-2222-3333-444455556666')),
    Buffer.from(`--${b}\r\nContent-Disposition: form-data; name="upload_file_minidump"; filename="upload.dmp"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    padded,
    Buffer.from(`\r\n--${b}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${b}` };
}

interface Server { url: string; proc: ChildProcess; stop(): Promise<void> }

function serve(args: string[]): Promise<Server> {
  const proc = spawn(process.execPath, ['--import', 'tsx', mainTs, 'serve', '--port', '0', '--min-free-bytes', '0', ...args], {
    cwd: root, stdio: ['ignore', 'pipe', 'ignore'],
  });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+\/)/.exec(out);
      if (m) resolve({ url: m[1]!, proc, stop: () => new Promise<void>((r) => { proc.once('exit', () => r()); proc.kill('SIGTERM'); }) });
    });
    proc.once('exit', (code) => reject(new Error(`dumpkit serve exited ${code}`)));
  });
}

function hammer(url: string, body: Buffer, type: string, opts: { duration: number; connections: number; overallRate?: number }): Promise<autocannon.Result> {
  return new Promise((resolve, reject) => {
    autocannon({ url: `${url}submit`, method: 'POST', body, headers: { 'content-type': type }, ...opts }, (err, r) => (err ? reject(err as Error) : resolve(r)));
  });
}

function rssMiB(pid: number): number {
  const m = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return Number(m![1]) / 1024;
}

/** CPU time (user + system, ms) a process has used so far, all its threads; 0 once it is gone. */
function cpuMs(pid: number): number {
  try {
    const f = readFileSync(`/proc/${pid}/stat`, 'utf8').split(') ')[1]!.split(' ');
    return (Number(f[11]) + Number(f[12])) * 10; // utime, stime in clock ticks of 10 ms (USER_HZ 100)
  } catch {
    return 0;
  }
}

/** The postmaster and its backends (every process whose parent is the postmaster). */
function clusterPids(postmaster: number): number[] {
  const pids = [postmaster];
  for (const d of readdirSync('/proc')) {
    if (!/^\d+$/.test(d)) continue;
    try {
      if (Number(readFileSync(`/proc/${d}/stat`, 'utf8').split(') ')[1]!.split(' ')[1]) === postmaster) pids.push(Number(d));
    } catch {
      // gone meanwhile
    }
  }
  return pids;
}

async function count(url: string, sql: string): Promise<number> {
  const c = new pg.Client({ connectionString: url });
  await c.connect();
  try {
    return Number((await c.query<{ n: string }>(sql)).rows[0]!.n);
  } finally {
    await c.end();
  }
}

/**
 * A collector in this process on `db` under 300 uploads/s for HEAP s: V8's used heap after two full
 * collections at the end of each 20 s round. Growth per upload here is what a leak would show as;
 * RSS alone also moves with the allocator and V8's heap sizing.
 */
async function collectorHeap(db: string, objects: string, body: Buffer, type: string): Promise<void> {
  setFlagsFromString('--expose-gc');
  const gc = runInNewContext('gc') as () => void;
  const deployment = await openDeployment({ database: db, objects });
  const h = await startServe({ deployment, port: 0, roles: { collector: true, processor: false, web: false }, limits: { minFreeBytes: 0, maxQueueDepth: 1e9, maxInFlightUploads: 1024 } });
  const rounds: string[] = [];
  const heaps: number[] = [];
  try {
    for (let t = 20; t <= HEAP; t += 20) {
      await hammer(h.url, body, type, { duration: 20, connections: 16, overallRate: 300 });
      await new Promise((r) => setTimeout(r, 500));
      gc();
      gc();
      const heap = process.memoryUsage().heapUsed / 1048576;
      heaps.push(heap);
      rounds.push(`${t} s: ${h.collector!.stats.accepted} accepted, heap ${heap.toFixed(1)} MiB`);
    }
  } finally {
    await h.drain();
    await deployment.close();
  }
  const accepted = h.collector!.stats.accepted;
  const perUpload = heaps.length > 2 ? ((heaps.at(-1)! - heaps[1]!) * 1048576) / (accepted * (1 - 2 / heaps.length)) : NaN;
  process.stdout.write(
    `collector heap after full GCs (in-process collector, 300 uploads/s, ${HEAP} s): ${rounds.join('; ')}\n` +
      `  growth after the first two rounds: ${Number.isNaN(perUpload) ? 'n/a' : `${perUpload.toFixed(1)} bytes per upload`}\n`,
  );
}

export async function run(): Promise<void> {
  if (!existsSync(corpus)) return void process.stdout.write(`skipped: no corpus at ${corpus}\n`);
  if (!postgresBinDir()) return void process.stdout.write('skipped: no PostgreSQL server binaries (apt-get install postgresql)\n');
  const server = await privatePostgres({ durable: true });
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bench-scale-'));
  const { body, type } = uploadBody();
  try {
    const db = await freshDatabase(server.url);
    const common = ['--database', db, '--objects', join(dir, 'objects'), '--max-in-flight', '1024', '--max-queue', '100000000'];

    // 1. Two collectors.
    const collectors = await Promise.all([0, 1].map(() => serve([...common, '--role', 'collector'])));
    let results: autocannon.Result[];
    const cluster = clusterPids(server.pid()); // backends of the collectors' pools start lazily: counted again after
    const before = { collectors: collectors.map((c) => cpuMs(c.proc.pid!)), postgres: new Map(cluster.map((p) => [p, cpuMs(p)])), self: process.cpuUsage() };
    let cpu: { collectors: number; postgres: number; autocannon: number };
    try {
      results = await Promise.all(collectors.map((c) => hammer(c.url, body, type, { duration: DURATION, connections: CONNECTIONS })));
      const self = process.cpuUsage(before.self);
      cpu = {
        collectors: collectors.reduce((a, c, i) => a + cpuMs(c.proc.pid!) - before.collectors[i]!, 0),
        postgres: clusterPids(server.pid()).reduce((a, p) => a + cpuMs(p) - (before.postgres.get(p) ?? 0), 0),
        autocannon: (self.user + self.system) / 1000,
      };
    } finally {
      await Promise.all(collectors.map((c) => c.stop()));
    }
    const ok = results.reduce((a, r) => a + r['2xx'], 0);
    const other = results.reduce((a, r) => a + r.non2xx + r.errors, 0);
    const stored = await count(db, 'SELECT count(*) AS n FROM crashes');
    process.stdout.write(
      `uploads, scale-out (PostgreSQL fsync on, objects in a folder; 2 collector processes, ${CONNECTIONS} connections each, ${body.length} B form, ${DURATION} s):\n` +
        `  ${(ok / DURATION).toFixed(0)} accepted/s, p99 ${Math.max(...results.map((r) => r.latency.p99))} ms, p50 ${Math.max(...results.map((r) => r.latency.p50))} ms, ` +
        `${ok} accepted (${stored} rows in crashes), ${other} other\n` +
        `  CPU per accepted upload: collectors ${(cpu.collectors / ok).toFixed(2)} ms, PostgreSQL ${(cpu.postgres / ok).toFixed(2)} ms, ` +
        `autocannon ${(cpu.autocannon / ok).toFixed(2)} ms: ${((cpu.collectors + cpu.postgres + cpu.autocannon) / ok).toFixed(2)} ms of the 2 cores' ` +
        `${(2000 / Math.max(1, ok / DURATION)).toFixed(2)} ms per upload at this rate\n`,
    );

    // 2. One processor with symbols.
    const proc = await serve([...common, '--role', 'collector']);
    const sym = spawnSync(process.execPath, ['--import', 'tsx', mainTs, 'symbols', 'upload', join(corpus, 'symbols'), '--url', proc.url], { cwd: root, encoding: 'utf8' });
    await proc.stop();
    if (sym.status !== 0) throw new Error(`symbols upload: ${sym.stderr}`);
    const budget = Math.min(stored, 3000);
    const processor = await serve([...common, '--role', 'processor', '--workers', '2']);
    try {
      const t0 = performance.now();
      let done = 0;
      while ((done = await count(db, "SELECT count(*) AS n FROM crashes WHERE state <> 'received'")) < budget) await new Promise((r) => setTimeout(r, 200));
      const s = (performance.now() - t0) / 1000;
      const failed = await count(db, "SELECT count(*) AS n FROM crashes WHERE state = 'failed'");
      process.stdout.write(`processing, scale-out (1 processor process, --workers 2, symbols from the corpus): ${(done / s).toFixed(0)} crashes/s (${done} in ${s.toFixed(1)} s, ${failed} failed)\n`);
    } finally {
      await processor.stop();
    }

    // 3. The collector's heap after full collections under a steady load (in this process, so that gc() can be called).
    if (HEAP > 0) await collectorHeap(db, join(dir, 'objects'), body, type);

    // 4. Soak (DUMPKIT_BENCH_SOAK_SECONDS=0 leaves it out).
    if (SOAK <= 0) return void process.stdout.write('soak: left out (DUMPKIT_BENCH_SOAK_SECONDS=0)\n');
    await count(db, 'SELECT count(*) AS n FROM (SELECT 1) x');
    const col = await serve([...common, '--role', 'collector']);
    const wrk = await serve([...common, '--role', 'processor', '--workers', '2']);
    try {
      const samples: { t: number; col: number; wrk: number }[] = [];
      const sample = (): void => void samples.push({ t: samples.length * 10, col: rssMiB(col.proc.pid!), wrk: rssMiB(wrk.proc.pid!) });
      sample();
      const timer = setInterval(sample, 10_000);
      const r = await hammer(col.url, body, type, { duration: SOAK, connections: 8, overallRate: 100 });
      clearInterval(timer);
      sample();
      const max = (k: 'col' | 'wrk'): number => Math.max(...samples.map((x) => x[k]));
      const mid = samples[Math.floor(samples.length / 2)]!;
      const last = samples[samples.length - 1]!;
      process.stdout.write(
        `soak, scale-out (${SOAK} s at 100 uploads/s: 1 collector, 1 processor --workers 2): ${r['2xx']} accepted, ${r.non2xx + r.errors} other, p99 ${r.latency.p99} ms\n` +
          `  collector RSS MiB: start ${samples[0]!.col.toFixed(0)}, half-way ${mid.col.toFixed(0)}, end ${last.col.toFixed(0)}, max ${max('col').toFixed(0)}\n` +
          `  processor RSS MiB: start ${samples[0]!.wrk.toFixed(0)}, half-way ${mid.wrk.toFixed(0)}, end ${last.wrk.toFixed(0)}, max ${max('wrk').toFixed(0)}\n` +
          `  queue at the end: ${await count(db, "SELECT count(*) AS n FROM jobs WHERE state <> 'dead'")} jobs\n`,
      );
    } finally {
      await col.stop();
      await wrk.stop();
    }
  } finally {
    await server.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}
