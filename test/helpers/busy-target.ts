import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { copyFileSync, existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { compileC, tempDir } from './c-program.js';

/**
 * test/helpers/busy-target.c, built with gcc at test time, and a driver for it: commands on stdin,
 * each answered by one line ending in the wall-clock millisecond its effect was complete.
 */
const source = fileURLToPath(new URL('./busy-target.c', import.meta.url));

/** The built program, copied to `name` (a process's comm is its file name: monitor finds it by that). */
export function buildBusyTarget(name = 'busy-target'): string {
  const built = compileC('busy-target', readFileSync(source, 'utf8'), ['-O0', '-g', '-pthread']);
  if (!built) throw new Error('gcc could not build busy-target.c');
  if (name === 'busy-target') return built;
  const copy = join(tempDir(), name);
  if (!existsSync(copy)) copyFileSync(built, copy);
  return copy;
}

/** Calls `onLine` with each complete line of a child's output. */
export function onLines(stream: NodeJS.ReadableStream, onLine: (line: string) => void): void {
  let buf = '';
  stream.setEncoding('utf8');
  stream.on('data', (d: string) => {
    buf += d;
    let i;
    while ((i = buf.indexOf('\n')) >= 0) {
      const line = buf.slice(0, i);
      buf = buf.slice(i + 1);
      onLine(line);
    }
  });
}

export interface Exit {
  code: number | null;
  signal: NodeJS.Signals | null;
}

export class BusyTarget {
  private readonly waiters: ((words: string[]) => void)[] = [];
  readonly exited: Promise<Exit>;

  private constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.exited = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    onLines(child.stdout, (line) => this.waiters.shift()?.(line.split(' ')));
  }

  /** Starts the program (named `name`, see buildBusyTarget) and waits until it answers. */
  static async start(name?: string, args: string[] = []): Promise<BusyTarget> {
    const child = spawn(buildBusyTarget(name), args, { stdio: ['pipe', 'pipe', 'pipe'] });
    const t = new BusyTarget(child);
    for (let i = 0; i < args.length; i++) t.waiters.push(() => undefined); // argv commands answer too
    await t.send('ping');
    return t;
  }

  get pid(): number {
    return this.child.pid!;
  }

  /** Sends one command; resolves with its answer's words after the command word (numbers as strings). */
  send(cmd: string): Promise<string[]> {
    const answer = new Promise<string[]>((resolve, reject) => {
      this.waiters.push((words) => (words[0] === cmd.split(' ')[0] ? resolve(words.slice(1)) : reject(new Error(`busy-target answered ${words.join(' ')} to ${cmd}`))));
      void this.exited.then((e) => reject(new Error(`busy-target exited (${e.signal ?? e.code}) before answering ${cmd}`)));
    });
    this.child.stdin.write(cmd + '\n');
    return answer;
  }

  /** The wall-clock time (ms) at the end of the answer to `cmd`. */
  async at(cmd: string): Promise<number> {
    const w = await this.send(cmd);
    return Number(w[w.length - 1]);
  }

  /** Makes it die of `kind` (segv, abrt, fpe, bus); resolves with how it ended. */
  async crash(kind: 'segv' | 'abrt' | 'fpe' | 'bus'): Promise<Exit> {
    this.child.stdin.write(`crash ${kind}\n`);
    return this.exited;
  }

  async stop(): Promise<Exit> {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
    return this.exited;
  }
}
