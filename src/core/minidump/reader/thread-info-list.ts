import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_THREAD_INFO_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { tableEntryOffsets, type StreamContext } from './common.js';

/** MINIDUMP_THREAD_INFO (64 bytes). Times are FILETIME units. */
export interface MinidumpThreadInfo {
  threadId: number;
  dumpFlags: number;
  dumpError: number;
  exitStatus: number;
  createTime: bigint;
  exitTime: bigint;
  kernelTime: bigint;
  userTime: bigint;
  startAddress: bigint;
  affinity: bigint;
}

/** MINIDUMP_THREAD_INFO_LIST (stream 17): u32 SizeOfHeader; u32 SizeOfEntry; u32 NumberOfEntries. */
export function readThreadInfoList(_ctx: StreamContext, v: StructView): MinidumpThreadInfo[] {
  const offsets = tableEntryOffsets(v, v.u32(8), MINIDUMP_THREAD_INFO_SIZE, MinidumpLimits.maxThreads, 'MINIDUMP_THREAD_INFO_LIST');
  return offsets.map((off) => ({
    threadId: v.u32(off),
    dumpFlags: v.u32(off + 4),
    dumpError: v.u32(off + 8),
    exitStatus: v.u32(off + 12),
    createTime: v.u64(off + 16),
    exitTime: v.u64(off + 24),
    kernelTime: v.u64(off + 32),
    userTime: v.u64(off + 40),
    startAddress: v.u64(off + 48),
    affinity: v.u64(off + 56),
  }));
}
