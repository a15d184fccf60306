import { isMainThread, workerData } from 'node:worker_threads';

/** Marks the workerData of the live-dump worker (live-worker.ts), which runs the module that started it. */
export const LIVE_WORKER_MARK = 'dumpkit-ui-live-worker';

/** True in the live-dump worker thread. */
export function isLiveWorker(): boolean {
  return !isMainThread && !!(workerData as Record<string, unknown> | undefined)?.[LIVE_WORKER_MARK];
}
