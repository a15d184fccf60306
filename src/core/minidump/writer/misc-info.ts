import { StructBuilder } from './encode.js';
import type { MiscRecord } from './model.js';

export const MISC_INFO_SIZE = 24;
const MINIDUMP_MISC1_PROCESS_ID = 0x1;
const MINIDUMP_MISC1_PROCESS_TIMES = 0x2;

/** MINIDUMP_MISC_INFO (version 1, 24 bytes): process id and times. */
export function encodeMiscInfo(misc: MiscRecord): Uint8Array {
  return new StructBuilder(MISC_INFO_SIZE)
    .u32(0, MISC_INFO_SIZE)
    .u32(4, MINIDUMP_MISC1_PROCESS_ID | MINIDUMP_MISC1_PROCESS_TIMES)
    .u32(8, misc.processId)
    .u32(12, misc.processCreateTime)
    .u32(16, misc.processUserTime)
    .u32(20, misc.processKernelTime).bytes;
}
