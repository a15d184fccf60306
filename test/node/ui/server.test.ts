// The real `dumpkit ui` (spawned from source) with plain HTTP clients: who is refused (no token, a
// wrong one, a foreign Host or Origin, paths out of the dump folder), the socket (loopback only),
// the files API with Range, and the process list against processes started here.
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdirSync, readdirSync, readFileSync, readlinkSync, symlinkSync, writeFileSync } from 'node:fs';
import { request } from 'node:http';
import { networkInterfaces } from 'node:os';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { startUi, type RunningUi } from '../../helpers/ui-server.js';

let ui: RunningUi;
const children: ChildProcess[] = [];

interface Reply {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  body: Buffer;
  json(): { error?: { code: string; message: string } } & Record<string, unknown>;
}

/** One raw HTTP request to the server: the path is sent exactly as given (no normalization). */
function http(path: string, opts: { method?: string; headers?: Record<string, string>; body?: string; host?: string; port?: number } = {}): Promise<Reply> {
  return new Promise((resolve, reject) => {
    const req = request(
      { host: opts.host ?? '127.0.0.1', port: opts.port ?? ui.port, path, method: opts.method ?? 'GET', headers: { Host: `127.0.0.1:${ui.port}`, ...opts.headers }, setHost: false },
      (res) => {
        const chunks: Buffer[] = [];
        res.on('data', (c: Buffer) => chunks.push(c));
        res.on('end', () => {
          const body = Buffer.concat(chunks);
          resolve({ status: res.statusCode!, headers: res.headers, body, json: () => JSON.parse(body.toString('utf8')) as never });
        });
      },
    );
    req.on('error', reject);
    req.end(opts.body);
  });
}

const bearer = (): Record<string, string> => ({ Authorization: `Bearer ${ui.token}` });

function assertRefused(r: Reply, pattern: RegExp): void {
  assert.equal(r.status, 403, r.body.toString());
  assert.match(String(r.headers['content-type']), /application\/json/);
  const e = r.json().error!;
  assert.equal(e.code, 'FORBIDDEN');
  assert.match(e.message, pattern);
}

const MDMP = Buffer.concat([Buffer.from('MDMP'), Buffer.from([0x93, 0xa7, 0, 0]), Buffer.alloc(1000, 7)]);

before(async () => {
  ui = await startUi();
  mkdirSync(join(ui.dumpDir, 'sub'));
  writeFileSync(join(ui.dumpDir, 'app.dmp'), MDMP);
  writeFileSync(join(ui.dumpDir, 'sub', 'MEMORY.DMP'), Buffer.concat([Buffer.from('PAGEDU64'), Buffer.alloc(100)]));
  writeFileSync(join(ui.dumpDir, 'notes.txt'), 'hello');
  writeFileSync(join(ui.dumpDir, '.app.dmp.123.dumpkit-tmp'), 'partial');
  symlinkSync('/etc/passwd', join(ui.dumpDir, 'passwd.dmp'));
  symlinkSync('/etc', join(ui.dumpDir, 'etc'));
});

after(async () => {
  for (const c of children) c.kill('SIGKILL');
  await ui?.stop();
});

test('listens on 127.0.0.1 only: its one listening socket is 127.0.0.1:PORT, and other interfaces refuse', async () => {
  const inodes = new Set<string>();
  for (const fd of readdirSync(`/proc/${ui.child.pid}/fd`)) {
    try {
      const m = /^socket:\[(\d+)\]$/.exec(readlinkSync(`/proc/${ui.child.pid}/fd/${fd}`));
      if (m) inodes.add(m[1]!);
    } catch {
      /* fd closed meanwhile */
    }
  }
  const listening = (file: string) =>
    readFileSync(file, 'utf8')
      .split('\n')
      .slice(1)
      .map((l) => l.trim().split(/\s+/))
      .filter((f) => f.length > 9 && f[3] === '0A' && inodes.has(f[9]!)); // 0A: TCP_LISTEN
  const v4 = listening('/proc/net/tcp');
  assert.deepEqual(
    v4.map((f) => f[1]),
    [`0100007F:${ui.port.toString(16).toUpperCase().padStart(4, '0')}`],
  );
  assert.deepEqual(listening('/proc/net/tcp6'), []);
  const others = Object.values(networkInterfaces())
    .flat()
    .filter((a) => a && a.family === 'IPv4' && !a.internal);
  for (const a of others) {
    await assert.rejects(http('/', { host: a!.address }), /ECONNREFUSED/, `${a!.address} must refuse`);
  }
});

