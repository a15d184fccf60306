/**
 * Runs a target over `count` seeded inputs in worker threads, with a time bound per input (a worker
 * that does not answer in time is terminated and the input counted as a timeout) and a heap bound
 * (the worker's old-generation limit, and the growth measured per input). Collects counts and every
 * distinct failure (type + top frame; timeouts and heap failures by seed).
 */
import { Worker } from 'node:worker_threads';
import { inputAt } from './mutate.js';
import { loadTarget } from './registry.js';
import type { Seed } from './types.js';
import type { WorkerData, WorkerMessage } from './worker.js';

export interface FuzzOptions {
  target: string;
  /** How many mutants to run. */
  count: number;
  seed: number;
  /** Run these inputs as they are instead of mutants (regression replay); `count` is ignored. */
  replay?: Seed[];
  /** Per-input time bound (default 2000 ms). */
  timeLimitMs?: number;
  /** Per-input heap bound in MiB (default 256): growth above it, or the worker running out, fails. */
  heapLimitMb?: number;
  /** Inputs slower than this are counted as slow (default 100 ms). */
  slowMs?: number;
  /** Worker threads (default 1). */
  jobs?: number;
  /** Called after each input with the running figures. */
  onProgress?: (s: FuzzStats) => void;
  /** Stops the run early (Ctrl-C): the figures cover the inputs done so far. */
  signal?: AbortSignal;
}

export type FailureKind = 'bug' | 'timeout' | 'heap';

export interface Failure {
  kind: FailureKind;
  key: string;
  type: string;
  message: string;
  stack: string;
  index: number;
  seed: string;
  steps: string[];
  bytes: Uint8Array;
  /** How many inputs failed this way. */
  count: number;
}

export interface FuzzStats {
  target: string;
  runSeed: number;
  count: number;
  done: number;
  seeds: number;
  notes: string[];
  ok: number;
  /** DumpErrors that ended the whole input (open / summary refused it), by code. */
  dumpErrors: Record<string, number>;
  /** DumpErrors single accessors raised after a successful open, by code. */
  accessorErrors: Record<string, number>;
  bugs: number;
  timeouts: number;
  heapFailures: number;
  slow: number;
  slowestMs: number;
  slowestIndex: number;
  maxHeapGrowthBytes: number;
  maxHeapGrowthIndex: number;
  failures: Failure[];
  wallMs: number;
}

const GRACE_MS = 600_000; // a worker's start-up (loading the target's modules, one warm-up run) before its first input; generous for loaded machines

