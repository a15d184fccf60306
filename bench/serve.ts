/**
 * `dumpkit serve` benchmark (`npm run bench -- serve`), embedded deployment (files + SQLite):
 *  1. uploads: autocannon on loopback posts a 50 KB minidump (corpus minidump2.dmp padded to 50 KB,
 *     Crashpad's form: prod, ver, guid, upload_file_minidump) to a `dumpkit serve --workers 0`
 *     process for DURATION s: accepted uploads/s and p99 latency; side by side with a bare Node
 *     HTTP server that reads and discards the same bodies (the ceiling of this machine's HTTP
 *     stack), as a ratio;
 *  2. processing: the crashes queued in 1 are processed by a server with symbols (the corpus
 *     .sym files uploaded first) and --workers 4: processed crashes/s until the queue is empty;
 *     side by side with Breakpad's minidump_stackwalk on the same dump and symbols, run serially,
 *     one process per crash (what a script around it would do), as a ratio.
 * Scale-out figures (Postgres, two collectors) are added by the scale-out part of this file.
 */
import autocannon from 'autocannon';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { createServer, get } from 'node:http';
import type { AddressInfo } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const corpus = join(root, '../shared/corpus');
const mainTs = join(root, 'src/node/cli/main.ts');
const DURATION = Number(process.env.DUMPKIT_BENCH_SERVE_SECONDS ?? 10);
const CONNECTIONS = 64;
const stackwalk = process.env.DUMPKIT_MINIDUMP_STACKWALK ?? '/work/ext/breakpad/bin/minidump_stackwalk';

