import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The C test target (test/fixtures/target/target.c), compiled with gcc for the tests, and the
 * tools the interop tests need. Absent tools make tests skip with a message, except under CI
 * (CI set) where they must be present.
 */
const source = fileURLToPath(new URL('../fixtures/target/target.c', import.meta.url));

function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}

export const gccPath = which('gcc');
export const lldbPath = which('lldb') ?? which('lldb-14') ?? which('lldb-15') ?? which('lldb-16');
export const gdbPath = which('gdb');

function requireTool(name: string, present: boolean): string | false {
  if (present) return false;
  if (process.env.CI) throw new Error(`CI=true but ${name} is missing (.ci/run installs it)`);
  return `${name} not installed (apt-get install ${name === 'gcc -m32' ? 'gcc-multilib' : name})`;
}

export const gccSkip = requireTool('gcc', !!gccPath);
export const lldbSkip = gccSkip || requireTool('lldb', !!lldbPath);
export const gdbSkip = gccSkip || requireTool('gdb', !!gdbPath);

/** Why a 32-bit test skips where buildTarget(32) cannot build (not in CI, where it throws). */
export const NO_32_BIT = '32-bit target not built: gcc-multilib missing (apt-get install gcc-multilib)';

let buildDir: string | undefined;
const built = new Map<number, string | undefined>();

/** Builds the target for 64 or 32 bits; undefined for 32 when gcc-multilib is absent (not in CI). */
export function buildTarget(bits: 64 | 32): string | undefined {
  if (built.has(bits)) return built.get(bits);
  buildDir ??= mkdtempSync(join(tmpdir(), 'dumpkit-target-'));
  const out = join(buildDir, `target${bits}`);
  const r = spawnSync(gccPath ?? 'gcc', [...(bits === 32 ? ['-m32'] : []), '-O0', '-g', '-pthread', '-o', out, source], { encoding: 'utf8' });
  const ok = r.status === 0 && existsSync(out);
  if (!ok && (bits === 64 || process.env.CI)) throw new Error(`gcc failed to build the ${bits}-bit target: ${r.stderr}`);
  built.set(bits, ok ? out : undefined);
  return built.get(bits);
}

export interface TargetInfo {
  pid: number;
  bits: number;
  pattern: string;
  pattern_len: number;
  heap: string;
  spin_fn: string;
  /** With --short-file: a four-page mapping of a one-page file ("(nil)" otherwise). */
  short_map: string;
  /** 64 KiB marked MADV_DONTFORK / MADV_WIPEONFORK; byte i of area k is (i*31 + k*101 + 7) & 0xff ("(nil)" if madvise failed). */
  dontfork: string;
  wipeonfork: string;
  threads: { tid: number; role: string; local: string }[];
}

/** A running target process with its self-description. */
export class RunningTarget {
  private buffered = '';
  private waiters: ((line: string) => void)[] = [];
  private constructor(
    readonly child: ChildProcessWithoutNullStreams,
    readonly info: TargetInfo,
  ) {}

  static async start(binary: string, args: string[] = []): Promise<RunningTarget> {
    const child = spawn(binary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const lines: string[] = [];
    let resolveFirst: (l: string) => void;
    const first = new Promise<string>((r) => (resolveFirst = r));
    let t: RunningTarget | undefined;
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      let i;
      while ((i = buf.indexOf('\n')) >= 0) {
        const line = buf.slice(0, i);
        buf = buf.slice(i + 1);
        if (!t) resolveFirst(line);
        else t.deliver(line);
        lines.push(line);
      }
    });
    const timer = setTimeout(() => child.kill('SIGKILL'), 60_000);
    const line = await Promise.race([first, new Promise<string>((_, rej) => child.once('exit', () => rej(new Error('target exited early'))))]);
    clearTimeout(timer);
    t = new RunningTarget(child, JSON.parse(line) as TargetInfo);
    return t;
  }

  private deliver(line: string): void {
    const w = this.waiters.shift();
    if (w) w(line);
    else this.buffered += line + '\n';
  }

  async command(cmd: 'gap' | 'count' | 'usr2'): Promise<number> {
    const p = new Promise<string>((r) => this.waiters.push(r));
    this.child.stdin.write(cmd + '\n');
    return Number(await p);
  }

  /** Makes the main thread write to address 0x10 (SIGSEGV); resolves with how the process ended. */
  async crash(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
    const exited = new Promise<{ code: number | null; signal: NodeJS.Signals | null }>((r) => this.child.once('exit', (code, signal) => r({ code, signal })));
    this.child.stdin.write('crash\n');
    return exited;
  }

  /** The spinning thread's counter advances within `withinMs` (polled: a loaded machine may not run it at once). */
  async makesProgress(withinMs = 5000): Promise<boolean> {
    const c1 = await this.command('count');
    const end = Date.now() + withinMs;
    while (Date.now() < end) {
      await new Promise((r) => setTimeout(r, 20));
      if ((await this.command('count')) > c1) return true;
    }
    return false;
  }

  get pid(): number {
    return this.info.pid;
  }

  /** One-letter states of every thread (from /proc/PID/task/TID/stat). */
  threadStates(): string[] {
    return this.info.threads.map((t) => {
      try {
        const s = readFileSync(`/proc/${this.pid}/task/${t.tid}/stat`, 'utf8');
        return s.slice(s.lastIndexOf(')') + 2, s.lastIndexOf(')') + 3);
      } catch {
        return '?';
      }
    });
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null || this.child.signalCode !== null) return;
    const exited = new Promise((r) => this.child.once('exit', r));
    this.child.kill('SIGKILL');
    await exited;
  }
}
