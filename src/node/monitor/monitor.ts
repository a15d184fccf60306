import { join } from 'node:path';
import { DumpError } from '../../core/errors.js';
import type { Variety } from '../../core/minidump/varieties.js';
import { captureProcess } from '../capture/capture.js';
import { Follower, type FollowEvent } from '../capture/follow.js';
import { defaultDumpName, findProcesses, processName, ProcessNameScanner } from '../capture/processes.js';
import { PtraceTarget } from '../capture/ptrace-target.js';
import { FileSink, nextFreeName } from '../file-sink.js';
import { countFds, StatReader, type ProcSample } from './proc-sample.js';
import { signalName } from './signals.js';
import { conditionsMet, sampledTriggers, TRIGGER_WORDS, type TriggerConfig, type TriggerKind } from './triggers.js';

export interface MonitorOptions {
  /** Process ids and names (/proc/PID/comm). */
  targets: string[];
  /** Wait for processes of the given names to start, and keep watching for new ones (ProcDump -w). */
  wait: boolean;
  triggers: TriggerConfig;
  /** Milliseconds between samples of /proc (default 1000). */
  intervalMs: number;
  /** Milliseconds after a dump before the same process can be dumped again (ProcDump -s; default 10 s). */
  everyMs: number;
  /** Dumps per process, after which it is no longer watched. */
  count: number;
  variety: Variety;
  outDir: string;
  snapshot?: 'auto' | 'fork' | 'copy';
  onEvent: (e: MonitorEvent) => void;
}

interface EventBase {
  /** ISO time with milliseconds. */
  time: string;
  pid: number;
  name: string;
}

/** One line of the event log (`--json`). */
export type MonitorEvent =
  | (EventBase & { event: 'started'; watching: string[] })
  | (EventBase & { event: 'threshold'; trigger: TriggerKind; value: number; threshold: number; sample: number; text: string })
  | (EventBase & { event: 'triggered'; trigger: TriggerKind; value?: number; threshold?: number; sample?: number; text: string; dump: number; of: number })
  | (EventBase & { event: 'dumped'; trigger: TriggerKind; file: string; size: number; pauseMs: number; totalMs: number; comment: string })
  | (EventBase & { event: 'exited'; how: string })
  | (EventBase & { event: 'done'; /** dumps written (-n counts failed attempts too) */ dumps: number })
  | (EventBase & { event: 'error'; code: string; message: string })
  | { event: 'waiting'; time: string; names: string[] }
  | { event: 'stopped'; time: string; reason: string };

interface Watched {
  pid: number;
  name: string;
  stat: StatReader;
  target: PtraceTarget;
  prev?: ProcSample;
  samples: number;
  /** Dumps attempted (what -n counts) and written. */
  dumps: number;
  written: number;
  memoryIndex: number;
  /** No dump before this time (Date.now() ms): --every. */
  notBefore: number;
  /** Conditions that held at the last sample (a `threshold` event when one starts holding). */
  met: Set<TriggerKind>;
  /** A dump of it is queued or being written. */
  busy: boolean;
  followed: boolean;
  ended: boolean;
}

interface DumpRequest {
  w: Watched;
  kind: TriggerKind;
  text: string;
  value?: number;
  threshold?: number;
  sample?: number;
  at: number;
}

/** How often ptrace stops of followed processes (--signal, --on-crash) are collected. */
const FOLLOW_POLL_MS = 10;

/**
 * Watches processes as ProcDump does and writes minidumps when a trigger fires: thresholds sampled
 * from /proc/PID/stat (CPU over the sampling interval from utime+stime, RSS, threads) and
 * /proc/PID/fd at a fixed interval, signals and crashes caught with ptrace (Follower), or the clock
 * alone when no trigger is given. One dump is written at a time; each records its trigger in the
 * dump's comment and in the event log. Library code: it reports through `onEvent`, never prints.
 */
export class Monitor {
  private readonly watched = new Map<number, Watched>();
  /** pid:startTime of processes finished with (done, exited, refused): not picked up again by --wait. */
  private readonly finished = new Set<string>();
  private readonly follower = new Follower();
  private readonly queue: DumpRequest[] = [];
  private dumping = false;
  private sink: FileSink | undefined;
  private sampleTimer: NodeJS.Timeout | undefined;
  private followTimer: NodeJS.Timeout | undefined;
  private stopped = false;
  /** --wait: finds the named processes every interval. */
  private readonly scanner = new ProcessNameScanner();
  private ticks = 0;
  private t0 = 0;
  private resolveRun: (() => void) | undefined;
  private rejectRun: ((e: unknown) => void) | undefined;
  private readonly names: string[];
  private readonly follow: boolean;
  private readonly timeOnly: boolean;

