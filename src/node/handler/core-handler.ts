import type { Readable } from 'node:stream';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import { LinuxSignal } from '../../core/minidump/constants.js';
import type { Variety } from '../../core/minidump/varieties.js';
import { FileSink } from '../file-sink.js';
import { loadConfigOrDefaults, settingsFor, varietyOf, type DumpSettings, type HandlerConfig } from './config.js';
import { appendLog, type LogFields } from './crash-log.js';
import { applyDumpCount, dumpPaths, ensureFolder, writableBytes } from './dump-folder.js';
import { convertCore } from './convert-core.js';
import { executableName, readProcFiles } from './proc-files.js';
import { acquireSlot, type Slot } from './slots.js';

/**
 * `dumpkit handler core PID TID SIGNAL TIME [NAME…]`: what the kernel runs for each crash, with the
 * core on standard input. It never prints (nobody reads its terminal): everything it has to say
 * is one line in the log. Order of work:
 *  1. /proc/PID files first (cheap; the process is held while its core is unread);
 *  2. a slot of the MaxConcurrent semaphore (the kernel lets up to core_pipe_limit handlers run;
 *     those past MaxConcurrent wait here, their crashed processes held);
 *  3. the core spooled to a temporary file in DumpFolder, up to the size cap. Spooled rather than
 *     converted on the fly: the core's memory segments come in file order, the notes the
 *     converter needs first are at the start but the minidump's memory lists must be laid out
 *     before its bytes, and KeepCore wants the file anyway; the spool is the kept core;
 *  4. the minidump written from the spool (temporary name, 0600, renamed when complete); the
 *     spool renamed to `<exe>.<pid>.core` (KeepCore) or removed; DumpCount applied; the log line.
 * The time cap covers the whole run (waiting included): when hit, the log says so and the handler
 * exits at once, which closes the pipe: the kernel's next write fails and it lets the process
 * die. At the size cap the spool is dropped and standard input drained to its end.
 */
export interface CrashArgs {
  pid: number;
  tid: number;
  signal: number;
  /** %t: seconds since 1970. */
  time: number;
  /** %e: the crashing thread's comm. */
  name: string;
}

export interface HandlerRunOptions {
  configPath: string;
  /** --keep-core: keep the ELF core whatever the configuration says. */
  keepCore?: boolean;
  input: Readable;
  /**
   * Called once the whole core is read: closes the pipe (for standard input, the descriptor
   * itself: Node keeps fd 0 open after destroying process.stdin), so the kernel lets the crashed
   * process die while the minidump is written. Default: destroy `input`.
   */
  releaseInput?: () => Promise<void>;
  /**
   * Where the crashed process's /proc files are read: `/proc/PID` by default; the resident daemon
   * passes `/proc/self/fd/N`, the forwarder's descriptor of that directory.
   */
  procDir?: string;
  /** Run inside `handler daemon` (logged as via=daemon; the process's own life is not the crash's). */
  resident?: boolean;
}

export interface HandlerOutcome {
  result: 'ok' | 'time-cap' | 'size-cap' | 'no-space' | 'error';
  fields: LogFields;
  logFile: string;
}

const MiB = 1024 * 1024;

/** %P %i %s %t then %e's words; undefined unless the four numbers are numbers. */
export function parseCrashArgs(argv: string[]): CrashArgs | undefined {
  const n = argv.slice(0, 4).map((a) => (/^\d{1,15}$/.test(a) ? Number(a) : NaN));
  if (n.length < 4 || n.some((x) => Number.isNaN(x))) return undefined;
  return { pid: n[0]!, tid: n[1]!, signal: n[2]!, time: n[3]!, name: argv.slice(4).join(' ') };
}

/** Handles one crash (`argv`: what the kernel passed after the options); never throws for a DumpError. */
export async function runHandler(argv: string[], opts: HandlerRunOptions): Promise<HandlerOutcome> {
  const t0 = performance.now();
  const ms = (): number => Math.round(performance.now() - t0);
  const args = parseCrashArgs(argv);
  const fields: LogFields = args ? { pid: args.pid, tid: args.tid, signal: LinuxSignal[args.signal] ?? args.signal } : {};
  // A broken configuration must not lose the crash: the defaults, and the log says why.
  const { config, error: configError } = loadConfigOrDefaults(opts.configPath);
  if (configError) fields.configError = configError;
  if (!args) return { result: 'error', fields: { ...fields, result: 'error', error: `arguments are not %P %i %s %t %e: ${JSON.stringify(argv)}` }, logFile: config.LogFile };
  if (opts.resident) fields.via = 'daemon';
  const procDir = opts.procDir ?? `/proc/${args.pid}`;
  const exe = executableName(procDir, args.name);
  fields.exe = exe;
  const settings = settingsFor(config, exe);
  if (settings.application) fields.app = settings.application;
  if (opts.keepCore) settings.KeepCore = true;
  const variety = varietyOf(settings);
  fields.type = variety;
  const procFiles = readProcFiles(procDir);

  const work = new CrashWork(args, settings, variety, procFiles, fields, opts);
  let timer: NodeJS.Timeout | undefined;
  const capMs = settings.TimeLimitSeconds * 1000;
  const timeCap = new Promise<'time-cap'>((r) => (timer = setTimeout(() => r('time-cap'), capMs)));
  let result: HandlerOutcome['result'];
  try {
    result = await Promise.race([work.run(config), timeCap]);
  } catch (e) {
    work.abandon();
    result = 'error';
    fields.error = e instanceof DumpError ? `${e.code}: ${e.message}` : `internal error: ${(e as Error)?.stack ?? String(e)}`;
  } finally {
    clearTimeout(timer);
  }
  if (result === 'time-cap') {
    work.abandon();
    fields.error = `time cap of ${settings.TimeLimitSeconds} s hit while ${work.phase}; no dump written; the handler exits, closing the pipe, so the kernel stops writing the core`;
  }
  await work.releaseSlot();
  fields.result = result;
  fields.ms = ms();
  // The handler process's whole life so far, Node's start-up included.
  if (!opts.resident) fields.processMs = Math.round(performance.now());
  return { result, fields, logFile: config.LogFile };
}

