import { statSync } from 'node:fs';
import type { Command } from 'commander';
import { DumpError } from '../../../core/errors.js';
import { toJson } from '../../../core/hex.js';
import { parseVariety } from '../../../core/minidump/varieties.js';
import { Monitor, type MonitorEvent } from '../../monitor/monitor.js';
import { parseSignal } from '../../monitor/signals.js';
import type { TriggerConfig } from '../../monitor/triggers.js';
import { parseIntOption, parseSeconds } from '../../varieties/cli-util.js';
import { onlyErrno } from '../../errno.js';

interface MonitorCliOptions {
  cpu?: string;
  cpuBelow?: string;
  memory?: string;
  threads?: string;
  fds?: string;
  signal?: string;
  onCrash?: boolean;
  every?: string;
  count?: string;
  wait?: boolean;
  interval: string;
  type: string;
  output?: string;
  snapshot: string;
  json?: boolean;
}

export function register(program: Command): void {
  program
    .command('monitor')
    .description('watch processes and write a minidump when a trigger fires, as ProcDump does (CPU, memory, threads, file descriptors, a signal, a crash, or every S seconds)')
    .argument('<process...>', 'process ids and/or names (/proc/PID/comm); a name means every process of that name')
    .option('--cpu <percent>', 'dump when CPU use over one sampling interval is at or above this percent of one CPU (may exceed 100 for several threads)')
    .option('--cpu-below <percent>', 'dump when CPU use over one sampling interval is below this percent of one CPU')
    .option('--memory <MB[,MB...]>', 'dump when the resident set (RSS) reaches each of these sizes in MiB, one dump per value, in the order given')
    .option('--threads <n>', 'dump when the process has at least this many threads')
    .option('--fds <n>', 'dump when the process has at least this many open file descriptors')
    .option('--signal <sig>', 'dump when the process receives this signal (SIGUSR1, USR1 or a number), then let it through')
    .option('--on-crash', 'dump when a thread is about to die of a signal nobody handles (SIGSEGV, SIGBUS, SIGILL, SIGFPE, SIGABRT, SIGTRAP, SIGSYS), with an Exception stream; the crash then takes its course')
    .option('--every <seconds>', 'at least this long between two dumps of one process; with no trigger, dump every this many seconds (default 10, as ProcDump -s)')
    .option('-n, --count <n>', 'dumps per process, then stop watching it (default 1, or the number of --memory values)')
    .option('-w, --wait', 'wait for a process of each NAME to start, and keep watching for new ones (every process of that name is watched) until Ctrl-C')
    .option('--interval <ms>', 'milliseconds between samples of /proc', '1000')
    .option('--type <variety>', 'full | miniplus | mini', 'full')
    .option('-o, --output <dir>', 'directory for the dumps (default: the current directory); names <name>_<trigger>_<YYMMDD>_<HHMMSS>.<pid>.dmp')
    .option('--snapshot <how>', 'as for capture: auto | fork | copy', 'auto')
    .option('--json', 'an event log on stdout: one JSON object per line (started, threshold, triggered, dumped, exited, done, error, stopped)')
    .action(async (procs: string[], opts: MonitorCliOptions) => {
      const variety = parseVariety(opts.type);
      if (!variety) throw new DumpError('INVALID_ARGUMENT', `--type must be full, miniplus or mini, not ${JSON.stringify(opts.type)}`);
      if (opts.snapshot !== 'auto' && opts.snapshot !== 'fork' && opts.snapshot !== 'copy') throw new DumpError('INVALID_ARGUMENT', `--snapshot must be auto, fork or copy, not ${JSON.stringify(opts.snapshot)}`);
      const triggers = parseTriggers(opts);
      const outDir = opts.output ?? '.';
      let isDir = false;
      try {
        isDir = statSync(outDir).isDirectory();
      } catch (e) {
        onlyErrno(e);
      }
      if (!isDir) throw new DumpError('INVALID_ARGUMENT', `-o ${JSON.stringify(outDir)} is not a directory (monitor writes one file per dump there)`);
      const monitor = new Monitor({
        targets: procs,
        wait: !!opts.wait,
        triggers,
        intervalMs: parseIntOption(opts.interval, '--interval', 10, 3_600_000),
        everyMs: Math.round((opts.every !== undefined ? parseSeconds(opts.every, '--every') : 10) * 1000),
        count: opts.count !== undefined ? parseIntOption(opts.count, '-n', 1, 1_000_000) : Math.max(1, triggers.memoryMb?.length ?? 0),
        variety,
        outDir,
        snapshot: opts.snapshot,
        onEvent: (e) => process.stdout.write(opts.json ? toJson(e, 0) + '\n' : describe(e)),
      });
      const onSignal = (signal: NodeJS.Signals): void => {
        monitor.stop(signal);
        process.stderr.write(`dumpkit: ${signal}: stopped monitoring; every process runs on\n`);
        process.exitCode = 130;
      };
      process.once('SIGINT', onSignal);
      process.once('SIGTERM', onSignal);
      try {
        await monitor.run();
      } finally {
        process.removeListener('SIGINT', onSignal);
        process.removeListener('SIGTERM', onSignal);
      }
    });
}

function parseTriggers(opts: MonitorCliOptions): TriggerConfig {
  const t: TriggerConfig = {};
  const percent = (text: string, what: string): number => {
    const v = /^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
    if (!(v >= 0) || v > 100_000) throw new DumpError('INVALID_ARGUMENT', `${what} must be a percentage of one CPU like 80 or 250 (got ${JSON.stringify(text)})`);
    return v;
  };
  if (opts.cpu !== undefined) t.cpu = percent(opts.cpu, '--cpu');
  if (opts.cpuBelow !== undefined) t.cpuBelow = percent(opts.cpuBelow, '--cpu-below');
  if (opts.memory !== undefined) t.memoryMb = opts.memory.split(',').map((m) => parseIntOption(m.trim(), '--memory', 1, 1 << 30));
  if (opts.threads !== undefined) t.threads = parseIntOption(opts.threads, '--threads', 1, 10_000_000);
  if (opts.fds !== undefined) t.fds = parseIntOption(opts.fds, '--fds', 1, 100_000_000);
  if (opts.signal !== undefined) t.signal = parseSignal(opts.signal);
  if (opts.onCrash) t.onCrash = true;
  return t;
}

/** One line of text per event, for a person watching. */
function describe(e: MonitorEvent): string {
  const at = e.time.slice(11, 19);
  switch (e.event) {
    case 'waiting':
      return `[${at}] waiting for processes named ${e.names.join(', ')} (Ctrl-C to stop)\n`;
    case 'stopped':
      return `[${at}] monitoring stopped: ${e.reason}\n`;
    case 'started':
      return `[${at}] ${e.name} (${e.pid}): watching ${e.watching.join(', ')}\n`;
    case 'threshold':
      return `[${at}] ${e.name} (${e.pid}): ${e.text} (sample ${e.sample})\n`;
    case 'triggered':
      return `[${at}] ${e.name} (${e.pid}): trigger ${e.trigger}: ${e.text}; dump ${e.dump} of ${e.of}\n`;
    case 'dumped':
      return `[${at}] ${e.name} (${e.pid}): wrote ${e.file} (${e.size} bytes; paused ${e.pauseMs} ms)\n`;
    case 'exited':
      return `[${at}] ${e.name} (${e.pid}): ${e.how}\n`;
    case 'done':
      return `[${at}] ${e.name} (${e.pid}): ${e.dumps} dump(s) written; no longer watched\n`;
    case 'error':
      return `[${at}] ${e.name} (${e.pid}): ${e.code}: ${e.message}\n`;
  }
}
