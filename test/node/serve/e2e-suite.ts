// The end-to-end suite of `dumpkit serve`, run against every deployment: real server processes,
// real HTTP, uploads made by curl exactly as Crashpad forms them. A deployment under test gives
// `start()` (a server process on its storage; storage survives restarts) and `dispose()`.
import { buildApp } from '../../helpers/ui-server.js';
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gzipSync } from 'node:zlib';
import { after, before, describe, test } from 'node:test';
import { openDeployment, type DeploymentOptions } from '../../../src/node/serve/deployment.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';
import { breakpadMinidumpUpload, breakpadSymUpload, breakpadUploadSkip } from '../../helpers/interop-tools.js';
import { projectRoot, tsxLoader } from '../../helpers/cli.js';

export interface ServeInstance {
  /** http://127.0.0.1:port/ */
  url: string;
  proc: ChildProcess;
  /** Everything the process wrote to stderr so far. */
  stderr(): string;
  /** SIGTERM; resolves to the exit code. */
  stop(): Promise<number | null>;
  /** SIGKILL. */
  kill(): Promise<void>;
}

export interface DeploymentUnderTest {
  /** A server process on this deployment's storage; `args` are added to `dumpkit serve`. */
  start(opts?: { args?: string[]; env?: Record<string, string> }): Promise<ServeInstance>;
  /** The `--data DIR` / `--database …` arguments (for `serve reprocess`). */
  storageArgs: string[];
  dispose(): Promise<void>;
}

const mainTs = join(projectRoot, 'src/node/cli/main.ts');

/**
 * Runs a program without blocking this process (spawnSync would stall the event loop for seconds,
 * long enough for the server to close kept-alive sockets the client then reuses).
 */