  constructor(private readonly opts: MonitorOptions) {
    this.names = opts.targets.filter((t) => !/^\d+$/.test(t));
    this.follow = opts.triggers.signal !== undefined || !!opts.triggers.onCrash;
    this.timeOnly = !this.follow && !sampledTriggers(opts.triggers);
  }

  /**
   * Finds the processes and watches them until each has its dumps or exits (with --wait: until
   * stop()). Throws for a pid or name that gives nothing to watch (without --wait) or that
   * dumpkit may not trace (the ptrace rights message).
   */
  async run(): Promise<void> {
    for (const t of this.opts.targets) {
      if (/^\d+$/.test(t)) {
        this.add(Number(t), true);
        continue;
      }
      const pids = findProcesses(t);
      if (pids.length === 0 && !this.opts.wait) throw new DumpError('NO_SUCH_PROCESS', `no process named ${JSON.stringify(t)} (--wait waits for one to start)`);
      for (const pid of pids) this.add(pid, true);
    }
    if (this.opts.wait && this.names.length) this.emitBare({ event: 'waiting', time: iso(Date.now()), names: this.names });
    return new Promise<void>((resolve, reject) => {
      this.resolveRun = resolve;
      this.rejectRun = reject;
      this.t0 = Date.now();
      this.tick();
      if (this.follow) this.followTimer = setInterval(() => this.pollFollowed(), FOLLOW_POLL_MS);
    });
  }

  /** Stops watching: every process runs on (a held signal is delivered), a dump being written is discarded. */
  stop(reason: string): void {
    if (this.stopped) return;
    this.stopped = true;
    clearTimeout(this.sampleTimer);
    clearInterval(this.followTimer);
    this.follower.removeAll();
    this.scanner.close();
    for (const w of this.watched.values()) {
      w.target.resume();
      w.stat.close();
    }
    this.sink?.abort();
    this.sink = undefined;
    this.emitBare({ event: 'stopped', time: iso(Date.now()), reason });
    this.resolveRun?.();
  }

  /** Starts watching `pid`; `explicit`: errors are thrown, else reported as an event (a process --wait found). */
  private add(pid: number, explicit: boolean): void {
    if (this.watched.has(pid)) return;
    let stat: StatReader | undefined;
    let name = String(pid);
    try {
      if (pid === process.pid) throw new DumpError('INVALID_ARGUMENT', 'dumpkit cannot monitor itself');
      name = processName(pid);
      stat = new StatReader(pid);
      const first = stat.read();
      if (!first) throw new DumpError('NO_SUCH_PROCESS', `no process with id ${pid}`);
      const key = `${pid}:${first.startTime}`;
      if (this.finished.has(key)) {
        stat.close();
        return;
      }
      const target = new PtraceTarget(pid); // says now if dumpkit may not trace it
      const w: Watched = { pid, name, stat, target, samples: 0, dumps: 0, written: 0, memoryIndex: 0, notBefore: 0, met: new Set(), busy: false, followed: false, ended: false };
      (w as Watched & { key: string }).key = key;
      if (this.follow) {
        this.follower.add(target, { crash: !!this.opts.triggers.onCrash, signals: this.opts.triggers.signal !== undefined ? new Set([this.opts.triggers.signal]) : undefined });
        w.followed = true;
      }
      this.watched.set(pid, w);
      this.emit(w, { event: 'started', watching: this.watching() });
    } catch (e) {
      stat?.close();
      if (explicit || !(e instanceof DumpError)) throw e;
      if (e.code === 'NO_SUCH_PROCESS' || e.code === 'PROCESS_EXITED') return; // came and went
      const key = this.keyOf(pid);
      if (key) this.finished.add(key);
      this.emitBare({ event: 'error', time: iso(Date.now()), pid, name, code: e.code, message: e.message });
    }
  }

  private keyOf(pid: number): string | undefined {
    try {
      const r = new StatReader(pid);
      const s = r.read();
      r.close();
      return s ? `${pid}:${s.startTime}` : undefined;
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      return undefined; // gone
    }
  }