/** The upload body: Crashpad's multipart form with a 50 KB minidump. */
export function uploadBody(): { body: Buffer; type: string; dumpBytes: number } {
  const dump = readFileSync(join(corpus, 'minidump/breakpad/minidump2.dmp'));
  const padded = Buffer.concat([dump, Buffer.alloc(50 * 1024 - dump.length)]); // bytes past the last stream: still the same minidump
  const boundary = '----crashpad-bench-boundary';
  const field = (k: string, v: string) => `--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`;
  const body = Buffer.concat([
    Buffer.from(field('prod', 'Bench') + field('ver', '1.0.0') + field('guid', '3f2e1d0c-1111-2222-3333-444455556666') + field('plat', 'Win32')),
    Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="upload_file_minidump"; filename="upload.dmp"\r\nContent-Type: application/octet-stream\r\n\r\n`),
    padded,
    Buffer.from(`\r\n--${boundary}--\r\n`),
  ]);
  return { body, type: `multipart/form-data; boundary=${boundary}`, dumpBytes: padded.length };
}

/** `dumpkit serve` from source; resolves with its URL once it listens. */
export function startServer(args: string[]): Promise<{ url: string; proc: ChildProcess; stop(): Promise<void> }> {
  const proc = spawn(process.execPath, ['--import', 'tsx', mainTs, 'serve', '--port', '0', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'inherit'] });
  return new Promise((resolve, reject) => {
    let out = '';
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+\/)/.exec(out);
      if (m)
        resolve({
          url: m[1]!,
          proc,
          stop: () =>
            new Promise<void>((r) => {
              proc.once('exit', () => r());
              proc.kill('SIGTERM');
            }),
        });
    });
    proc.once('exit', (code) => reject(new Error(`dumpkit serve exited ${code}`)));
  });
}

export async function hammer(url: string, body: Buffer, type: string): Promise<{ ok: number; other: number; rps: number; p50: number; p99: number; statuses: Record<string, number> }> {
  const statuses: Record<string, number> = {};
  const r = await new Promise<autocannon.Result>((resolve, reject) => {
    const instance = autocannon({ url, method: 'POST', body, headers: { 'content-type': type }, connections: CONNECTIONS, duration: DURATION }, (err, result) =>
      err ? reject(err as Error) : resolve(result),
    );
    instance.on('response', (_client, status) => {
      statuses[status] = (statuses[status] ?? 0) + 1;
    });
  });
  const ok = r['2xx'];
  return { ok, other: r.non2xx + r.errors, rps: ok / DURATION, p50: r.latency.p50, p99: r.latency.p99, statuses };
}

/** A bare HTTP server that reads each body and answers 200: the machine's ceiling for this load. */
async function bareSink(): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    req.on('data', () => {});
    req.on('end', () => res.end('CrashID=bp-00000000-0000-0000-0000-000000000000\n'));
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  return { url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/submit`, close: () => new Promise((r) => server.close(() => r())) };
}

interface Status {
  queueDepth: number;
  processor: { processed: number; failed: number } | null;
}

/** GET /api/status on a fresh connection each time (a busy server may be slow to answer). */
function status(url: string): Promise<Status> {
  return new Promise((resolve, reject) => {
    get(`${url}api/status`, { agent: false }, (res) => {
      let text = '';
      res.on('data', (c: Buffer) => (text += c.toString()));
      res.on('end', () => resolve(JSON.parse(text) as Status));
    }).on('error', reject);
  });
}

export async function run(): Promise<void> {
  if (!existsSync(corpus)) {
    process.stdout.write(`skipped: no corpus at ${corpus}\n`);
    return;
  }
  const { body, type, dumpBytes } = uploadBody();
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bench-serve-'));
  const data = join(dir, 'data');
  try {
    // 1. Uploads.
    const sink = await bareSink();
    const bare = await hammer(sink.url, body, type);
    await sink.close();
    const collector = await startServer(['--data', data, '--workers', '0', '--max-in-flight', '1024', '--max-queue', '100000000', '--min-free-bytes', '0']);
    let up;
    try {
      up = await hammer(`${collector.url}submit`, body, type);
    } finally {
      await collector.stop();
    }
    process.stdout.write(
      `uploads (${dumpBytes} B minidump, ${body.length} B form, ${CONNECTIONS} connections, ${DURATION} s, loopback, embedded, --workers 0):\n` +
        `  dumpkit serve: ${up.rps.toFixed(0)} accepted/s, p50 ${up.p50} ms, p99 ${up.p99} ms, ${up.ok} accepted, ${up.other} other (${JSON.stringify(up.statuses)})\n` +
        `  bare Node http sink: ${bare.rps.toFixed(0)} req/s, p99 ${bare.p99} ms\n` +
        `  ratio dumpkit / bare sink: ${(up.rps / bare.rps).toFixed(2)}\n`,
    );

    // 2. Processing the queued crashes with symbols.
    const proc = await startServer(['--data', data, '--workers', '0', '--min-free-bytes', '0']);
    const sym = spawnSync(process.execPath, ['--import', 'tsx', mainTs, 'symbols', 'upload', join(corpus, 'symbols'), '--url', proc.url], { cwd: root, encoding: 'utf8' });
    await proc.stop();
    if (sym.status !== 0) throw new Error(`symbols upload: ${sym.stderr}`);
    for (const workers of [1, 4]) {
      if (workers !== 1) spawnSync(process.execPath, ['--import', 'tsx', mainTs, 'serve', 'reprocess', '--data', data, '--all'], { cwd: root });
      const server = await startServer(['--data', data, '--workers', String(workers), '--min-free-bytes', '0']);
      try {
        const queued = (await status(server.url)).queueDepth;
        const budget = Math.min(queued, 3000);
        const t0 = performance.now();
        let s = await status(server.url);
        while (s.processor!.processed + s.processor!.failed < budget) {
          await new Promise((r) => setTimeout(r, 100));
          s = await status(server.url);
        }
        const secs = (performance.now() - t0) / 1000;
        const done = s.processor!.processed + s.processor!.failed;
        process.stdout.write(`processing (minidump2 + symbols, embedded, --workers ${workers}): ${(done / secs).toFixed(0)} crashes/s (${done} in ${secs.toFixed(1)} s, ${s.processor!.failed} failed, ${queued} were queued)\n`);
      } finally {
        await server.stop();
      }
    }
    if (existsSync(stackwalk)) {
      const runs = 20;
      const dump = join(corpus, 'minidump/breakpad/minidump2.dmp');
      const t0 = performance.now();
      for (let i = 0; i < runs; i++) spawnSync(stackwalk, [dump, join(corpus, 'symbols')], { stdio: 'ignore' });
      const per = (performance.now() - t0) / runs / 1000;
      process.stdout.write(`  Breakpad minidump_stackwalk, one process per crash, serial: ${(1 / per).toFixed(0)} crashes/s\n`);
    } else process.stdout.write(`  (no Breakpad minidump_stackwalk at ${stackwalk}: no ratio)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
