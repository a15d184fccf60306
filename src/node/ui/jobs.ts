import { DumpError } from '../../core/errors.js';
import { dumpFailure } from './messages.js';
import type { JobState } from './wire.js';

export type { JobState };

export interface JobContext {
  update(patch: Partial<Pick<JobState, 'phase' | 'paused' | 'bytesWritten' | 'phaseDone' | 'phaseTotal' | 'pauseMs'>>): void;
  /** The bytes written so far are read from here when the state is asked for. */
  watchBytes(read: () => number): void;
}

const KEEP = 32;

/**
 * One dump at a time (Task Manager: "wait for any requested dump to complete before taking any
 * additional memory dumps"); a second request while one runs is refused with BUSY.
 */
export class JobRunner {
  private jobs = new Map<string, JobState & { t0: number; bytes?: () => number }>();
  private running: string | undefined;
  private seq = 0;

  start(kind: JobState['kind'], target: string, run: (ctx: JobContext) => Promise<{ file: string; path: string; result: Record<string, unknown> }>): JobState {
    if (this.running !== undefined) {
      const r = this.jobs.get(this.running)!;
      throw new DumpError('BUSY', `a dump is already being written (${r.kind} of ${r.target}); wait for it to complete`);
    }
    const id = `${Date.now().toString(36)}-${++this.seq}`;
    const job: JobState & { t0: number; bytes?: () => number } = {
      id,
      kind,
      target,
      state: 'running',
      phase: 'starting',
      paused: false,
      bytesWritten: 0,
      startedAt: new Date().toISOString(),
      elapsedMs: 0,
      t0: performance.now(),
    };
    this.jobs.set(id, job);
    this.running = id;
    const ctx: JobContext = {
      update: (patch) => Object.assign(job, patch),
      watchBytes: (read) => (job.bytes = read),
    };
    // Started on the next turn so the request that asked for it is answered first.
    setImmediate(() => {
      run(ctx).then(
        (r) => {
          Object.assign(job, { state: 'done', phase: 'done', paused: false, file: r.file, path: r.path, result: r.result });
          job.bytesWritten = job.bytes?.() ?? job.bytesWritten;
        },
        (e: unknown) => {
          if (!(e instanceof DumpError)) {
            // anything else is a bug: show it, and let it surface in the server's output too
            Object.assign(job, { state: 'failed', phase: 'failed', paused: false, error: { code: 'INTERNAL', title: 'Internal error', advice: 'This is a bug in dumpkit; the server printed the details.', detail: String((e as Error)?.message ?? e) } });
            process.stderr.write(`dumpkit ui: internal error in ${kind} job: ${(e as Error)?.stack ?? String(e)}\n`);
          } else {
            Object.assign(job, { state: 'failed', phase: 'failed', paused: false, error: dumpFailure(e) });
          }
        },
      ).finally(() => {
        job.elapsedMs = performance.now() - job.t0;
        job.bytes = undefined;
        this.running = undefined;
        const ids = [...this.jobs.keys()];
        for (const old of ids.slice(0, Math.max(0, ids.length - KEEP))) this.jobs.delete(old);
      });
    });
    return this.view(job);
  }

  get(id: string): JobState | undefined {
    const job = this.jobs.get(id);
    return job && this.view(job);
  }

  private view(job: JobState & { t0: number; bytes?: () => number }): JobState {
    if (job.state === 'running') {
      job.elapsedMs = performance.now() - job.t0;
      if (job.bytes) job.bytesWritten = job.bytes();
    }
    const { t0: _t0, bytes: _bytes, ...state } = job;
    return state;
  }
}
