// PostgreSQL for the scale-out tests, always on loopback.
//   testDatabase(): a fresh, empty database (dropped at process exit) on the server named by
//     DUMPKIT_TEST_DATABASE_URL (CI: .ci/run starts Debian's cluster and exports it), or else on a
//     private throwaway server started from Debian's binaries; undefined (+ why) when neither exists.
//   privatePostgres(): always a server of the test's own (initdb in a temporary folder, a free port),
//     for fault tests that stop and resume it without disturbing anyone else's.
import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import { chownSync, existsSync, mkdtempSync, readdirSync, rmSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import pg from 'pg';

export const inCI = process.env.CI === 'true';

/** Debian's server binaries (/usr/lib/postgresql/<major>/bin), newest major first, or undefined. */
export function postgresBinDir(): string | undefined {
  const root = '/usr/lib/postgresql';
  if (!existsSync(root)) return undefined;
  const majors = readdirSync(root).filter((d) => /^\d+$/.test(d)).sort((a, b) => Number(b) - Number(a));
  for (const m of majors) if (existsSync(join(root, m, 'bin', 'initdb'))) return join(root, m, 'bin');
  return undefined;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const s = createServer();
    s.once('error', reject);
    s.listen(0, '127.0.0.1', () => {
      const port = (s.address() as { port: number }).port;
      s.close(() => resolve(port));
    });
  });
}

export interface PrivatePostgres {
  /** postgres://…@127.0.0.1:<port>/postgres (superuser; create databases with freshDatabase). */
  url: string;
  port: number;
  /** The postmaster's pid (SIGSTOP/SIGCONT it to make the server unresponsive and back). */
  pid(): number;
  /** Makes the whole server stop answering (SIGSTOP to every process of the cluster). */
  pause(): void;
  /** Undoes pause(). */
  resume(): void;
  /** Shuts the server down (fast: clients are cut off), keeping its data. */
  down(): Promise<void>;
  /** Starts it again on the same port and data after down(). */
  up(): Promise<void>;
  /** Stops the server and removes its folder. Safe to call twice. */
  stop(): Promise<void>;
}

const asRoot = process.getuid?.() === 0;

function runAsPostgres(cmd: string, args: string[]): { cmd: string; args: string[] } {
  // initdb and postgres refuse to run as root: as root, run them as Debian's `postgres` user
  return asRoot ? { cmd: 'runuser', args: ['-u', 'postgres', '--', cmd, ...args] } : { cmd, args };
}

