import { spawn, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { readdirSync, readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { onLines } from '../../helpers/busy-target.js';
import { projectRoot, tsxLoader } from '../../helpers/cli.js';

const mainTs = fileURLToPath(new URL('../../../src/node/cli/main.ts', import.meta.url));

/** One line of `dumpkit monitor --json`, with its time as milliseconds. */
export type Event = Record<string, unknown> & { event: string; time: string; t: number; pid?: number; trigger?: string; file?: string };

/** `dumpkit monitor … --json` as a child process, its event log read as it comes. */
export class MonitorRun {
  readonly events: Event[] = [];
  stderr = '';
  readonly exit: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
  private readonly listeners: (() => void)[] = [];

  constructor(readonly child: ChildProcessWithoutNullStreams) {
    this.exit = new Promise((r) => child.once('exit', (code, signal) => r({ code, signal })));
    onLines(child.stdout, (line) => {
      const e = JSON.parse(line) as Event;
      e.t = Date.parse(e.time);
      this.events.push(e);
      for (const l of this.listeners) l();
    });
    child.stderr.setEncoding('utf8').on('data', (d: string) => (this.stderr += d));
  }

  static start(args: string[]): MonitorRun {
    return new MonitorRun(spawn(process.execPath, ['--import', tsxLoader, mainTs, 'monitor', '--json', ...args], { cwd: projectRoot, stdio: ['pipe', 'pipe', 'pipe'] }));
  }

  /** Resolves with the first event matching `pred` (past or future); rejects after `ms` or if the monitor ends first. */
  waitFor(pred: (e: Event) => boolean, ms = 30_000): Promise<Event> {
    return new Promise((resolve, reject) => {
      const check = (): boolean => {
        const e = this.events.find(pred);
        if (e) resolve(e);
        return !!e;
      };
      if (check()) return;
      const timer = setTimeout(() => reject(new Error(`no such event within ${ms} ms; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`)), ms);
      this.listeners.push(() => {
        if (check()) clearTimeout(timer);
      });
      void this.exit.then(() => {
        if (!check()) {
          clearTimeout(timer);
          reject(new Error(`monitor ended without such an event; events: ${JSON.stringify(this.events)}; stderr: ${this.stderr}`));
        }
      });
    });
  }

  of(event: string, pid?: number): Event[] {
    return this.events.filter((e) => e.event === event && (pid === undefined || e.pid === pid));
  }

  kill(): void {
    if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill('SIGKILL');
  }
}

export function sleep(ms: number): Promise<void> {
  return new Promise((r) => setTimeout(r, ms));
}

/** TracerPid and one-letter state of every thread of `pid` (empty once it is gone). */
export function threadsOf(pid: number): { tracer: number; state: string }[] {
  let tids: string[];
  try {
    tids = readdirSync(`/proc/${pid}/task`);
  } catch {
    return [];
  }
  return tids.map((tid) => {
    const status = readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8');
    return { tracer: Number(/^TracerPid:\s*(\d+)/m.exec(status)?.[1]), state: /^State:\s*(\S)/m.exec(status)?.[1] ?? '?' };
  });
}
