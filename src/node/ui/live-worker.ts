import { statSync } from 'node:fs';
import { parentPort, type Worker } from 'node:worker_threads';
import { DumpError, type DumpErrorCode } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';
import { startModuleWorker } from '../module-worker.js';
import { writeLiveDump, type LiveDumpOptions } from '../varieties/live-dump.js';
import { isLiveWorker, LIVE_WORKER_MARK } from './worker-mark.js';

/**
 * Live kernel dumps in a worker thread: modelling the machine and writing the file keep a thread
 * busy for seconds, and the server must go on answering (progress polls, "a dump is already
 * running", the process list) meanwhile. One worker, started at the first dump and kept (idle, it
 * does not keep the process alive); it runs this same module — from the CLI bundle, the bundle
 * (dist/cli/commands/ui.cjs), whose command module imports this one in the worker (isLiveWorker).
 * It says where the file is being written; the server reads the bytes written from that file's size.
 */

type Report = Awaited<ReturnType<typeof writeLiveDump>>;
type Request = { id: number; machine: string; options: Omit<LiveDumpOptions, 'onSink'> };
type Message =
  | { id: number; type: 'writing'; tempPath: string }
  | { id: number; type: 'done'; report: Report }
  | { id: number; type: 'error'; code?: DumpErrorCode; message: string; stack?: string };

interface Pending {
  resolve: (r: Report) => void;
  reject: (e: Error) => void;
  onWriting: (bytesWritten: () => number) => void;
}

let worker: Worker | undefined;
const pending = new Map<number, Pending>();
let nextId = 1;

function fail(all: Error): void {
  for (const p of pending.values()) p.reject(all);
  pending.clear();
  worker = undefined;
}

function theWorker(): Worker {
  if (worker) return worker;
  const w = startModuleWorker(import.meta.url, LIVE_WORKER_MARK);
  w.unref();
  w.on('message', (m: Message) => {
    const p = pending.get(m.id);
    if (!p) return;
    if (m.type === 'writing') {
      let last = 0;
      p.onWriting(() => {
        try {
          last = statSync(m.tempPath).size;
        } catch (e) {
          onlyErrno(e); // renamed into place: the last size seen stands until the job reports
        }
        return last;
      });
      return;
    }
    pending.delete(m.id);
    if (pending.size === 0) w.unref();
    if (m.type === 'done') p.resolve(m.report);
    else p.reject(m.code ? new DumpError(m.code, m.message) : Object.assign(new Error(m.message), { stack: m.stack }));
  });
  w.on('error', (e) => fail(e));
  w.on('exit', (code) => fail(new Error(`the live dump worker exited with code ${code}`)));
  worker = w;
  return w;
}

/** `writeLiveDump` in the worker; `onWriting` gets a reader of the bytes written once the file is open. */
export function liveDumpInWorker(machine: string, options: Omit<LiveDumpOptions, 'onSink'>, onWriting: (bytesWritten: () => number) => void): Promise<Report> {
  return new Promise((resolve, reject) => {
    const id = nextId++;
    pending.set(id, { resolve, reject, onWriting });
    const w = theWorker();
    w.ref(); // a dump under way keeps the process alive
    w.postMessage({ id, machine, options } satisfies Request);
  });
}

if (isLiveWorker()) {
  const port = parentPort!;
  port.on('message', (req: Request) => {
    writeLiveDump(req.machine, {
      ...req.options,
      onSink: (sink) => {
        if ('tempPath' in sink && typeof sink.tempPath === 'string') port.postMessage({ id: req.id, type: 'writing', tempPath: sink.tempPath } satisfies Message);
      },
    }).then(
      (report) => port.postMessage({ id: req.id, type: 'done', report } satisfies Message),
      (e: unknown) =>
        port.postMessage(
          (e instanceof DumpError
            ? { id: req.id, type: 'error', code: e.code, message: e.message }
            : { id: req.id, type: 'error', message: String((e as Error)?.message ?? e), stack: (e as Error)?.stack }) satisfies Message,
        ),
    );
  });
}