/** Starts a throwaway server of the caller's own. Throws when the binaries are missing. */
export async function privatePostgres(opts: { durable?: boolean } = {}): Promise<PrivatePostgres> {
  const bin = postgresBinDir();
  if (!bin) throw new Error('no PostgreSQL server binaries under /usr/lib/postgresql');
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-pg-'));
  if (asRoot) {
    const uid = Number(execFileSync('id', ['-u', 'postgres'], { encoding: 'utf8' }).trim());
    const gid = Number(execFileSync('id', ['-g', 'postgres'], { encoding: 'utf8' }).trim());
    chownSync(dir, uid, gid);
  }
  const data = join(dir, 'data');
  const init = runAsPostgres(join(bin, 'initdb'), ['-D', data, '-U', 'postgres', '--auth=trust', '-E', 'UTF8', '--no-sync', '-N']);
  execFileSync(init.cmd, init.args, { stdio: ['ignore', 'ignore', 'pipe'] });
  const port = await freePort();
  const run = runAsPostgres(join(bin, 'postgres'), [
    '-D', data, '-p', String(port), '-h', '127.0.0.1', '-k', dir,
    '-c', 'max_connections=100',
    // tests trade durability for speed; the bench keeps PostgreSQL's defaults (fsync on)
    ...(opts.durable ? [] : ['-c', 'fsync=off', '-c', 'synchronous_commit=off', '-c', 'full_page_writes=off']),
  ]);
  const url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  let child!: ChildProcess;
  let log = '';
  const launch = async (): Promise<void> => {
    child = spawn(run.cmd, run.args, { stdio: ['ignore', 'ignore', 'pipe'], detached: false });
    child.stderr!.on('data', (b: Buffer) => { log = (log + b.toString()).slice(-4000); });
    // the server must not keep the test process alive: it is stopped at exit at the latest
    child.unref();
    (child.stderr as unknown as { unref(): void }).unref();
    const deadline = Date.now() + 20_000;
    for (;;) {
      const c = new pg.Client({ connectionString: url });
      try {
        await c.connect();
        await c.end();
        return;
      } catch {
        await c.end().catch(() => undefined);
        if (child.exitCode !== null || Date.now() > deadline) throw new Error(`private PostgreSQL did not start: ${log}`);
        await sleep(100);
      }
    }
  };
  const exited = async (): Promise<void> => {
    const until = Date.now() + 10_000;
    while (child.exitCode === null && child.signalCode === null && Date.now() < until) await sleep(50);
    if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
  };
  await launch();
  // with runuser, the postmaster is runuser's child: find it through postmaster.pid
  const postmasterPid = (): number => Number(execFileSync('head', ['-1', join(data, 'postmaster.pid')], { encoding: 'utf8' }).trim());
  let pm = postmasterPid();
  const clusterPids = (): number[] => {
    const out = execFileSync('ps', ['-eo', 'pid=,ppid='], { encoding: 'utf8' });
    const pids = [pm];
    for (const line of out.trim().split('\n')) {
      const [pid, ppid] = line.trim().split(/\s+/).map(Number);
      if (ppid === pm) pids.push(pid!);
    }
    return pids;
  };
  let stopped = false;
  const stop = async (): Promise<void> => {
    if (stopped) return;
    stopped = true;
    for (const p of clusterPids()) try { process.kill(p, 'SIGCONT'); } catch { /* gone */ }
    try { process.kill(pm, 'SIGQUIT'); } catch { /* already gone */ }
    await exited();
    rmSync(dir, { recursive: true, force: true });
  };
  process.once('exit', () => {
    if (stopped) return;
    for (const p of clusterPids()) try { process.kill(p, 'SIGCONT'); } catch { /* gone */ }
    try { process.kill(pm, 'SIGQUIT'); } catch { /* gone */ }
    // the server takes a moment to go: its folder is removed once it has
    spawn('sh', ['-c', `while kill -0 ${pm} 2>/dev/null; do sleep 0.1; done; rm -rf '${dir}'`], { detached: true, stdio: 'ignore' }).unref();
  });
  return {
    url,
    port,
    pid: () => pm,
    pause: () => { for (const p of clusterPids()) process.kill(p, 'SIGSTOP'); },
    resume: () => { for (const p of clusterPids()) try { process.kill(p, 'SIGCONT'); } catch { /* gone */ } },
    down: async () => {
      process.kill(pm, 'SIGINT'); // fast shutdown: clients are disconnected, the data is kept
      await exited();
    },
    up: async () => {
      await launch();
      pm = postmasterPid();
    },
    stop,
  };
}

let shared: Promise<string | undefined> | undefined;
let sharedReason = '';

async function adminUrl(): Promise<string | undefined> {
  const env = process.env.DUMPKIT_TEST_DATABASE_URL;
  if (env) return env;
  if (!postgresBinDir()) {
    sharedReason = 'no DUMPKIT_TEST_DATABASE_URL and no PostgreSQL server binaries (apt-get install postgresql)';
    return undefined;
  }
  return (await privatePostgres()).url;
}

/** Returns `url` with its database name replaced. */
export function withDatabase(url: string, name: string): string {
  const u = new URL(url);
  u.pathname = `/${name}`;
  return u.toString();
}

/** Creates an empty database on the server of `adminUrl`, dropped at process exit (best effort). */
export async function freshDatabase(admin: string): Promise<string> {
  const name = `dumpkit_test_${process.pid}_${Math.random().toString(36).slice(2, 10)}`;
  const c = new pg.Client({ connectionString: admin });
  await c.connect();
  try {
    await c.query(`CREATE DATABASE ${name}`);
  } finally {
    await c.end();
  }
  created.push({ admin, name });
  return withDatabase(admin, name);
}

const created: { admin: string; name: string }[] = [];

/** Drops the databases freshDatabase made (call from an after() hook; the server may be gone). */
export async function dropTestDatabases(): Promise<void> {
  for (const { admin, name } of created.splice(0)) {
    const c = new pg.Client({ connectionString: admin, connectionTimeoutMillis: 2000 });
    try {
      await c.connect();
      await c.query(`DROP DATABASE IF EXISTS ${name} WITH (FORCE)`);
    } catch {
      // a private server that is already stopped took its databases with it
    } finally {
      await c.end().catch(() => undefined);
    }
  }
}

/**
 * A fresh database URL, or `{ skip }` saying why there is none. In CI a missing server is an error.
 */
export async function testDatabase(): Promise<{ url: string; skip?: undefined } | { url?: undefined; skip: string }> {
  shared ??= adminUrl();
  const admin = await shared;
  if (!admin) {
    if (inCI) throw new Error(`CI=true but no PostgreSQL for the tests: ${sharedReason}`);
    return { skip: sharedReason };
  }
  return { url: await freshDatabase(admin) };
}