test('no token, a wrong token: refused with a JSON error, on the page, the API and the files', async () => {
  for (const path of ['/', '/index.html', '/api/files', '/api/processes', '/files/app.dmp']) assertRefused(await http(path), /no token/);
  assertRefused(await http('/api/files', { headers: { Authorization: 'Bearer 0123' } }), /wrong token/);
  assertRefused(await http(`/api/files`, { headers: { Authorization: `Bearer ${ui.token.slice(0, -1)}x` } }), /wrong token/);
  assertRefused(await http(`/?token=${ui.token}0`), /wrong token/);
  assertRefused(await http('/api/files', { headers: { Cookie: `dumpkit-ui-token-${ui.port}=nope` } }), /wrong token/);
  // another server's cookie (another port) is not this one's
  assertRefused(await http('/api/files', { headers: { Cookie: `dumpkit-ui-token-${ui.port + 1}=${ui.token}` } }), /no token/);
});

test('the token in the address becomes an HttpOnly SameSite=Strict cookie and the address loses it', async () => {
  const first = await http(`/?token=${ui.token}`);
  assert.equal(first.status, 302);
  assert.equal(first.headers.location, '/');
  const cookie = String(first.headers['set-cookie']);
  assert.match(cookie, new RegExp(`^dumpkit-ui-token-${ui.port}=${ui.token}; HttpOnly; SameSite=Strict; Path=/`));
  const page = await http('/', { headers: { Cookie: cookie.split(';')[0]! } });
  assert.equal(page.status, 200);
  assert.match(page.body.toString(), /<div id="app">/);
  assert.match(String(page.headers['content-security-policy']), /default-src 'self'/);
  assert.equal((await http('/api/files', { headers: bearer() })).status, 200);
});

test('a foreign Host (DNS rebinding) is refused, even with the token', async () => {
  for (const host of [`evil.example:${ui.port}`, `127.0.0.1:${ui.port + 1}`, '127.0.0.1', `[::1]:${ui.port}`, `127.0.0.1.evil.example:${ui.port}`]) {
    assertRefused(await http('/api/files', { headers: { ...bearer(), Host: host } }), /is not this server/);
  }
  assert.equal((await http('/api/files', { headers: { ...bearer(), Host: `localhost:${ui.port}` } })).status, 200);
});

test('a foreign Origin (CSRF) is refused on state changes and on API reads that carry one', async () => {
  const cookie = { Cookie: `dumpkit-ui-token-${ui.port}=${ui.token}` };
  const json = { 'Content-Type': 'application/json' };
  const settings = JSON.stringify({ live: { userPages: true } });
  for (const origin of ['http://evil.example', `http://127.0.0.1:${ui.port + 1}`, 'null', `https://127.0.0.1:${ui.port}`]) {
    assertRefused(await http('/api/files', { headers: { ...bearer(), Origin: origin } }), /Origin/);
    assertRefused(await http('/api/settings', { method: 'PUT', headers: { ...cookie, ...json, Origin: origin }, body: settings }), /Origin/);
    assertRefused(await http('/api/captures', { method: 'POST', headers: { ...cookie, ...json, Origin: origin }, body: JSON.stringify({ pid: 1, type: 'mini' }) }), /Origin/);
  }
  // a state change with the cookie must say where it comes from
  assertRefused(await http('/api/settings', { method: 'PUT', headers: { ...cookie, ...json }, body: settings }), /without an Origin/);
  // the server's own page may
  const ok = await http('/api/settings', { method: 'PUT', headers: { ...cookie, ...json, Origin: ui.origin }, body: settings });
  assert.equal(ok.status, 200, ok.body.toString());
  assert.equal((ok.json() as unknown as { settings: { live: { userPages: boolean } } }).settings.live.userPages, true);
  const saved = JSON.parse(readFileSync(join(ui.configHome, 'dumpkit', 'ui-settings.json'), 'utf8')) as { live: { userPages: boolean } };
  assert.equal(saved.live.userPages, true);
  // a body that is not JSON is refused before anything happens
  const form = await http('/api/settings', { method: 'PUT', headers: { ...bearer(), 'Content-Type': 'application/x-www-form-urlencoded' }, body: 'a=b' });
  assert.equal(form.status, 400);
});

test('/files refuses "..", encoded escapes, absolute paths and symlinks that leave the dump folder', async () => {
  const cases: [string, RegExp][] = [
    ['/files/../../etc/passwd', /"\.\."/],
    ['/files/sub/../../etc/passwd', /"\.\."/],
    ['/files/%2e%2e/%2e%2e/etc/passwd', /encoded/],
    ['/files/..%2f..%2fetc%2fpasswd', /encoded/],
    ['/files/%2E%2E%2F%2E%2E%2Fetc%2Fpasswd', /encoded/],
    ['/files/sub%5c..%5c..%5cetc', /encoded/],
    ['/files//etc/passwd', /absolute/],
    ['/files/sub\\..\\app.dmp', /backslash/],
    ['/files/passwd.dmp', /leaves the dump folder/],
    ['/files/etc/passwd', /leaves the dump folder/],
    ['/files/app.dmp%00', /encoded/],
  ];
  for (const [path, why] of cases) assertRefused(await http(path, { headers: bearer() }), why);
  assert.equal((await http('/files/missing.dmp', { headers: bearer() })).status, 404);
  // the app's own files cannot be left either
  assert.equal((await http('/../../../../etc/passwd', { headers: bearer() })).status, 403);
});