/** Writes the outcome's line to the log; a log that cannot be written is not the crash's problem. */
export function logOutcome(outcome: HandlerOutcome): void {
  try {
    ensureFolder(outcome.logFile.slice(0, outcome.logFile.lastIndexOf('/')) || '/');
    appendLog(outcome.logFile, new Date(), outcome.fields);
  } catch (e) {
    if (e instanceof DumpError || (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string')) return;
    throw e;
  }
}

class CrashWork {
  phase = 'starting';
  private slot: Slot | undefined;
  private coreSink: FileSink | undefined;
  private dumpSink: FileSink | undefined;
  private abandoned = false;
  private readonly stop = new AbortController();

  constructor(
    private readonly args: CrashArgs,
    private readonly settings: DumpSettings,
    private readonly variety: Variety,
    private readonly procFiles: ReturnType<typeof readProcFiles>,
    private readonly fields: LogFields,
    private readonly io: Pick<HandlerRunOptions, 'input' | 'releaseInput'>,
  ) {}

  async run(config: HandlerConfig): Promise<HandlerOutcome['result']> {
    const f = this.fields;
    this.phase = 'waiting for a slot';
    this.slot = await acquireSlot(config.LogFile, config.MaxConcurrent, this.stop.signal);
    if (!this.slot) return 'time-cap';
    f.slot = this.slot.index;
    f.waitedMs = Math.round(this.slot.waitedMs);
    f.slotAt = Date.now();
    const tSlot = performance.now();

    const folder = this.settings.DumpFolder;
    ensureFolder(folder);
    const { dump, core } = dumpPaths(folder, String(f.exe), this.args.pid);
    const limit = this.settings.CoreSizeLimitMB * MiB;
    const room = writableBytes(folder);
    const budget = Math.min(limit, room);

    this.phase = 'reading the core';
    this.coreSink = FileSink.create(core);
    let bytes = 0;
    let over = false;
    for await (const chunk of this.io.input as AsyncIterable<Buffer>) {
      if (this.abandoned) return 'time-cap';
      bytes += chunk.length;
      if (over) continue; // draining: the kernel finishes writing, the process dies
      if (bytes > budget) {
        over = true;
        this.coreSink.abort();
        this.phase = 'draining the core past the size cap';
        continue;
      }
      this.coreSink.writeSync(chunk);
    }
    f.coreBytes = bytes;
    f.readMs = Math.round(performance.now() - tSlot);
    if (over) {
      const why = budget === limit ? `the size cap (CoreSizeLimitMB ${this.settings.CoreSizeLimitMB})` : `the free space in ${folder} (${Math.floor(room / MiB)} MiB writable, keeping a reserve)`;
      f.error = `core larger than ${why}: read and dropped ${bytes} bytes, no dump written`;
      return budget === limit ? 'size-cap' : 'no-space';
    }
    // The whole core is read: close the pipe, so the kernel lets the process die now.
    if (this.io.releaseInput) await this.io.releaseInput();
    else this.io.input.destroy();

    this.phase = 'writing the minidump';
    const tWrite = performance.now();
    this.dumpSink = FileSink.create(dump);
    const diagnostics = new Diagnostics();
    let written: Awaited<ReturnType<typeof convertCore>>;
    try {
      written = await convertCore(this.coreSink.tempPath, this.dumpSink, {
        variety: this.variety,
        procFiles: this.procFiles,
        crash: { pid: this.args.pid, tid: this.args.tid, signal: this.args.signal, time: this.args.time },
        diagnostics,
      });
    } catch (e) {
      // No minidump: the crash is not lost, the core is kept in its place.
      if (!this.abandoned) f.core = this.coreSink.commit();
      this.coreSink = undefined;
      throw e;
    }
    if (this.abandoned) return 'time-cap';
    f.dump = this.dumpSink.commit();
    f.writeMs = Math.round(performance.now() - tWrite);
    f.dumpBytes = written.size;
    if (written.notes.length) f.notes = written.notes.slice(0, 3).join('; ');
    if (this.settings.KeepCore) f.core = this.coreSink.commit();
    else this.coreSink.abort();
    this.coreSink = undefined;
    this.dumpSink = undefined;
    this.phase = 'applying DumpCount';
    const removed = applyDumpCount(folder, this.settings.DumpCount);
    if (removed.length) f.removed = removed.length;
    f.doneAt = Date.now();
    return 'ok';
  }

  /** The time cap was hit: remove what is half written; the run stops at its next step. */
  abandon(): void {
    this.abandoned = true;
    this.stop.abort();
    this.coreSink?.abort();
    this.dumpSink?.abort();
  }

  async releaseSlot(): Promise<void> {
    await this.slot?.release();
    this.slot = undefined;
  }
}
