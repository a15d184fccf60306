import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import type { StreamContext } from './common.js';

/** MINIDUMP_PROCESS_VM_COUNTERS_1 (80 bytes) or _2 (152 bytes), switched on Revision. */
export interface MinidumpProcessVmCounters {
  revision: number;
  flags: number;
  pageFaultCount: number;
  counters: Record<string, bigint>;
}

const V1 = ['peakWorkingSetSize', 'workingSetSize', 'quotaPeakPagedPoolUsage', 'quotaPagedPoolUsage', 'quotaPeakNonPagedPoolUsage', 'quotaNonPagedPoolUsage', 'pagefileUsage', 'peakPagefileUsage', 'privateUsage'];
const V2 = [
  'peakWorkingSetSize', 'workingSetSize', 'quotaPeakPagedPoolUsage', 'quotaPagedPoolUsage', 'quotaPeakNonPagedPoolUsage', 'quotaNonPagedPoolUsage',
  'pagefileUsage', 'peakPagefileUsage', 'peakVirtualSize', 'virtualSize', 'privateUsage', 'privateWorkingSetSize', 'sharedCommitUsage',
  'jobSharedCommitUsage', 'jobPrivateCommitUsage', 'jobPeakPrivateCommitUsage', 'jobPrivateCommitLimit', 'jobTotalCommitLimit',
];

export function readProcessVmCounters(_ctx: StreamContext, v: StructView): MinidumpProcessVmCounters {
  const revision = v.u16(0);
  const names = revision === 1 ? V1 : revision === 2 ? V2 : undefined;
  if (!names) throw new DumpError('BAD_VERSION', `MINIDUMP_PROCESS_VM_COUNTERS revision ${revision} is not 1 or 2`, { offset: v.fileOffset, length: 2 });
  const need = 8 + names.length * 8;
  if (v.length < need) {
    throw new DumpError('BAD_SIZE', `MINIDUMP_PROCESS_VM_COUNTERS_${revision} is ${v.length} bytes, needs ${need}`, { offset: v.fileOffset, length: v.length });
  }
  const counters: Record<string, bigint> = {};
  names.forEach((n, i) => (counters[n] = v.u64(8 + i * 8)));
  return { revision, flags: revision === 2 ? v.u16(2) : 0, pageFaultCount: v.u32(4), counters };
}