  private watching(): string[] {
    const t = this.opts.triggers;
    const out: string[] = [];
    if (t.cpu !== undefined) out.push(`cpu >= ${t.cpu}%`);
    if (t.cpuBelow !== undefined) out.push(`cpu < ${t.cpuBelow}%`);
    if (t.memoryMb?.length) out.push(`memory (RSS) >= ${t.memoryMb.join(', ')} MB`);
    if (t.threads !== undefined) out.push(`threads >= ${t.threads}`);
    if (t.fds !== undefined) out.push(`file descriptors >= ${t.fds}`);
    if (t.signal !== undefined) out.push(`signal ${t.signal}`);
    if (t.onCrash) out.push('crash');
    if (this.timeOnly) out.push(`every ${this.opts.everyMs / 1000} s`);
    return out;
  }

  /** One sampling round; schedules the next on the fixed grid t0 + k × interval. */
  private tick(): void {
    if (this.stopped) return;
    try {
      if (this.opts.wait && this.names.length) for (const pid of this.scanner.find(this.names)) this.add(pid, false);
      for (const w of [...this.watched.values()]) this.sample(w);
      this.finishIfIdle();
    } catch (e) {
      this.fail(e);
      return;
    }
    if (this.stopped) return;
    this.ticks++;
    const next = this.t0 + this.ticks * this.opts.intervalMs;
    this.sampleTimer = setTimeout(() => this.tick(), Math.max(0, next - Date.now()));
  }

  private sample(w: Watched): void {
    if (w.ended) return;
    const cur = w.stat.read();
    if (!cur || cur.state === 'Z' || cur.state === 'X') {
      this.ended(w, cur ? 'zombie: exited, not yet reaped by its parent' : 'exited');
      return;
    }
    w.samples++;
    const now = cur.at;
    if (this.timeOnly) {
      if (!w.busy && now >= w.notBefore) this.request({ w, kind: 'time', text: `every ${this.opts.everyMs / 1000} s`, at: now });
      w.prev = cur;
      return;
    }
    const fds = this.opts.triggers.fds !== undefined ? countFds(w.pid) : undefined;
    const met = conditionsMet(this.opts.triggers, w.prev, cur, fds, w.memoryIndex);
    w.prev = cur;
    const kinds = new Set(met.map((m) => m.kind));
    for (const m of met) {
      if (!w.met.has(m.kind)) this.emit(w, { event: 'threshold', trigger: m.kind, value: round(m.value), threshold: m.threshold, sample: w.samples, text: m.text });
    }
    w.met = kinds;
    const first = met[0];
    if (first && !w.busy && now >= w.notBefore) this.request({ w, kind: first.kind, text: first.text, value: round(first.value), threshold: first.threshold, sample: w.samples, at: now });
  }

  private pollFollowed(): void {
    if (this.stopped || this.dumping) return; // a capture's own ptrace stops are collected by the capture
    let events: FollowEvent[];
    try {
      events = this.follower.poll();
    } catch (e) {
      this.fail(e);
      return;
    }
    for (const e of events) {
      const w = this.watched.get(e.target.pid);
      if (!w) {
        e.target.resume();
        continue;
      }
      if (e.kind === 'ended') {
        w.followed = false;
        this.ended(w, e.how);
        continue;
      }
      const now = Date.now();
      const sig = signalName(e.event.signo);
      if (e.kind === 'crash') {
        this.request({ w, kind: 'crash', text: `crash: ${sig} (${e.event.signo}) in thread ${e.event.threadId}`, value: e.event.signo, at: now }, true);
      } else if (w.busy || now < w.notBefore) {
        // Within --every of the last dump: let the signal through without a dump, and keep following.
        this.refollow(w);
      } else {
        this.request({ w, kind: 'signal', text: `signal ${sig} (${e.event.signo}) received by thread ${e.event.threadId}`, value: e.event.signo, at: now }, true);
      }
    }
    this.finishIfIdle();
  }

  /** Lets a held thread go (its signal delivered) and follows the process again. */
  private refollow(w: Watched): void {
    this.follower.remove(w.target);
    w.followed = false;
    if (w.ended || this.stopped || w.dumps >= this.opts.count) return;
    try {
      this.follower.add(w.target, { crash: !!this.opts.triggers.onCrash, signals: this.opts.triggers.signal !== undefined ? new Set([this.opts.triggers.signal]) : undefined });
      w.followed = true;
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      if (e.code === 'PROCESS_EXITED' || w.target.gone()) this.ended(w, 'exited');
      else this.emit(w, { event: 'error', code: e.code, message: e.message });
    }
  }

  private request(r: DumpRequest, urgent = false): void {
    r.w.busy = true;
    if (urgent) this.queue.unshift(r);
    else this.queue.push(r);
    if (!this.dumping) void this.drain();
  }

