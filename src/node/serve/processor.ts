// The processor: workers take jobs from the JobQueue (leased), walk the crash's minidump with the
// store's symbols (processMinidump), compute the signature and store the result (idempotent).
// At-least-once: a job is completed only after its result is stored; a worker that dies before
// that loses its lease and the job is taken again.
import { MemorySource } from '../../core/bytes/memory-source.js';
import type { ByteSource } from '../../core/bytes/byte-source.js';
import { crashSignatureOfJsonFrames } from '../../core/analysis/signature.js';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import { Minidump } from '../../core/minidump/minidump.js';
import { processStateToJson } from '../../core/processor/json.js';
import { processMinidump } from '../../core/processor/process.js';
import type { CrashId, Deployment, Job, ObjectStore, ProcessedCrash } from './contract.js';
import { StoreSymbolProvider, SymbolFileCache } from './symbol-store.js';

/** Random access to an object: the store's own ranged reads, or the whole object in memory. */
export async function objectSource(objects: ObjectStore, key: string): Promise<ByteSource | undefined> {
  if (objects.source) return objects.source(key);
  const bytes = await objects.get(key);
  return bytes && new MemorySource(bytes, key);
}

export interface ProcessorOptions {
  /** Concurrent jobs in this process. */
  workers?: number;
  leaseMs?: number;
  /** Walk every thread (the detail page shows them all) rather than the crashing one only. */
  allThreads?: boolean;
  /** Tests only: wait this long before storing each result (a job to kill a worker in the middle of). */
  holdMs?: number;
}

/** Walks one crash; the result the CrashDatabase stores. DumpErrors mean the dump cannot be processed. */
export async function processCrash(deployment: Deployment, cache: SymbolFileCache, id: CrashId, opts: { allThreads?: boolean } = {}): Promise<ProcessedCrash | undefined> {
  const row = await deployment.db.getCrash(id);
  if (!row) return undefined; // pruned since it was enqueued
  const source = await objectSource(deployment.objects, row.dumpKey);
  if (!source) throw new DumpError('IO', `the minidump of ${id} (${row.dumpKey}) is missing from the object store`);
  try {
    const diagnostics = new Diagnostics();
    const dump = await Minidump.open(source, { diagnostics });
    const symbols = new StoreSymbolProvider(deployment.db, cache);
    const state = await processMinidump(dump, { symbols, diagnostics, threads: opts.allThreads ? 'all' : 'crashing' });
    state.diagnostics = [...new Set([...state.diagnostics, ...diagnostics.list()])].slice(0, 200);
    const json = processStateToJson(state) as Record<string, unknown> & {
      crashing_thread: { frames: Record<string, unknown>[] } | null;
      crash_info: { type: string | null; address: string | null; crashing_thread: number | null };
      threads: { frames: Record<string, unknown>[] }[];
    };
    json.diagnostics = state.diagnostics;
    const frames = json.crashing_thread?.frames ?? json.threads.find((t) => t.frames.length > 0)?.frames ?? [];
    const signature = crashSignatureOfJsonFrames(frames as { function?: string | null; module?: string | null; module_offset?: string | null; offset?: string | null }[]);
    const missing = new Set<string>();
    for (const m of state.modules) {
      if (m.status !== 'missing' && m.status !== 'corrupt') continue;
      const used = frames.some((f) => f.module === baseName(m.module.codeFile));
      if (used && m.module.debugFile && m.module.debugId) missing.add(`${baseName(m.module.debugFile)}/${m.module.debugId}`);
    }
    return {
      signature: signature.text,
      crashReason: json.crash_info.type,
      crashAddress: json.crash_info.address,
      crashingThread: json.crash_info.crashing_thread,
      frames,
      missingSymbols: [...missing],
      json,
    };
  } finally {
    await source.close?.();
  }
}

function baseName(p: string): string {
  return p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);
}

/** The worker pool of one process: `start()`, then `drain()` on shutdown (finishes the jobs in hand). */
export class Processor {
  private readonly stop = new AbortController();
  private loops: Promise<void>[] = [];
  private readonly cache: SymbolFileCache;
  /** Jobs being processed now. */
  inFlight = 0;
  processed = 0;
  failed = 0;
  /** Called after each change of the counts above (a processing thread reports them to the main thread). */
  onCounts?: () => void;

  constructor(
    private readonly deployment: Deployment,
    private readonly opts: ProcessorOptions = {},
    private readonly log: (line: string) => void = () => {},
  ) {
    this.cache = new SymbolFileCache(deployment.objects);
  }

  start(): void {
    const n = this.opts.workers ?? 1;
    for (let i = 0; i < n; i++) this.loops.push(this.loop());
  }

  private async loop(): Promise<void> {
    const { queue, db } = this.deployment;
    const leaseMs = this.opts.leaseMs ?? 60_000;
    while (!this.stop.signal.aborted) {
      // With a local store and SQLite every step of a job can complete without I/O callbacks, as
      // promise continuations only: yield once per job so that timers, messages (drain, counts)
      // and HTTP requests on this thread are never starved by a long queue.
      await new Promise<void>((r) => setImmediate(r));
      let job: Job | undefined;
      try {
        job = await queue.take({ leaseMs, waitMs: 60_000, signal: this.stop.signal }); // drain() aborts the wait
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        this.log(`processor: taking a job: ${e.message}`);
        await new Promise((r) => setTimeout(r, 1000));
        continue;
      }
      if (!job) continue;
      this.inFlight++;
      this.onCounts?.();
      try {
        const result = await processCrash(this.deployment, this.cache, job.crashId, this.opts);
        if (this.opts.holdMs) await new Promise((r) => setTimeout(r, this.opts.holdMs));
        if (result) await db.storeProcessed(job.crashId, result);
        await queue.complete(job);
        this.processed++;
      } catch (e) {
        this.failed++;
        await this.recordFailure(job, e);
      } finally {
        this.inFlight--;
        this.onCounts?.();
      }
    }
  }

  /**
   * Records why a job failed: a dump that cannot be read fails for good (the crash 'failed'),
   * other DumpErrors (store, database) give the job back for another attempt. When recording
   * fails too (the database unreachable: DumpError BUSY), the job is left to its lease and taken
   * again later; this process keeps running. Anything but a DumpError there is a bug: it surfaces.
   */
  private async recordFailure(job: Job, e: unknown): Promise<void> {
    const { queue, db } = this.deployment;
    try {
      if (!(e instanceof DumpError)) {
        // A bug in the analysis, not in the dump: it surfaces (logged with its stack, the crash
        // marked failed with it) without taking every other crash down with the server.
        const text = e instanceof Error ? (e.stack ?? e.message) : String(e);
        this.log(`processor: BUG while processing ${job.crashId}: ${text}`);
        await db.storeFailed(job.crashId, `internal error (a dumpkit bug): ${e instanceof Error ? e.message : String(e)}`);
        await queue.complete(job);
      } else if (!['IO', 'BUSY', 'NO_SPACE'].includes(e.code)) {
        await db.storeFailed(job.crashId, e.message);
        await queue.complete(job);
      } else await queue.fail(job, e.message);
    } catch (f) {
      if (!(f instanceof DumpError)) throw f;
      this.log(`processor: cannot record the outcome of ${job.crashId} (${f.code}: ${f.message}); it is taken again when its lease ends`);
      await new Promise((r) => setTimeout(r, 1000));
    }
  }

  /** Stops taking jobs and waits for the jobs in hand to be stored. */
  async drain(): Promise<void> {
    this.stop.abort();
    await Promise.all(this.loops);
  }
}
