import { StructBuilder } from './encode.js';
import type { MemoryInfoRecord } from './model.js';

const HEADER_SIZE = 16;
export const MINIDUMP_MEMORY_INFO_SIZE = 48;

/** MINIDUMP_MEMORY_INFO_LIST: {SizeOfHeader 16, SizeOfEntry 48, u64 count}, then MINIDUMP_MEMORY_INFO[count]. */
export function encodeMemoryInfoList(entries: MemoryInfoRecord[]): Uint8Array {
  const b = new StructBuilder(HEADER_SIZE + entries.length * MINIDUMP_MEMORY_INFO_SIZE);
  b.u32(0, HEADER_SIZE).u32(4, MINIDUMP_MEMORY_INFO_SIZE).u64(8, entries.length);
  entries.forEach((e, i) => {
    const o = HEADER_SIZE + i * MINIDUMP_MEMORY_INFO_SIZE;
    b.u64(o, e.base).u64(o + 8, e.base).u32(o + 16, e.protect).u64(o + 24, e.size);
    b.u32(o + 32, e.state).u32(o + 36, e.protect).u32(o + 40, e.type);
  });
  return b.bytes;
}
