import { statSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import { DumpError } from '../../../core/errors.js';
import { toJson } from '../../../core/hex.js';
import { parseVariety } from '../../../core/minidump/varieties.js';
import { captureProcess } from '../../capture/capture.js';
import { waitForCrash } from '../../capture/follow.js';
import { defaultDumpName, processName, resolvePid } from '../../capture/processes.js';
import { PtraceTarget } from '../../capture/ptrace-target.js';
import type { CrashEvent } from '../../capture/target.js';
import { FileSink, nextFreeName } from '../../file-sink.js';
import { ProgressBar } from '../../progress.js';
import { parseSeconds, SYNC_OPTION_HELP } from '../../varieties/cli-util.js';
import { onlyErrno } from '../../errno.js';

interface CaptureCliOptions {
  type: string;
  output?: string;
  overwrite?: boolean;
  json?: boolean;
  abortOnMemoryPressure: boolean;
  snapshot: string;
  sync?: boolean;
  onCrash?: boolean;
  crashTimeout?: string;
}

export function register(program: Command): void {
  program
    .command('capture')
    .description('write a Windows-format minidump of a running Linux process (stopped only while it is copied)')
    .argument('<process>', 'process id, or process name (must match exactly one process)')
    .option('--type <variety>', 'full | miniplus | mini', 'full')
    .option('-o, --output <file|dir>', 'output file, or directory for the default name')
    .option('--overwrite', 'replace an existing output file')
    .option('--sync', SYNC_OPTION_HELP)
    .option('--no-abort-on-memory-pressure', 'when the copy would not fit in memory, write while the target stays stopped')
    .option('--snapshot <how>', 'auto: a copy-on-write snapshot (x86_64 and i386; the target stops only for its page tables) for full and miniplus captures of more than 32 MiB, else a copy while stopped; fork: always the snapshot; copy: always copy while stopped', 'auto')
    .option('--on-crash', 'follow the process and capture when a thread is about to die of a signal it does not handle (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS), with an Exception stream; the crash then takes its course')
    .option('--crash-timeout <seconds>', 'with --on-crash: give up after this long')
    .option('--json', 'print one JSON object describing the capture')
    .action(async (proc: string, opts: CaptureCliOptions) => {
      const variety = parseVariety(opts.type);
      if (!variety) throw new DumpError('INVALID_ARGUMENT', `--type must be full, miniplus or mini, not ${JSON.stringify(opts.type)}`);
      if (opts.snapshot !== 'auto' && opts.snapshot !== 'fork' && opts.snapshot !== 'copy') throw new DumpError('INVALID_ARGUMENT', `--snapshot must be auto, fork or copy, not ${JSON.stringify(opts.snapshot)}`);
      const pid = resolvePid(proc);
      if (pid === process.pid) throw new DumpError('INVALID_ARGUMENT', 'dumpkit cannot capture itself');
      const name = processName(pid);
      const target = new PtraceTarget(pid);
      let crash: CrashEvent | undefined;
      if (opts.onCrash) crash = await followUntilCrash(target, opts.crashTimeout);
      else if (opts.crashTimeout !== undefined) throw new DumpError('INVALID_ARGUMENT', '--crash-timeout goes with --on-crash');
      const path = outputPath(opts.output, name, pid, new Date(), !!opts.overwrite);
      let sink: FileSink | undefined;
      const bar = new ProgressBar(process.stderr);
      try {
        const result = await captureProcess(
          target,
          () => (sink = FileSink.create(path, { overwrite: opts.overwrite })),
          {
            variety,
            abortOnMemoryPressure: opts.abortOnMemoryPressure,
            snapshot: opts.snapshot,
            // A crashing process would die as soon as it ran again: it stays stopped until the file is written.
            writeWhileStopped: crash !== undefined,
            // DUMPKIT_MEM_AVAILABLE (bytes) stands in for /proc/meminfo MemAvailable: to try the memory-pressure paths.
            memAvailable: process.env.DUMPKIT_MEM_AVAILABLE ? Number(process.env.DUMPKIT_MEM_AVAILABLE) : undefined,
            onProgress: (phase, done, total) => bar.update(phase, done, total),
            onInterrupted: (signal) => {
              sink?.abort();
              bar.done();
              process.stderr.write(`dumpkit: interrupted by ${signal}; process ${pid} resumed, no dump written\n`);
              process.exit(130);
            },
          },
        );
        bar.done();
        const commitStart = performance.now();
        const file = sink!.commit({ sync: opts.sync }); // (fsync,) then rename into place
        const commitMs = performance.now() - commitStart;
        // totalMs counts everything from the start of the capture to the file under its final name.
        const report = { file, size: result.fileSize, ...result, fileSize: undefined, totalMs: result.totalMs + commitMs, commitMs, crash };
        if (opts.json) process.stdout.write(toJson(report) + '\n');
        else {
          process.stdout.write(
            `${file}: ${variety} dump of ${name} (pid ${pid}, ${result.arch}), ${result.threads} threads, ${result.modules} modules, ` +
              `${result.memoryBytes} bytes of memory; target paused ${result.pauseMs.toFixed(1)} ms, total ${report.totalMs.toFixed(1)} ms (of which ${opts.sync ? 'fsync+' : ''}rename ${commitMs.toFixed(1)} ms)\n`,
          );
          for (const d of result.diagnostics.slice(0, 20)) process.stderr.write(`note: ${d}\n`);
        }
      } catch (e) {
        bar.done();
        sink?.abort();
        throw e;
      }
    });
}

/** --on-crash: follows the process until a thread is about to die of a signal; Ctrl-C stops following (the process runs on). */
async function followUntilCrash(target: PtraceTarget, timeout: string | undefined): Promise<CrashEvent> {
  let timeoutMs: number | undefined;
  if (timeout !== undefined) {
    timeoutMs = parseSeconds(timeout, '--crash-timeout') * 1000;
  }
  const onSignal = (signal: NodeJS.Signals): void => {
    target.resume();
    process.stderr.write(`dumpkit: ${signal}: stopped following process ${target.pid}, which runs on; no dump written\n`);
    process.exit(130);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  process.stderr.write(`dumpkit: following process ${target.pid} until it crashes (Ctrl-C to stop)\n`);
  try {
    return await waitForCrash(target, { timeoutMs });
  } finally {
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }
}

/** The default name in -o DIR or the current directory, or -o FILE; the next free name unless --overwrite. */
function outputPath(output: string | undefined, name: string, pid: number, when: Date, overwrite: boolean): string {
  let path: string;
  if (output === undefined) path = defaultDumpName(name, pid, when);
  else {
    let isDir = false;
    try {
      isDir = statSync(output).isDirectory();
    } catch (e) {
      onlyErrno(e); // a new file
    }
    path = isDir ? join(output, defaultDumpName(name, pid, when)) : output;
    if (!isDir && !overwrite) return path; // an explicit file name: FileSink refuses if it exists
  }
  return overwrite ? path : nextFreeName(path);
}
