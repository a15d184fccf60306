import { CLOCK_TICKS, type ProcSample } from './proc-sample.js';

/** What can make `dumpkit monitor` write a dump. */
export type TriggerKind = 'cpu' | 'cpu-below' | 'memory' | 'threads' | 'fds' | 'signal' | 'crash' | 'time';

/**
 * The word each trigger puts in the file name, ProcDump for Linux's (its CoreDumpTypeStrings:
 * commit, cpu, thread, filedesc, signal, time); ProcDump has no native crash trigger, so a crash
 * is "crash".
 */
export const TRIGGER_WORDS: Readonly<Record<TriggerKind, string>> = {
  cpu: 'cpu',
  'cpu-below': 'cpu',
  memory: 'commit',
  threads: 'thread',
  fds: 'filedesc',
  signal: 'signal',
  crash: 'crash',
  time: 'time',
};

/** The thresholds given on the command line (absent: not watched). */
export interface TriggerConfig {
  /** Percent of one CPU, at or above which (over one sampling interval) a dump is taken. */
  cpu?: number;
  /** Percent of one CPU below which (over one sampling interval) a dump is taken. */
  cpuBelow?: number;
  /** Resident set sizes in MiB, each dumped once, in the order given. */
  memoryMb?: number[];
  threads?: number;
  fds?: number;
  /** Signal number: dump when the process receives it, then let it through. */
  signal?: number;
  /** Dump when a thread is about to die of a fatal signal the process does not handle. */
  onCrash?: boolean;
}

/** A condition that held at one sample. */
export interface Met {
  kind: TriggerKind;
  value: number;
  threshold: number;
  /** E.g. "CPU 93% >= 80% over 1 s". */
  text: string;
}

/** The triggers that need samples from /proc (the others come from ptrace or the clock). */
export function sampledTriggers(c: TriggerConfig): boolean {
  return c.cpu !== undefined || c.cpuBelow !== undefined || (c.memoryMb?.length ?? 0) > 0 || c.threads !== undefined || c.fds !== undefined;
}

/** CPU use over the interval between two samples, in percent of one CPU. */
export function cpuPercent(prev: ProcSample, cur: ProcSample): number {
  const seconds = (cur.at - prev.at) / 1000;
  if (seconds <= 0) return 0;
  return ((cur.cpuTicks - prev.cpuTicks) / CLOCK_TICKS / seconds) * 100;
}

function seconds(ms: number): string {
  return `${Number((ms / 1000).toFixed(2))} s`;
}

/**
 * The conditions met by the sample `cur` (with `prev`, the one before, for CPU; `fds` counted only
 * when --fds is watched). `memoryIndex` is the next memory threshold to watch for. Order: the one
 * a dump is named after first.
 */
export function conditionsMet(c: TriggerConfig, prev: ProcSample | undefined, cur: ProcSample, fds: number | undefined, memoryIndex: number): Met[] {
  const met: Met[] = [];
  if (prev && (c.cpu !== undefined || c.cpuBelow !== undefined)) {
    const pct = cpuPercent(prev, cur);
    const shown = Math.round(pct);
    const over = seconds(cur.at - prev.at);
    if (c.cpu !== undefined && pct >= c.cpu) met.push({ kind: 'cpu', value: pct, threshold: c.cpu, text: `CPU ${shown}% >= ${c.cpu}% over ${over}` });
    if (c.cpuBelow !== undefined && pct < c.cpuBelow) met.push({ kind: 'cpu-below', value: pct, threshold: c.cpuBelow, text: `CPU ${shown}% < ${c.cpuBelow}% over ${over}` });
  }
  const mem = c.memoryMb?.[memoryIndex];
  if (mem !== undefined) {
    const mb = cur.rssBytes / (1024 * 1024);
    if (mb >= mem) met.push({ kind: 'memory', value: mb, threshold: mem, text: `memory (RSS) ${Math.round(mb)} MB >= ${mem} MB (threshold ${memoryIndex + 1} of ${c.memoryMb!.length})` });
  }
  if (c.threads !== undefined && cur.threads >= c.threads) met.push({ kind: 'threads', value: cur.threads, threshold: c.threads, text: `${cur.threads} threads >= ${c.threads}` });
  if (c.fds !== undefined && fds !== undefined && fds >= c.fds) met.push({ kind: 'fds', value: fds, threshold: c.fds, text: `${fds} file descriptors >= ${c.fds}` });
  return met;
}
