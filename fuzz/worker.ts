/**
 * A fuzz worker thread: makes inputs start, start+step, … (below end) of a run, runs the target on
 * each and posts one message per input. The runner (engine.ts) terminates it if an input takes longer
 * than the time bound; its heap is bounded by the Worker's resourceLimits.
 */
import { getHeapStatistics } from 'node:v8';
import { parentPort, workerData } from 'node:worker_threads';
import { DumpError } from '../src/core/errors.js';
import { describeThrown, failureKey } from './failure.js';
import { inputAt } from './mutate.js';
import { loadTarget } from './registry.js';
import type { Seed } from './types.js';

export interface WorkerData {
  target: string;
  /** Inputs to run as they are (replay of regressions), or else mutants of `seeds`. */
  inputs?: Uint8Array[];
  seeds: Seed[];
  runSeed: number;
  start: number;
  step: number;
  end: number;
}

export type WorkerMessage =
  | { type: 'ready' }
  | { type: 'done' }
  | {
      type: 'result';
      index: number;
      ms: number;
      /** Growth of the isolate's used heap + external (ArrayBuffer) memory across the input, bytes. */
      heapGrowth: number;
      outcome: 'ok' | 'dump-error' | 'bug';
      code?: string;
      accessorErrors?: string[];
      bug?: { key: string; type: string; message: string; stack: string; seed: string; steps: string[]; bytes: Uint8Array };
    };

const heap = (): number => {
  const h = getHeapStatistics();
  return h.used_heap_size + h.external_memory;
};

const d = workerData as WorkerData;
const port = parentPort!;
const target = await loadTarget(d.target);
// warm up (module loading, first compilation) on an unmutated seed, so that it does not count against
// the first input's time bound; replays have no known-good input to warm up on
if (!d.inputs && d.seeds[0]) await target.run(d.seeds[0].bytes).catch(() => undefined);
port.postMessage({ type: 'ready' } satisfies WorkerMessage);

for (let index = d.start; index < d.end; index += d.step) {
  const m = inputAt(d, index);
  const before = heap();
  const t0 = performance.now();
  let msg: WorkerMessage;
  try {
    const r = await target.run(m.bytes);
    msg = { type: 'result', index, ms: 0, heapGrowth: 0, outcome: 'ok', accessorErrors: r.accessorErrors };
  } catch (e) {
    if (e instanceof DumpError) msg = { type: 'result', index, ms: 0, heapGrowth: 0, outcome: 'dump-error', code: e.code };
    else {
      const t = describeThrown(e);
      msg = { type: 'result', index, ms: 0, heapGrowth: 0, outcome: 'bug', bug: { key: failureKey(t), ...t, seed: m.seed, steps: m.steps, bytes: m.bytes } };
    }
  }
  msg.ms = performance.now() - t0;
  msg.heapGrowth = heap() - before;
  port.postMessage(msg);
}
// the worker's loader thread (tsx) may keep it alive: say it is finished
port.postMessage({ type: 'done' } satisfies WorkerMessage);