test('GET /api/files lists the dump folder with kinds; /files serves them with Range', async () => {
  const list = (await http('/api/files', { headers: bearer() })).json() as unknown as { name: string; size: number; mtime: string; kind: string }[];
  const byName = new Map(list.map((f) => [f.name, f]));
  assert.deepEqual([...byName.keys()].sort(), ['app.dmp', 'notes.txt', 'sub/MEMORY.DMP']); // no dot files, no symlinks
  assert.equal(byName.get('app.dmp')!.kind, 'minidump');
  assert.equal(byName.get('app.dmp')!.size, MDMP.length);
  assert.ok(!Number.isNaN(Date.parse(byName.get('app.dmp')!.mtime)));
  assert.equal(byName.get('sub/MEMORY.DMP')!.kind, 'kernel');
  assert.equal(byName.get('notes.txt')!.kind, 'other');

  const whole = await http('/files/app.dmp', { headers: bearer() });
  assert.equal(whole.status, 200);
  assert.equal(whole.headers['accept-ranges'], 'bytes');
  assert.deepEqual(whole.body, MDMP);
  const head = await http('/files/app.dmp', { method: 'HEAD', headers: bearer() });
  assert.equal(head.headers['content-length'], String(MDMP.length));
  assert.equal(head.body.length, 0);
  const r = async (range: string) => http('/files/app.dmp', { headers: { ...bearer(), Range: range } });
  const first = await r('bytes=0-3');
  assert.equal(first.status, 206);
  assert.equal(first.headers['content-range'], `bytes 0-3/${MDMP.length}`);
  assert.equal(first.body.toString('latin1'), 'MDMP');
  const middle = await r('bytes=4-7');
  assert.deepEqual([...middle.body], [0x93, 0xa7, 0, 0]);
  const open = await r('bytes=1000-');
  assert.equal(open.status, 206);
  assert.equal(open.body.length, MDMP.length - 1000);
  const suffix = await r('bytes=-10');
  assert.deepEqual(suffix.body, MDMP.subarray(MDMP.length - 10));
  const past = await r(`bytes=${MDMP.length}-`);
  assert.equal(past.status, 416);
  assert.equal(past.headers['content-range'], `bytes */${MDMP.length}`);
  assert.equal((await r('bytes=0-1,4-5')).status, 416);
  assert.equal((await http('/files/sub/MEMORY.DMP', { headers: { ...bearer(), Range: 'bytes=0-7' } })).body.toString('latin1'), 'PAGEDU64');
});

test('GET /api/processes: a process started here, with its user, threads, architecture, memory; CPU % sampled between refreshes', async () => {
  const spinner = spawn(process.execPath, ['-e', 'for (;;) {}'], { stdio: 'ignore' });
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  children.push(spinner, sleeper);
  type Rows = { processes: { pid: number; name: string; user: string; cpu: number | null; privateBytes: number | null; threads: number; arch: string | null; kernelThread: boolean }[]; server: { pid: number } };
  const get = async () => (await http('/api/processes', { headers: bearer() })).json() as unknown as Rows;
  await get();
  await new Promise((r) => setTimeout(r, 1500));
  const d = await get();
  const find = (pid: number) => d.processes.find((p) => p.pid === pid)!;
  const s = find(sleeper.pid!);
  assert.equal(s.name, 'sleep');
  assert.equal(s.threads, 1);
  assert.equal(s.arch, '64-bit');
  assert.equal(s.kernelThread, false);
  const me = readFileSync('/proc/self/status', 'utf8');
  const uid = Number(/^Uid:\s+(\d+)/m.exec(me)![1]);
  const name = readFileSync('/etc/passwd', 'utf8').split('\n').find((l) => l.split(':')[2] === String(uid))?.split(':')[0];
  assert.equal(s.user, name);
  assert.ok(s.privateBytes! > 0, 'private working set');
  assert.ok(s.cpu !== null && s.cpu < 5, `sleep uses no CPU (${s.cpu})`);
  const n = find(spinner.pid!);
  const threads = Number(/^Threads:\s+(\d+)/m.exec(readFileSync(`/proc/${spinner.pid}/status`, 'utf8'))![1]);
  assert.equal(n.threads, threads);
  assert.ok(n.cpu! > s.cpu!, `the spinning process uses more CPU (${n.cpu}) than sleep (${s.cpu})`);
  assert.ok(n.privateBytes! > s.privateBytes!);
  assert.equal(d.server.pid, ui.child.pid);
  assert.ok(d.processes.some((p) => p.kernelThread && p.arch === null), 'kernel threads are listed and marked');
});
