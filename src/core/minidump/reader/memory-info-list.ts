import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MINIDUMP_MEMORY_INFO_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { checkTable, type StreamContext } from './common.js';

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
  const what = 'MINIDUMP_MEMORY_INFO_LIST';
  const headerSize = v.u32(0);
  const entrySize = v.u32(4);
  const count64 = v.u64(8);
  if (count64 > BigInt(MinidumpLimits.maxMemoryInfos)) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: count ${count64} exceeds the limit of ${MinidumpLimits.maxMemoryInfos}`, {
      offset: v.fileOffset + 8,
      length: 8,
    });
  }
  const count = Number(count64);
  checkTable(v, headerSize, entrySize, MINIDUMP_MEMORY_INFO_SIZE, count, MinidumpLimits.maxMemoryInfos, what);
  const out: MinidumpMemoryInfo[] = [];
  for (let i = 0; i < count; i++) {
    const off = headerSize + i * entrySize;
    out.push({
      baseAddress: v.u64(off),
      allocationBase: v.u64(off + 8),
      allocationProtect: v.u32(off + 16),
      regionSize: v.u64(off + 24),
      state: v.u32(off + 32),
      protect: v.u32(off + 36),
      type: v.u32(off + 40),
    });
  }
  return out;
}