export function runAsync(cmd: string, args: string[]): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { cwd: projectRoot, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    p.stdout.on('data', (c: Buffer) => (stdout += c.toString()));
    p.stderr.on('data', (c: Buffer) => (stderr += c.toString()));
    p.on('error', reject);
    p.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

/** The dumpkit CLI from source, without blocking this process. */
export const runCliAsync = (args: string[]) => runAsync(process.execPath, ['--import', tsxLoader, mainTs, ...args]);

/** Spawns `dumpkit serve <args> --port 0` from source and waits for the URL line it prints. */
export async function spawnServe(args: string[], env: Record<string, string> = {}): Promise<ServeInstance> {
  const proc = spawn(process.execPath, ['--import', tsxLoader, mainTs, 'serve', '--port', '0', ...args], {
    cwd: projectRoot,
    env: { ...process.env, ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  proc.stderr!.on('data', (c: Buffer) => (err += c.toString()));
  const exited = new Promise<number | null>((r) => proc.once('exit', (code) => r(code)));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no URL from dumpkit serve in 30 s; stderr: ${err}`)), 30_000);
    proc.stdout!.on('data', (c: Buffer) => {
      out += c.toString();
      const m = /listening on (http:\/\/\S+\/)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    });
    void exited.then((code) => {
      clearTimeout(timer);
      reject(new Error(`dumpkit serve exited (${code}) before listening: ${err}`));
    });
  });
  return {
    url,
    proc,
    stderr: () => err,
    async stop() {
      proc.kill('SIGTERM');
      return exited;
    },
    async kill() {
      proc.kill('SIGKILL');
      await exited;
    },
  };
}

/** The embedded deployment: a fresh --data directory. */
export function embeddedDeployment(): DeploymentUnderTest {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-serve-'));
  const data = join(dir, 'data');
  return {
    storageArgs: ['--data', data],
    start: (opts = {}) => spawnServe(['--data', data, ...(opts.args ?? [])], opts.env),
    dispose: async () => rmSync(dir, { recursive: true, force: true }),
  };
}

export interface CurlResult {
  status: number;
  body: string;
  headers: Record<string, string>;
}

/** curl with `args`; the status, headers (lower-cased) and body. */
export function curl(args: string[]): CurlResult {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-curl-'));
  try {
    const r = spawnSync('curl', ['-sS', '-D', join(dir, 'h'), '-o', join(dir, 'b'), '-w', '%{http_code}', ...args], { encoding: 'utf8', timeout: 30_000 });
    const headers: Record<string, string> = {};
    let raw = '';
    try {
      raw = readFileSync(join(dir, 'h'), 'utf8');
    } catch {
      /* no response */
    }
    for (const line of raw.split('\r\n')) {
      const i = line.indexOf(':');
      if (i > 0) headers[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
    }
    let body = '';
    try {
      body = readFileSync(join(dir, 'b'), 'utf8');
    } catch {
      /* no body */
    }
    return { status: Number(r.stdout), body, headers };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** An upload as Crashpad forms it: annotations as fields, the minidump in upload_file_minidump. */
export function crashpadUpload(url: string, dump: string, fields: Record<string, string>, extra: string[] = []): CurlResult {
  return curl([...Object.entries(fields).flatMap(([k, v]) => ['-F', `${k}=${v}`]), '-F', `upload_file_minidump=@${dump}`, ...extra, `${url}submit`]);
}

/** The crash id in an accepted upload's answer body, which must be exactly `CrashID=bp-<uuid>\n`. */
export function crashIdIn(body: string): string {
  const m = /^CrashID=(bp-[0-9a-f-]{36})\n$/.exec(body);
  assert.ok(m, `answer ${JSON.stringify(body)} is not CrashID=bp-<uuid>`);
  return m[1]!;
}

export function crashIdOf(r: CurlResult): string {
  assert.equal(r.status, 200, `upload refused: ${r.status} ${r.body}`);
  return crashIdIn(r.body);
}

export async function getJson<T = Record<string, unknown>>(url: string): Promise<T> {
  const res = await fetch(url);
  assert.equal(res.status, 200, `${url}: ${res.status} ${await res.clone().text()}`);
  return (await res.json()) as T;
}

interface CrashJson {
  id: string;
  state: string;
  signature: string | null;
  error: string | null;
  annotations: Record<string, string>;
  attachments: { field: string; filename: string; size: number }[];
  processed: { signature: string; crashReason: string | null; frames: { function: string | null; module: string | null }[]; missingSymbols: string[] } | null;
}

/** Polls the crash until it is processed (or failed). */
export async function waitProcessed(url: string, id: string, timeoutMs = 20_000): Promise<CrashJson> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const c = await getJson<CrashJson>(`${url}api/crashes/${id}`);
    if (c.state !== 'received') return c;
    if (Date.now() > end) throw new Error(`${id} still ${c.state} after ${timeoutMs} ms`);
    await new Promise((r) => setTimeout(r, 100));
  }
}

const dump2 = () => corpusFile('minidump/breakpad/minidump2.dmp');
const nullRead = () => corpusFile('minidump/breakpad/linux_null_read_av.dmp');
const symbolsDir = () => corpusFile('symbols');

/** Thread 0's frames (module, function) in Breakpad's machine-readable expected output. */
function expectedFrames(file: string): { module: string; function: string }[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((l) => /^0\|\d+\|/.test(l))
    .map((l) => {
      const p = l.split('|');
      return { module: p[2]!, function: p[3]! };
    });
}

/** A multipart/form-data body by hand (for gzip and partial sends). */
export function multipartBody(fields: Record<string, string>, files: { field: string; filename: string; bytes: Uint8Array }[]): { body: Buffer; type: string } {
  const boundary = '----dumpkit-test-boundary-7f3a';
  const parts: Buffer[] = [];
  for (const [k, v] of Object.entries(fields)) parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${k}"\r\n\r\n${v}\r\n`));
  for (const f of files) {
    parts.push(Buffer.from(`--${boundary}\r\nContent-Disposition: form-data; name="${f.field}"; filename="${f.filename}"\r\nContent-Type: application/octet-stream\r\n\r\n`));
    parts.push(Buffer.from(f.bytes), Buffer.from('\r\n'));
  }
  parts.push(Buffer.from(`--${boundary}--\r\n`));
  return { body: Buffer.concat(parts), type: `multipart/form-data; boundary=${boundary}` };
}

/** Sends all of `body` but its last `holdBack` bytes, then waits for `release()` to send the rest. */
export function slowUpload(url: string, body: Buffer, type: string, holdBack = 64): { release(): void; response: Promise<{ status: number; body: string }> } {
  let release!: () => void;
  const released = new Promise<void>((r) => (release = r));
  const stream = new ReadableStream<Uint8Array>({
    async start(c) {
      c.enqueue(body.subarray(0, body.length - holdBack));
      await released;
      c.enqueue(body.subarray(body.length - holdBack));
      c.close();
    },
  });
  const response = fetch(`${url}submit`, {
    method: 'POST',
    body: stream,
    headers: { 'content-type': type, 'content-length': String(body.length) },
    duplex: 'half',
  } as RequestInit).then(async (r) => ({ status: r.status, body: await r.text() }));
  return { release, response };
}

/** Waits until `/api/status` satisfies `ok`. */
async function waitStatus(url: string, ok: (s: { collector: { inFlight: number } | null; processor: { inFlight: number } | null; queueDepth: number }) => boolean, timeoutMs = 15_000): Promise<void> {
  const end = Date.now() + timeoutMs;
  while (!ok(await getJson(`${url}api/status`))) {
    if (Date.now() > end) throw new Error('status condition not reached');
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The storage options a deployment's `storageArgs` name (to open it in this process, as `serve reprocess` does). */
function storageOptions(args: string[]): DeploymentOptions {
  const opts: DeploymentOptions = {};
  for (let i = 0; i < args.length; i += 2) {
    const name = { '--data': 'data', '--database': 'database', '--objects': 'objects' }[args[i]!] as keyof DeploymentOptions | undefined;
    assert.ok(name && args[i + 1] !== undefined, `unexpected storage arguments ${args.join(' ')}`);
    opts[name] = args[i + 1];
  }
  return opts;
}

/** Breakpad's minidump_upload (-p product -v version); `response` is the answer body it prints after "Response:". */
async function minidumpUpload(url: string, dump: string, product: string, version: string): Promise<{ status: number | null; stdout: string; stderr: string; response: string | undefined }> {
  const r = await runAsync(breakpadMinidumpUpload!, ['-p', product, '-v', version, dump, url]);
  const at = r.stdout.indexOf('\nResponse:\n');
  // It prints the body, then a newline of its own.
  return { ...r, response: at < 0 ? undefined : r.stdout.slice(at + '\nResponse:\n'.length).replace(/\n$/, '') };
}

export function defineServeSuite(name: string, makeDeployment: () => Promise<DeploymentUnderTest>): void {
  describe(`dumpkit serve end to end: ${name}`, { skip: corpusSkip }, () => {
    let dep: DeploymentUnderTest;
    let s: ServeInstance;
    before(async () => {
      dep = await makeDeployment();
      s = await dep.start({ args: ['--workers', '2', '--min-free-bytes', '0'] });
    });
    after(async () => {
      if (s && /BUG/.test(s.stderr())) process.stderr.write(`server stderr:\n${s.stderr()}\n`);
      if (s) await s.stop();
      await dep?.dispose();
    });

    test('a Crashpad-formed upload is answered CrashID=bp-<uuid>, kept with its annotations and attachments, and processed', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dumpkit-att-'));
      writeFileSync(join(dir, 'log.txt'), 'attached log\n');
      try {
        const r = crashpadUpload(s.url, nullRead(), { prod: 'E2E', ver: '1.2.3', guid: '00000000-1111-2222-3333-444444444444', ptime: '1234' }, ['-F', `upload_file_log=@${join(dir, 'log.txt')}`]);
        const id = crashIdOf(r);
        const c = await waitProcessed(s.url, id);
        assert.equal(c.state, 'processed', c.error ?? '');
        assert.equal(c.annotations.guid, '00000000-1111-2222-3333-444444444444');
        assert.equal(c.annotations.ptime, '1234');
        assert.deepEqual(c.attachments, [{ field: 'upload_file_log', filename: 'log.txt', size: 13 }]);
        assert.match(c.processed!.crashReason ?? '', /^SIGSEGV/);
        assert.ok(c.processed!.frames.length > 0);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('a gzip-encoded upload is accepted', async () => {
      const { body, type } = multipartBody({ prod: 'E2E', ver: 'gz' }, [{ field: 'upload_file_minidump', filename: 'x.dmp', bytes: readFileSync(dump2()) }]);
      const dir = mkdtempSync(join(tmpdir(), 'dumpkit-gz-'));
      try {
        writeFileSync(join(dir, 'body.gz'), gzipSync(body));
        const id = crashIdOf(curl(['-H', `Content-Type: ${type}`, '-H', 'Content-Encoding: gzip', '--data-binary', `@${join(dir, 'body.gz')}`, `${s.url}submit`]));
        assert.equal((await waitProcessed(s.url, id)).state, 'processed');
        // A corrupt gzip body is refused with a reason.
        writeFileSync(join(dir, 'bad.gz'), Buffer.concat([gzipSync(body).subarray(0, 100), Buffer.from('not gzip')]));
        const bad = curl(['-H', `Content-Type: ${type}`, '-H', 'Content-Encoding: gzip', '--data-binary', `@${join(dir, 'bad.gz')}`, `${s.url}submit`]);
        assert.equal(bad.status, 400);
        assert.match(bad.body, /gzip|multipart|upload_file_minidump/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('symbols uploaded (symupload form, a zip, dumpkit symbols upload) name the frames as Breakpad does; re-processing after symbols arrive', async () => {
      // Before symbols: module@offset frames.
      const early = await waitProcessed(s.url, crashIdOf(crashpadUpload(s.url, dump2(), { prod: 'Sym', ver: '1.0' })));
      assert.match(early.signature!, /^test_app\.exe@0x/);
      assert.ok(early.processed!.missingSymbols.some((m) => m.startsWith('test_app.pdb/')), early.processed!.missingSymbols.join());
      // symupload's own form: symbol_file + debug_file/debug_identifier/code_file/os/cpu.
      const sym = corpusFile('symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym');
      const up = curl(['-F', 'code_file=test_app.exe', '-F', 'debug_file=test_app.pdb', '-F', 'debug_identifier=5A9832E5287241C1838ED98914E9B7FF1', '-F', 'os=windows', '-F', 'cpu=x86', '-F', `symbol_file=@${sym}`, `${s.url}symbols`]);
      assert.equal(up.status, 200, up.body);
      assert.deepEqual((JSON.parse(up.body) as { stored: { debugFile: string; debugId: string }[] }).stored.map((x) => `${x.debugFile}/${x.debugId}`), ['test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1']);
      // A zip of .sym files (kernel32).
      const dir = mkdtempSync(join(tmpdir(), 'dumpkit-zip-'));
      try {
        const z = spawnSync('zip', ['-qr', join(dir, 'syms.zip'), 'kernel32.pdb'], { cwd: symbolsDir() });
        if (z.error) throw z.error;
        const zr = curl(['-F', `symbols.zip=@${join(dir, 'syms.zip')}`, `${s.url}symbols`]);
        assert.equal(zr.status, 200, zr.body);
        assert.match(zr.body, /kernel32\.pdb/);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
      // The CLI uploads a whole directory (files with and without MODULE lines).
      const cli = await runCliAsync(['symbols', 'upload', symbolsDir(), '--url', s.url]);
      assert.equal(cli.status, 0, cli.stderr);
      assert.match(cli.stdout, /uploaded null_read_av\/7B7D1968FF0D47AE4366E9C3A7E1B6750/);
      // Re-process the early crash: it gets the named frames.
      const rp = await runCliAsync(['serve', 'reprocess', ...dep.storageArgs, '--id', early.id]);
      assert.equal(rp.status, 0, rp.stderr);
      assert.match(rp.stdout, /enqueued 1 crash/);
      const end = Date.now() + 20_000;
      let again = await getJson<CrashJson>(`${s.url}api/crashes/${early.id}`);
      while (again.signature === early.signature && Date.now() < end) {
        await new Promise((r) => setTimeout(r, 100));
        again = await getJson<CrashJson>(`${s.url}api/crashes/${early.id}`);
      }
      const want = expectedFrames(corpusFile('minidump/breakpad/expected/minidump2.stackwalk.machine_readable.out'));
      assert.deepEqual(
        again.processed!.frames.map((f) => ({ module: f.module, function: f.function })),
        want.map((w) => ({ module: w.module, function: w.function })),
      );
      assert.equal(again.signature, "`anonymous namespace'::CrashFunction | main | __tmainCRTStartup");
      assert.deepEqual(again.processed!.missingSymbols, []);
    });

    test('crashes group by signature, with counts per day and per version; search by product, version, signature, module, date', async () => {
      const ids = [crashpadUpload(s.url, dump2(), { prod: 'Group', ver: '2.0' }), crashpadUpload(s.url, dump2(), { prod: 'Group', ver: '2.0' }), crashpadUpload(s.url, dump2(), { prod: 'Group', ver: '2.1' }), crashpadUpload(s.url, nullRead(), { prod: 'Group', ver: '2.1' })].map(crashIdOf);
      for (const id of ids) assert.equal((await waitProcessed(s.url, id)).state, 'processed');
      const { signatures } = await getJson<{ signatures: { signature: string; count: number; perVersion: Record<string, number>; perDay: Record<string, number> }[] }>(`${s.url}api/signatures?product=Group`);
      assert.equal(signatures.length, 2);
      const top = signatures[0]!;
      assert.equal(top.count, 3);
      assert.deepEqual(top.perVersion, { '2.0': 2, '2.1': 1 });
      assert.deepEqual(Object.values(top.perDay), [3]);
      assert.equal(signatures[1]!.count, 1);
      const q = async (params: string) => (await getJson<{ crashes: { id: string }[] }>(`${s.url}api/crashes?product=Group&${params}`)).crashes.map((c) => c.id).sort();
      assert.deepEqual(await q(`signature=${encodeURIComponent(top.signature)}`), ids.slice(0, 3).sort());
      assert.deepEqual(await q('version=2.1'), ids.slice(2).sort());
      assert.deepEqual(await q('module=test_app.exe'), ids.slice(0, 3).sort());
      assert.deepEqual(await q('from=2000-01-01&to=2001-01-01'), []);
      const bad = await fetch(`${s.url}api/crashes?from=yesterday`);
      assert.equal(bad.status, 400);
      assert.equal((await fetch(`${s.url}api/crashes/bp-00000000-0000-0000-0000-000000000000`)).status, 404);
    });

    test('corrupt or incomplete uploads are refused with a reason, nothing is stored, the server stays up', async () => {
      const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bad-'));
      try {
        const good = readFileSync(dump2());
        const cases: [string, Uint8Array, RegExp][] = [
          ['text.dmp', Buffer.from('this is not a minidump\n'), /MDMP|MINIDUMP_HEADER/],
          ['short.dmp', good.subarray(0, 20), /MINIDUMP_HEADER/],
          ['cut.dmp', good.subarray(0, 200), /runs past the end|past the end|TRUNCATED|directory/i],
          ['pe.dmp', Buffer.concat([Buffer.from('MZ'), good.subarray(2)]), /Signature/],
        ];
        const before = (await getJson<{ crashes: unknown[] }>(`${s.url}api/crashes?product=Bad`)).crashes.length;
        for (const [file, bytes, reason] of cases) {
          writeFileSync(join(dir, file), bytes);
          const r = crashpadUpload(s.url, join(dir, file), { prod: 'Bad', ver: '1' });
          assert.equal(r.status, 400, `${file}: ${r.status} ${r.body}`);
          assert.match(r.body, reason, file);
        }
        const noDump = curl(['-F', 'prod=Bad', '-F', 'ver=1', `${s.url}submit`]);
        assert.equal(noDump.status, 400);
        assert.match(noDump.body, /no upload_file_minidump/);
        const noProd = curl(['-F', `upload_file_minidump=@${dump2()}`, `${s.url}submit`]);
        assert.equal(noProd.status, 400);
        assert.match(noProd.body, /prod/);
        // sym_upload's sym-upload-v2 API is not there: it is told so (it prints the body).
        const v2 = curl([`${s.url}symbols/v1/symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1:checkStatus`]);
        assert.equal(v2.status, 501);
        assert.match(v2.body, /sym-upload-v2 is not supported.*sym-upload-v1/);
        const notForm = curl(['--data-binary', `@${dump2()}`, `${s.url}submit`]);
        assert.equal(notForm.status, 415);
        assert.equal((await getJson<{ crashes: unknown[] }>(`${s.url}api/crashes?product=Bad`)).crashes.length, before);
        assert.equal((await fetch(`${s.url}healthz`)).status, 200);
      } finally {
        rmSync(dir, { recursive: true, force: true });
      }
    });

    test('web API requests need this server as Host, and state changes need its Origin', async () => {
      const evilHost = curl(['-H', 'Host: attacker.example:80', `${s.url}api/signatures`]);
      assert.equal(evilHost.status, 403);
      const evilOrigin = curl(['-X', 'POST', '-H', 'Origin: http://attacker.example', '-H', 'Content-Type: application/json', '--data', '{"all":true}', `${s.url}api/reprocess`]);
      assert.equal(evilOrigin.status, 403);
      const form = curl(['-X', 'POST', '-H', 'Content-Type: text/plain', '--data', '{"all":true}', `${s.url}api/reprocess`]);
      assert.equal(form.status, 403);
      const ok = curl(['-X', 'POST', '-H', `Origin: ${s.url.slice(0, -1)}`, '-H', 'Content-Type: application/json', '--data', '{"signature":"no such signature"}', `${s.url}api/reprocess`]);
      assert.equal(ok.status, 200, ok.body);
      assert.deepEqual(JSON.parse(ok.body), { enqueued: 0 });
    });

    test('limits: an oversized minidump is 413; a full queue is 429 and too many uploads at once 503, both with Retry-After', async () => {
      await s.stop(); // its workers would empty the queue
      const t = await dep.start({ args: ['--max-dump-bytes', '16384', '--max-queue', '1', '--max-in-flight', '1', '--workers', '0', '--min-free-bytes', '0'] });
      try {
        const big = crashpadUpload(t.url, nullRead(), { prod: 'Lim', ver: '1' });
        assert.equal(big.status, 413, big.body);
        assert.match(big.body, /larger than 16384/);
        // One slow upload in hand: the next gets 503 + Retry-After.
        const small = readFileSync(dump2());
        assert.ok(small.length <= 16384, `${small.length}`);
        const { body, type } = multipartBody({ prod: 'Lim', ver: '1' }, [{ field: 'upload_file_minidump', filename: 'a.dmp', bytes: small }]);
        const slow = slowUpload(t.url, body, type);
        await waitStatus(t.url, (st) => st.collector!.inFlight === 1);
        const busy = crashpadUpload(t.url, dump2(), { prod: 'Lim', ver: '1' });
        assert.equal(busy.status, 503, busy.body);
        assert.ok(Number(busy.headers['retry-after']) > 0);
        slow.release();
        const first = await slow.response;
        assert.equal(first.status, 200, first.body);
        // The queue now holds more than 1 job (no workers): 429 + Retry-After.
        await new Promise((r) => setTimeout(r, 300));
        const full = crashpadUpload(t.url, dump2(), { prod: 'Lim', ver: '1' });
        assert.equal(full.status, 429, full.body);
        assert.ok(Number(full.headers['retry-after']) > 0);
      } finally {
        await t.stop();
        s = await dep.start({ args: ['--workers', '2', '--min-free-bytes', '0'] });
      }
    });

    test('SIGTERM drains: an upload in progress is answered and kept, the process exits 0', async () => {
      const t = await dep.start({ args: ['--workers', '0', '--min-free-bytes', '0'] });
      const { body, type } = multipartBody({ prod: 'Drain', ver: '1' }, [{ field: 'upload_file_minidump', filename: 'a.dmp', bytes: readFileSync(nullRead()) }]);
      const slow = slowUpload(t.url, body, type);
      await waitStatus(t.url, (st) => st.collector!.inFlight === 1);
      const exit = t.stop();
      await new Promise((r) => setTimeout(r, 200));
      slow.release();
      const r = await slow.response;
      assert.equal(r.status, 200, r.body);
      assert.equal(await exit, 0, t.stderr());
      const id = /CrashID=(bp-\S+)/.exec(r.body)![1]!;
      // Still there for the main server, which processes it.
      assert.equal((await waitProcessed(s.url, id)).state, 'processed');
    });

    test('a worker killed mid-job: the job is redone after its lease, one result', async () => {
      const t = await dep.start({ args: ['--workers', '1', '--lease-seconds', '1', '--min-free-bytes', '0'], env: { DUMPKIT_SERVE_TEST_HOLD_MS: '60000' } });
      // The main server's workers must not take it first: it is stopped for this test.
      await s.stop();
      let id: string;
      try {
        id = crashIdOf(crashpadUpload(t.url, dump2(), { prod: 'Kill', ver: '1' }));
        await waitStatus(t.url, (st) => st.processor!.inFlight === 1);
        assert.equal((await getJson<CrashJson>(`${t.url}api/crashes/${id}`)).state, 'received');
      } finally {
        await t.kill();
      }
      s = await dep.start({ args: ['--workers', '2', '--min-free-bytes', '0'] });
      const c = await waitProcessed(s.url, id);
      assert.equal(c.state, 'processed');
      const listed = (await getJson<{ crashes: { id: string }[] }>(`${s.url}api/crashes?product=Kill`)).crashes;
      assert.deepEqual(listed.map((x) => x.id), [id]);
      await waitStatus(s.url, (st) => st.queueDepth === 0);
    });

    test("Breakpad's own minidump_upload and sym_upload (sym-upload-v1) upload to it: CrashID parsed, the crash processed with the symbols sym_upload stored", { skip: breakpadUploadSkip }, async () => {
      // A deployment of its own: the suite's server gets test_app's symbols in another test, and this
      // one first needs them absent.
      const d = await makeDeployment();
      const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bptools-'));
      const key = 'breakpad-tools-key-0123456789';
      writeFileSync(join(dir, 'keys.json'), JSON.stringify({ BpTools: [key] }));
      // sym_upload and minidump_upload have no API-key option: the key goes in the URL.
      const t = await d.start({ args: ['--workers', '1', '--min-free-bytes', '0', '--api-keys', join(dir, 'keys.json')] });
      const submit = `${t.url}submit?key=${key}`;
      const curlKey = ['-H', `X-API-Key: ${key}`];
      const syms = [
        { debugFile: 'test_app.pdb', debugId: '5A9832E5287241C1838ED98914E9B7FF1', name: 'test_app.sym' },
        { debugFile: 'kernel32.pdb', debugId: 'BCE8785C57B44245A669896B6A19B9542', name: 'kernel32.sym' },
      ].map((x) => ({ ...x, path: corpusFile(`symbols/${x.debugFile}/${x.debugId}/${x.name}`) }));
      try {
        // Refused (no key): the tool reports the failure and exits 1.
        const refused = await minidumpUpload(`${t.url}submit`, dump2(), 'BpTools', '7.0.1');
        assert.equal(refused.status, 1, refused.stdout + refused.stderr);
        assert.match(refused.stdout, /^Failed to send minidump: /);

        // Before symbols: accepted, its printed answer parses, processed exactly as the curl path processes the same dump.
        const first = await minidumpUpload(submit, dump2(), 'BpTools', '7.0.1');
        assert.equal(first.status, 0, first.stdout + first.stderr);
        assert.match(first.stdout, /^Successfully sent the minidump file\.\n/);
        const early = await waitProcessed(t.url, crashIdIn(first.response ?? ''));
        assert.equal(early.state, 'processed', early.error ?? '');
        assert.deepEqual(early.annotations, { prod: 'BpTools', ver: '7.0.1' });
        assert.ok(early.processed!.missingSymbols.includes(`test_app.pdb/${syms[0]!.debugId}`), early.processed!.missingSymbols.join());
        const earlyCurl = await waitProcessed(t.url, crashIdOf(crashpadUpload(t.url, dump2(), { prod: 'BpTools', ver: '7.0.1' }, curlKey)));
        assert.deepEqual(early.processed, earlyCurl.processed);

        // sym_upload, default protocol (sym-upload-v1): the module's fields and the file in symbol_file.
        for (const sym of syms) {
          const r = await runAsync(breakpadSymUpload!, [sym.path, `${t.url}symbols?key=${key}`]);
          assert.equal(r.status, 0, r.stdout + r.stderr);
          assert.equal(r.stdout, 'Successfully sent the symbol file.\n');
        }
        // sym-upload-v2 (another API) is refused with a reason the tool prints.
        const v2 = await runAsync(breakpadSymUpload!, ['-p', 'sym-upload-v2', '-k', key, syms[0]!.path, `${t.url}symbols`]);
        assert.equal(v2.status, 1, v2.stdout + v2.stderr);
        assert.match(v2.stdout, /sym-upload-v2 is not supported/);
        // Stored under its debug file and id, the bytes as sent.
        const storage = await openDeployment(storageOptions(d.storageArgs));
        try {
          for (const sym of syms) {
            const stored = await storage.db.symbolKey(sym.debugFile, sym.debugId);
            const prefix = `symbols/${sym.debugFile}/${sym.debugId}/`;
            assert.ok(stored?.startsWith(prefix) && stored.endsWith(`/${sym.name}`), `${sym.debugFile}/${sym.debugId}: ${stored}`);
            assert.ok(Buffer.from((await storage.objects.get(stored!))!).equals(readFileSync(sym.path)), stored);
          }
        } finally {
          await storage.close();
        }

        // After: the frames Breakpad's own processor names, and equal to the curl path's.
        const second = await minidumpUpload(submit, dump2(), 'BpTools', '7.0.2');
        assert.equal(second.status, 0, second.stdout + second.stderr);
        const named = await waitProcessed(t.url, crashIdIn(second.response ?? ''));
        assert.equal(named.state, 'processed', named.error ?? '');
        assert.deepEqual(
          named.processed!.frames.map((f) => ({ module: f.module, function: f.function })),
          expectedFrames(corpusFile('minidump/breakpad/expected/minidump2.stackwalk.machine_readable.out')),
        );
        assert.equal(named.signature, "`anonymous namespace'::CrashFunction | main | __tmainCRTStartup");
        assert.deepEqual(named.processed!.missingSymbols, []);
        const namedCurl = await waitProcessed(t.url, crashIdOf(crashpadUpload(t.url, dump2(), { prod: 'BpTools', ver: '7.0.2' }, curlKey)));
        assert.deepEqual(named.processed, namedCurl.processed);
        const listed = await getJson<{ crashes: { id: string }[] }>(`${t.url}api/crashes?product=BpTools&version=7.0.2`);
        assert.deepEqual(listed.crashes.map((c) => c.id).sort(), [named.id, namedCurl.id].sort());
      } finally {
        await t.stop();
        await d.dispose();
        rmSync(dir, { recursive: true, force: true });
      }
    });
  });
}

/** The web pages (Vite, src/ui) for `--ui-dir`, built as `dumpkit ui`'s tests build them (once per source hash). */
export async function buildServeUi(): Promise<string> {
  return buildApp();
}

/**
 * The web pages in Chromium (Playwright): the signatures page lists an uploaded crash's signature
 * with its charts, its link leads to the signature's crashes, and a crash's page shows its frames.
 */
export function defineServeUiTest(name: string, makeDeployment: () => Promise<DeploymentUnderTest>, noBrowser: string | undefined, launch: () => Promise<{ newContext(): Promise<import('playwright-core').BrowserContext>; close(): Promise<void> }>): void {
  test(`dumpkit serve web pages: ${name}`, { skip: corpusSkip || noBrowser || false }, async () => {
    const ui = await buildServeUi();
    const dep = await makeDeployment();
    const s = await dep.start({ args: ['--ui-dir', ui, '--min-free-bytes', '0'] });
    const browser = await launch();
    try {
      const sym = await runCliAsync(['symbols', 'upload', symbolsDir(), '--url', s.url]);
      assert.equal(sym.status, 0, sym.stderr);
      const id = crashIdOf(crashpadUpload(s.url, dump2(), { prod: 'UiTest', ver: '3.1' }));
      assert.equal((await waitProcessed(s.url, id)).state, 'processed');
      const ctx = await browser.newContext();
      const page = await ctx.newPage();
      const errors: string[] = [];
      page.on('pageerror', (e) => errors.push(e.message));
      await page.goto(s.url);
      const table = page.getByRole('table', { name: 'Signatures' });
      const link = table.getByRole('link', { name: "`anonymous namespace'::CrashFunction | main | __tmainCRTStartup" });
      await link.waitFor({ timeout: 10_000 });
      assert.equal(await page.getByRole('img', { name: /Crashes per version: 3\.1 1/ }).count(), 1);
      await link.click();
      await page.getByRole('table', { name: 'Crashes' }).getByRole('link', { name: id }).click();
      const frames = page.getByRole('table', { name: 'Frames' });
      await frames.waitFor({ timeout: 10_000 });
      const text = await frames.innerText();
      for (const fn of ["`anonymous namespace'::CrashFunction", 'main', '__tmainCRTStartup', 'BaseProcessStart']) assert.ok(text.includes(fn), `${fn} not in ${text}`);
      assert.match(await page.locator('main').innerText(), /EXCEPTION_ACCESS_VIOLATION_WRITE/);
      // Search by module finds it.
      await page.goto(`${s.url}#/search?module=test_app.exe&product=UiTest`);
      await page.getByRole('table', { name: 'Crashes' }).getByRole('link', { name: id }).waitFor({ timeout: 10_000 });
      assert.deepEqual(errors, []);
      await ctx.close();
    } finally {
      await browser.close();
      await s.stop();
      await dep.dispose();
    }
  });
}
