// Worker threads that run the module which starts them. The CLI bundle is one CommonJS file per
// command (scripts/build.mjs, `import.meta.url` = the bundle's own file URL there), so a worker
// runs that same bundle file, and the module's top level sees the mark in its workerData and does
// the worker's part. From the sources (under tsx, the tests) the worker is a data: module that
// registers tsx's loader first, then imports the module's .ts file.
// Used by the viewer's live-dump worker (src/node/ui/live-worker.ts) and serve's processor
// threads (src/node/serve/processor-threads.ts).
import { isMainThread, Worker, workerData } from 'node:worker_threads';

/** The URL a worker thread runs for the module at `moduleUrl` (the caller's `import.meta.url`). */
export function moduleWorkerEntry(moduleUrl: string): URL {
  const self = new URL(moduleUrl);
  if (!self.pathname.endsWith('.ts')) return self;
  // import.meta.resolve is only reached from the sources (the bundle defines it undefined)
  const tsx = import.meta.resolve('tsx/esm/api');
  return new URL(`data:text/javascript,${encodeURIComponent(`import { register } from ${JSON.stringify(tsx)}; register(); await import(${JSON.stringify(self.href)});`)}`);
}

/** A worker thread running the module at `moduleUrl`, marked with `mark`; `data` is its payload. */
export function startModuleWorker(moduleUrl: string, mark: string, data: unknown = true): Worker {
  return new Worker(moduleWorkerEntry(moduleUrl), { workerData: { [mark]: data } });
}

/** In a worker started with `mark`: its payload; otherwise undefined. */
export function moduleWorkerData<T = unknown>(mark: string): T | undefined {
  if (isMainThread) return undefined;
  return (workerData as Record<string, unknown> | undefined)?.[mark] as T | undefined;
}
