import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import type { StreamContext } from './common.js';

/**
 * MINIDUMP_SYSTEM_MEMORY_INFO_1 (stream 21, 492 bytes): the leading fields are decoded
 * (SYSTEM_BASIC_INFORMATION); the whole record is kept raw for the rest.
 */
export interface MinidumpSystemMemoryInfo {
  revision: number;
  flags: number;
  basicInfo: {
    timerResolution: number;
    pageSize: number;
    numberOfPhysicalPages: number;
    lowestPhysicalPageNumber: number;
    highestPhysicalPageNumber: number;
    allocationGranularity: number;
    minimumUserModeAddress: bigint;
    maximumUserModeAddress: bigint;
    activeProcessorsAffinityMask: bigint;
    numberOfProcessors: number;
  };
  raw: Uint8Array;
}

export function readSystemMemoryInfo(_ctx: StreamContext, v: StructView): MinidumpSystemMemoryInfo {
  if (v.length < 56) {
    throw new DumpError('BAD_SIZE', `MINIDUMP_SYSTEM_MEMORY_INFO_1 is ${v.length} bytes, too short`, { offset: v.fileOffset, length: v.length });
  }
  return {
    revision: v.u16(0),
    flags: v.u16(2),
    basicInfo: {
      timerResolution: v.u32(4),
      pageSize: v.u32(8),
      numberOfPhysicalPages: v.u32(12),
      lowestPhysicalPageNumber: v.u32(16),
      highestPhysicalPageNumber: v.u32(20),
      allocationGranularity: v.u32(24),
      minimumUserModeAddress: v.u64(28),
      maximumUserModeAddress: v.u64(36),
      activeProcessorsAffinityMask: v.u64(44),
      numberOfProcessors: v.u32(52),
    },
    raw: v.raw(0, v.length).slice(),
  };
}