  private async drain(): Promise<void> {
    this.dumping = true;
    try {
      for (let r = this.queue.shift(); r && !this.stopped; r = this.queue.shift()) await this.dump(r);
    } catch (e) {
      this.fail(e);
    } finally {
      this.dumping = false;
    }
    this.finishIfIdle();
  }

  private async dump(r: DumpRequest): Promise<void> {
    const { w } = r;
    if (w.ended) return;
    const n = w.dumps + 1;
    // Its time is the trigger's (the sample or the signal), not when the capture got going.
    this.emit(w, { event: 'triggered', time: iso(r.at), trigger: r.kind, ...(r.value !== undefined ? { value: r.value } : {}), ...(r.threshold !== undefined ? { threshold: r.threshold } : {}), ...(r.sample !== undefined ? { sample: r.sample } : {}), text: r.text, dump: n, of: this.opts.count });
    const comment = `dumpkit monitor: ${r.text}${r.sample !== undefined ? ` (sample ${r.sample}, every ${this.opts.intervalMs} ms)` : ''}; process ${w.pid} (${w.name}), dump ${n} of ${this.opts.count}, ${iso(r.at)}`;
    const path = nextFreeName(join(this.opts.outDir, defaultDumpName(w.name, w.pid, new Date(r.at), TRIGGER_WORDS[r.kind])));
    try {
      const result = await captureProcess(w.target, () => (this.sink = FileSink.create(path)), {
        variety: this.opts.variety,
        snapshot: this.opts.snapshot ?? 'auto',
        writeWhileStopped: r.kind === 'crash',
        comment,
        onInterrupted: () => undefined, // the monitor's own SIGINT handling (stop) ends everything
      });
      if (this.stopped || !this.sink) return;
      const file = this.sink.commit();
      this.sink = undefined;
      w.dumps = n;
      w.written++;
      this.emit(w, { event: 'dumped', trigger: r.kind, file, size: result.fileSize, pauseMs: round(result.pauseMs), totalMs: round(result.totalMs), comment });
    } catch (e) {
      this.sink?.abort();
      this.sink = undefined;
      if (!(e instanceof DumpError)) throw e;
      if (e.code === 'PROCESS_EXITED' || e.code === 'NO_SUCH_PROCESS' || w.target.gone()) {
        this.ended(w, 'exited during the dump');
        return;
      }
      this.emit(w, { event: 'error', code: e.code, message: e.message });
      w.dumps = n; // counted, so a failing capture cannot repeat forever
    } finally {
      w.busy = false;
    }
    if (r.kind === 'memory') w.memoryIndex++;
    w.notBefore = r.at + this.opts.everyMs;
    if (w.dumps >= this.opts.count) {
      this.done(w);
      return;
    }
    // The capture resumed (detached) every thread: a followed process is followed afresh. A crash
    // takes its course now; the process dies.
    if (this.follow && r.kind !== 'crash') this.refollow(w);
  }

  private done(w: Watched): void {
    if (w.followed) this.follower.remove(w.target);
    w.followed = false;
    this.forget(w);
    this.emit(w, { event: 'done', dumps: w.written });
  }

  private ended(w: Watched, how: string): void {
    if (w.ended) return;
    w.ended = true;
    if (w.followed) this.follower.remove(w.target);
    w.followed = false;
    this.forget(w);
    this.emit(w, { event: 'exited', how });
  }

  private forget(w: Watched): void {
    w.stat.close();
    this.watched.delete(w.pid);
    this.finished.add((w as Watched & { key: string }).key);
  }

  /** Without --wait, monitoring ends when nothing is left to watch or write. */
  private finishIfIdle(): void {
    if (this.stopped || this.opts.wait || this.dumping || this.queue.length) return;
    if (this.watched.size === 0) this.stop('nothing left to watch');
  }

  private fail(e: unknown): void {
    const reject = this.rejectRun;
    this.resolveRun = undefined;
    this.stop(e instanceof Error ? e.message : String(e));
    reject?.(e);
  }

  private emit(w: Watched, e: Record<string, unknown> & { event: string }): void {
    this.opts.onEvent({ time: iso(Date.now()), pid: w.pid, name: w.name, ...e } as unknown as MonitorEvent);
  }

  private emitBare(e: MonitorEvent): void {
    this.opts.onEvent(e);
  }
}

function iso(ms: number): string {
  return new Date(ms).toISOString();
}

function round(v: number): number {
  return Math.round(v * 10) / 10;
}
