import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_MEMORY_INFO_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { tableEntryOffsets, type StreamContext } from './common.js';

/** MINIDUMP_MEMORY_INFO (48 bytes). */
export interface MinidumpMemoryInfo {
  baseAddress: bigint;
  allocationBase: bigint;
  allocationProtect: number;
  regionSize: bigint;
  state: number;
  protect: number;
  type: number;
}

/** MINIDUMP_MEMORY_INFO_LIST (stream 16): u32 SizeOfHeader; u32 SizeOfEntry; u64 NumberOfEntries. */
export function readMemoryInfoList(_ctx: StreamContext, v: StructView): MinidumpMemoryInfo[] {
  const offsets = tableEntryOffsets(v, v.u64(8), MINIDUMP_MEMORY_INFO_SIZE, MinidumpLimits.maxMemoryInfos, 'MINIDUMP_MEMORY_INFO_LIST');
  return offsets.map((off) => ({
    baseAddress: v.u64(off),
    allocationBase: v.u64(off + 8),
    allocationProtect: v.u32(off + 16),
    regionSize: v.u64(off + 24),
    state: v.u32(off + 32),
    protect: v.u32(off + 36),
    type: v.u32(off + 40),
  }));
}
