// The real `dumpkit ui` for tests and the screenshots script: the browser app built once per source
// state (Vite, into a temporary folder keyed by a hash of src/ui and src/core, so concurrent test
// files share one build), and the CLI run from source with that build (DUMPKIT_UI_DIR), its own
// settings file (XDG_CONFIG_HOME) and dump folder.
import { spawn, type ChildProcess } from 'node:child_process';
import { createHash } from 'node:crypto';
import { existsSync, mkdtempSync, readdirSync, readFileSync, renameSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot, tsxLoader } from './cli.js';

function sourceHash(): string {
  const h = createHash('sha256');
  const walk = (dir: string): void => {
    for (const name of readdirSync(dir).sort()) {
      const p = join(dir, name);
      if (statSync(p).isDirectory()) walk(p);
      else h.update(relative(projectRoot, p)).update(readFileSync(p));
    }
  };
  walk(join(projectRoot, 'src/ui'));
  walk(join(projectRoot, 'src/core'));
  h.update(readFileSync(join(projectRoot, 'package-lock.json')));
  return h.digest('hex').slice(0, 16);
}

/** Builds the app (or reuses the build of the same sources); returns its folder. */
export async function buildApp(): Promise<string> {
  const out = join(tmpdir(), `dumpkit-ui-build-${sourceHash()}`);
  if (existsSync(join(out, 'index.html'))) return out;
  const staging = mkdtempSync(`${out}-staging-`);
  const { build } = await import('vite');
  await build({ configFile: join(projectRoot, 'src/ui/vite.config.ts'), build: { outDir: staging, emptyOutDir: true }, logLevel: 'error' });
  try {
    renameSync(staging, out);
  } catch (e) {
    // another test file finished the same build first
    if (!existsSync(join(out, 'index.html'))) throw e;
    rmSync(staging, { recursive: true, force: true });
  }
  return out;
}

export interface RunningUi {
  child: ChildProcess;
  url: string;
  origin: string;
  port: number;
  token: string;
  dumpDir: string;
  configHome: string;
  stdout(): string;
  stop(): Promise<void>;
}

/** Starts `dumpkit ui --no-open --port 0 --dump-dir DIR` from source; resolves once it prints its address. */
export async function startUi(opts: { dumpDir?: string; args?: string[]; env?: Record<string, string> } = {}): Promise<RunningUi> {
  const appDir = await buildApp();
  const dumpDir = opts.dumpDir ?? mkdtempSync(join(tmpdir(), 'dumpkit-ui-dumps-'));
  const configHome = mkdtempSync(join(tmpdir(), 'dumpkit-ui-config-'));
  const child = spawn(process.execPath, ['--import', tsxLoader, join(projectRoot, 'src/node/cli/main.ts'), 'ui', '--no-open', '--port', '0', '--dump-dir', dumpDir, ...(opts.args ?? [])], {
    cwd: projectRoot,
    env: { ...process.env, DUMPKIT_UI_DIR: appDir, XDG_CONFIG_HOME: configHome, ...opts.env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let out = '';
  let err = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (err += d));
  const url = await new Promise<string>((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`dumpkit ui did not start in 60 s: ${out}${err}`)), 60_000);
    const check = () => {
      const m = /(http:\/\/127\.0\.0\.1:\d+\/\?token=[0-9a-f]+)/.exec(out);
      if (m) {
        clearTimeout(timer);
        resolve(m[1]!);
      }
    };
    child.stdout!.on('data', check);
    child.once('exit', (code) => {
      clearTimeout(timer);
      reject(new Error(`dumpkit ui exited (${code}): ${out}${err}`));
    });
  });
  const u = new URL(url);
  return {
    child,
    url,
    origin: u.origin,
    port: Number(u.port),
    token: u.searchParams.get('token')!,
    dumpDir,
    configHome,
    stdout: () => out + err,
    async stop() {
      if (child.exitCode === null) {
        const exited = new Promise((r) => child.once('exit', r));
        child.kill('SIGTERM');
        await exited;
      }
      rmSync(configHome, { recursive: true, force: true });
    },
  };
}
