// The processor's CPU work (reading the minidump, walking stacks with symbols, the signature) in
// worker threads, so a slow crash never delays the server's HTTP replies. Each thread opens the
// deployment itself from the command line's options (its own SQLite connection or PostgreSQL pool
// and object store) and runs one Processor job loop: lease, process, store, complete, exactly as
// in one thread (the JobQueue contract makes threads and processes alike), with its own cache of
// parsed .sym files. The main thread starts them, relays their log lines and counts, and drains
// them on SIGTERM (each finishes the job in hand). A thread that dies of a bug is logged with its
// stack and replaced; its job is taken again when its lease ends.
import { parentPort, type Worker } from 'node:worker_threads';
import { moduleWorkerData, startModuleWorker } from '../module-worker.js';
import { openDeployment, type DeploymentOptions } from './deployment.js';
import { Processor, type ProcessorOptions } from './processor.js';

const MARK = 'dumpkit-serve-processor-thread';

interface ThreadData {
  deployment: DeploymentOptions;
  processor: Omit<ProcessorOptions, 'workers'>;
}

type FromThread =
  | { type: 'log'; line: string }
  | { type: 'counts'; inFlight: number; processed: number; failed: number }
  | { type: 'drained' };

type ToThread = { type: 'drain' };

/** What server.ts needs of a processor, in this thread or in worker threads. */
export interface ProcessorPool {
  readonly inFlight: number;
  readonly processed: number;
  readonly failed: number;
  start(): void;
  drain(): Promise<void>;
}

interface Thread {
  worker: Worker;
  counts: { inFlight: number; processed: number; failed: number };
  exited: Promise<void>;
}

/** `workers` threads, each running one job loop on its own connection to the deployment. */
export class ThreadedProcessor implements ProcessorPool {
  private threads: Thread[] = [];
  private draining = false;
  /** Counts of threads that have exited (replaced after a bug). */
  private gone = { processed: 0, failed: 0 };

  constructor(
    private readonly deployment: DeploymentOptions,
    private readonly opts: ProcessorOptions = {},
    private readonly log: (line: string) => void = () => {},
  ) {}

  /** The processing threads alive now. */
  get workers(): readonly Worker[] {
    return this.threads.map((t) => t.worker);
  }

  get inFlight(): number {
    return this.threads.reduce((a, t) => a + t.counts.inFlight, 0);
  }
  get processed(): number {
    return this.threads.reduce((a, t) => a + t.counts.processed, this.gone.processed);
  }
  get failed(): number {
    return this.threads.reduce((a, t) => a + t.counts.failed, this.gone.failed);
  }

  start(): void {
    for (let i = 0; i < (this.opts.workers ?? 1); i++) this.spawn();
  }

  private spawn(): void {
    const { workers: _, ...processor } = this.opts;
    const worker = startModuleWorker(import.meta.url, MARK, { deployment: this.deployment, processor } satisfies ThreadData);
    const thread: Thread = { worker, counts: { inFlight: 0, processed: 0, failed: 0 }, exited: Promise.resolve() };
    let bug: Error | undefined;
    worker.on('message', (m: FromThread) => {
      if (m.type === 'log') this.log(m.line);
      else if (m.type === 'counts') thread.counts = { inFlight: m.inFlight, processed: m.processed, failed: m.failed };
    });
    worker.on('error', (e) => {
      bug = e;
      this.log(`processor: BUG: a processing thread died: ${e.stack ?? e.message}`);
    });
    thread.exited = new Promise<void>((resolve) =>
      worker.once('exit', () => {
        this.threads = this.threads.filter((t) => t !== thread);
        this.gone.processed += thread.counts.processed;
        this.gone.failed += thread.counts.failed;
        if (!this.draining) {
          if (!bug) this.log('processor: a processing thread exited; starting another');
          setTimeout(() => !this.draining && this.spawn(), 1000).unref();
        }
        resolve();
      }),
    );
    this.threads.push(thread);
  }

  /** Stops taking jobs; each thread stores the job in hand, closes its connections and exits. */
  async drain(): Promise<void> {
    this.draining = true;
    const threads = [...this.threads];
    for (const t of threads) t.worker.postMessage({ type: 'drain' } satisfies ToThread);
    await Promise.all(threads.map((t) => t.exited));
  }
}

/** In a processing thread: one job loop on this thread's own connection to the deployment. */
function runThread(data: ThreadData): void {
  const port = parentPort!;
  const post = (m: FromThread) => port.postMessage(m);
  const log = (line: string) => post({ type: 'log', line });
  void openDeployment(data.deployment).then((deployment) => {
    const processor = new Processor(deployment, { ...data.processor, workers: 1 }, log);
    const report = () => post({ type: 'counts', inFlight: processor.inFlight, processed: processor.processed, failed: processor.failed });
    // at most one report per 100 ms while jobs run, none while idle
    let pending: ReturnType<typeof setTimeout> | undefined;
    processor.onCounts = () => {
      pending ??= setTimeout(() => {
        pending = undefined;
        report();
      }, 100);
    };
    processor.start();
    port.on('message', (m: ToThread) => {
      if (m.type !== 'drain') return;
      void processor
        .drain()
        .then(() => deployment.close())
        .then(() => {
          clearTimeout(pending);
          report();
          port.close(); // nothing left: the thread exits
        });
    });
  });
}

const threadData = moduleWorkerData<ThreadData>(MARK);
if (threadData) runThread(threadData);
