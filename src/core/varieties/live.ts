import { DumpError } from '../errors.js';
import { CLASS_CODE, classesInGroup, type PageClass } from './page-class.js';
import { countRuns, limitRuns, selectRuns, type PfnRun } from './page-selection.js';
import { inclusionTable, variety, type LiveOptions, type Variety } from './rules.js';

/**
 * Task Manager live kernel dumps. The capture copies the pages into free physical memory first,
 * so it needs as many free+zeroed pages as it writes. By default it aborts under memory pressure;
 * without abort it writes a partial dump, kernel pages first.
 */
export interface LiveRequest extends LiveOptions {
  type: 'full' | 'kernel-stacks';
  abortOnMemoryPressure: boolean;
}

/** Which pages survive a partial live dump first: processor state and stacks, then the rest of the kernel, … */
export const LIVE_PRIORITY: readonly (readonly PageClass[])[] = [
  ['processor-state', 'kernel-stack', 'kernel-page-table', 'kernel-image', 'hal'],
  ['driver', 'kernel-pool'],
  ['hypervisor-essential'],
  ['hypervisor-nonessential'],
  classesInGroup('user'),
];

export interface LivePlan {
  variety: Variety;
  runs: PfnRun[];
  wantedPages: number;
  freePages: number;
  partial: boolean;
}

export function planLive(classes: Uint8Array, req: LiveRequest, available?: readonly PfnRun[]): LivePlan {
  const v = variety(req.type === 'full' ? 'live-full' : 'live-kernel-stacks', req);
  const wanted = selectRuns(classes, inclusionTable(v), available);
  const wantedPages = countRuns(wanted);
  let freePages = 0;
  const free = CLASS_CODE.free;
  const zeroed = CLASS_CODE.zeroed;
  for (let i = 0; i < classes.length; i++) if (classes[i] === free || classes[i] === zeroed) freePages++;
  if (wantedPages <= freePages) return { variety: v, runs: wanted, wantedPages, freePages, partial: false };
  if (req.abortOnMemoryPressure) {
    throw new DumpError(
      'MEMORY_PRESSURE',
      `live dump aborted: it needs ${wantedPages} pages (${(wantedPages / 256).toFixed(0)} MiB) of free memory to hold its copy, the machine has ${freePages} free+zeroed pages; ` +
        'close applications, leave out hypervisor/user pages, or pass --no-abort-on-memory-pressure for a partial dump',
    );
  }
  return { variety: v, runs: limitRuns(classes, wanted, LIVE_PRIORITY, freePages), wantedPages, freePages, partial: true };
}

/** `<root>/Users/<user>/AppData/Local/Microsoft/Windows/TaskManager/LiveKernelDumps` relative parts. */
export function liveDumpDir(user: string): string[] {
  if (!/^[^\\/:*?"<>|\0]{1,64}$/.test(user) || user === '.' || user === '..') {
    throw new DumpError('INVALID_ARGUMENT', `user name ${JSON.stringify(user)} is not a valid Windows user folder name`);
  }
  return ['Users', user, 'AppData', 'Local', 'Microsoft', 'Windows', 'TaskManager', 'LiveKernelDumps'];
}

/** File name of a live dump: `LiveKernelDump-<type>-YYYYMMDD-HHMMSS.dmp` (the snapshot's UTC time). */
export function liveDumpName(type: LiveRequest['type'], when: Date): string {
  const p = (n: number) => String(n).padStart(2, '0');
  const stamp = `${when.getUTCFullYear()}${p(when.getUTCMonth() + 1)}${p(when.getUTCDate())}-${p(when.getUTCHours())}${p(when.getUTCMinutes())}${p(when.getUTCSeconds())}`;
  return `LiveKernelDump-${type}-${stamp}.dmp`;
}