export async function fuzz(o: FuzzOptions): Promise<FuzzStats> {
  const timeLimitMs = o.timeLimitMs ?? 2000;
  const heapLimitMb = o.heapLimitMb ?? 256;
  const slowMs = o.slowMs ?? 100;
  const t0 = performance.now();
  // seeds are made once, here, and handed to the workers (and used to make lost inputs again)
  const set = o.replay ? { seeds: o.replay, notes: [] } : await (await loadTarget(o.target)).seeds();
  const source = { inputs: o.replay?.map((r) => r.bytes), seeds: set.seeds, runSeed: o.seed };
  const count = o.replay ? o.replay.length : o.count;
  const jobs = Math.max(1, Math.min(o.jobs ?? 1, count || 1));
  const s: FuzzStats = {
    target: o.target,
    runSeed: o.seed,
    count,
    done: 0,
    seeds: set.seeds.length,
    notes: set.notes,
    ok: 0,
    dumpErrors: {},
    accessorErrors: {},
    bugs: 0,
    timeouts: 0,
    heapFailures: 0,
    slow: 0,
    slowestMs: 0,
    slowestIndex: -1,
    maxHeapGrowthBytes: 0,
    maxHeapGrowthIndex: -1,
    failures: [],
    wallMs: 0,
  };
  const byKey = new Map<string, Failure>();
  const pending: Promise<unknown>[] = [];
  /** The input again, made in this thread (for inputs whose worker could not report them). */
  const remake = (index: number) => Promise.resolve(inputAt(source, index));
  const record = (f: Omit<Failure, 'count'>): void => {
    const had = byKey.get(f.key);
    if (had) had.count++;
    else {
      const n = { ...f, count: 1 };
      byKey.set(f.key, n);
      s.failures.push(n);
    }
  };
  const recordLost = async (kind: 'timeout' | 'heap', index: number, message: string): Promise<void> => {
    const m = await remake(index);
    if (kind === 'timeout') s.timeouts++;
    else s.heapFailures++;
    record({ kind, key: `${kind} on an input from ${m.seed}`, type: kind, message, stack: '', index, seed: m.seed, steps: m.steps, bytes: m.bytes });
  };

  const runLane = (lane: number): Promise<void> =>
    new Promise<void>((resolve, reject) => {
      let next = lane; // the next index this lane expects a result for
      let ready = false;
      let beat = performance.now();
      let worker: Worker;
      let timer: NodeJS.Timeout;
      let settled = false;
      const finish = (e?: unknown): void => {
        if (settled) return;
        settled = true;
        clearInterval(timer);
        void worker.terminate();
        if (e) reject(e);
        else resolve();
      };
      const restartAfter = async (kind: 'timeout' | 'heap', message: string): Promise<void> => {
        clearInterval(timer);
        const lost = next;
        await worker.terminate();
        await recordLost(kind, lost, message);
        s.done++;
        next += jobs;
        o.onProgress?.(s);
        start();
      };
      const start = (): void => {
        if (next >= count) return finish();
        ready = false;
        beat = performance.now();
        const data: WorkerData = { target: o.target, ...source, start: next, step: jobs, end: count };
        worker = new Worker(new URL('./worker-boot.mjs', import.meta.url), { workerData: data, resourceLimits: { maxOldGenerationSizeMb: heapLimitMb + 64 } });
        worker.on('message', (msg: WorkerMessage) => {
          beat = performance.now();
          if (msg.type === 'ready') {
            ready = true;
            return;
          }
          if (msg.type === 'done') return finish();
          next = msg.index + jobs;
          s.done++;
          if (msg.ms > s.slowestMs) [s.slowestMs, s.slowestIndex] = [msg.ms, msg.index];
          if (msg.ms > slowMs) s.slow++;
          if (msg.heapGrowth > s.maxHeapGrowthBytes) [s.maxHeapGrowthBytes, s.maxHeapGrowthIndex] = [msg.heapGrowth, msg.index];
          for (const c of msg.accessorErrors ?? []) s.accessorErrors[c] = (s.accessorErrors[c] ?? 0) + 1;
          if (msg.outcome === 'ok') s.ok++;
          else if (msg.outcome === 'dump-error') s.dumpErrors[msg.code!] = (s.dumpErrors[msg.code!] ?? 0) + 1;
          else {
            s.bugs++;
            const b = msg.bug!;
            record({ kind: 'bug', key: b.key, type: b.type, message: b.message, stack: b.stack, index: msg.index, seed: b.seed, steps: b.steps, bytes: b.bytes });
          }
          // over the bound but finished before the watchdog looked: still a timeout
          if (msg.ms > timeLimitMs) {
            s.timeouts++;
            pending.push(remake(msg.index).then((m) =>
              record({ kind: 'timeout', key: `timeout on an input from ${m.seed}`, type: 'timeout', message: `${msg.ms.toFixed(0)} ms`, stack: '', index: msg.index, seed: m.seed, steps: m.steps, bytes: m.bytes }),
            ));
          }
          if (msg.heapGrowth > heapLimitMb * 2 ** 20) {
            s.heapFailures++;
            pending.push(remake(msg.index).then((m) =>
              record({ kind: 'heap', key: `heap on an input from ${m.seed}`, type: 'heap', message: `heap grew ${(msg.heapGrowth / 2 ** 20).toFixed(0)} MiB`, stack: '', index: msg.index, seed: m.seed, steps: m.steps, bytes: m.bytes }),
            ));
          }
          o.onProgress?.(s);
        });
        worker.on('error', (e: Error & { code?: string }) => {
          if (settled) return;
          if (!ready) return finish(e); // the target could not even start
          if (e.code === 'ERR_WORKER_OUT_OF_MEMORY') void restartAfter('heap', `worker ran out of its ${heapLimitMb + 64} MiB heap`);
          else {
            // an exception outside the awaited run (e.g. an unhandled rejection): a bug in the input being run
            const lost = next;
            void remake(lost).then((m) => {
              s.bugs++;
              record({ kind: 'bug', key: `uncaught ${e.name}: ${e.message.slice(0, 80)}`, type: e.name, message: e.message, stack: e.stack ?? '', index: lost, seed: m.seed, steps: m.steps, bytes: m.bytes });
              s.done++;
              next += jobs;
              start();
            });
          }
        });
        worker.on('exit', () => {
          if (!settled && ready && next >= count) finish();
        });
        timer = setInterval(() => {
          if (next >= count || o.signal?.aborted) return finish();
          const waited = performance.now() - beat;
          if (ready ? waited > timeLimitMs : waited > GRACE_MS) {
            if (!ready) return finish(new Error(`fuzz target ${o.target}: the worker did not start in ${GRACE_MS / 1000} s`));
            void restartAfter('timeout', `no result in ${timeLimitMs} ms (worker terminated)`);
          }
        }, Math.min(100, timeLimitMs / 4));
      };
      start();
    });

  await Promise.all(Array.from({ length: jobs }, (_, lane) => runLane(lane)));
  await Promise.all(pending);
  s.wallMs = performance.now() - t0;
  return s;
}
