import { moduleWorkerData } from '../module-worker.js';

/** Marks the workerData of the live-dump worker (live-worker.ts), which runs the module that started it. */
export const LIVE_WORKER_MARK = 'dumpkit-ui-live-worker';

/** True in the live-dump worker thread. */
export function isLiveWorker(): boolean {
  return !!moduleWorkerData(LIVE_WORKER_MARK);
}
