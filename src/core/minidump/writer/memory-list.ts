import { StructBuilder, type Location } from './encode.js';

export const MINIDUMP_MEMORY_DESCRIPTOR_SIZE = 16;

export interface PlacedMemory {
  address: bigint;
  location: Location;
}

/** MINIDUMP_MEMORY_LIST: u32 count, then MINIDUMP_MEMORY_DESCRIPTOR[count]. */
export function encodeMemoryList(ranges: PlacedMemory[]): Uint8Array {
  const b = new StructBuilder(4 + ranges.length * MINIDUMP_MEMORY_DESCRIPTOR_SIZE);
  b.u32(0, ranges.length);
  ranges.forEach((r, i) => {
    const o = 4 + i * MINIDUMP_MEMORY_DESCRIPTOR_SIZE;
    b.u64(o, r.address).u32(o + 8, r.location.size).u32(o + 12, r.location.rva);
  });
  return b.bytes;
}
