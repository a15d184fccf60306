import { StructBuilder } from './encode.js';

export const MINIDUMP_MEMORY_DESCRIPTOR64_SIZE = 16;

/**
 * MINIDUMP_MEMORY64_LIST: u64 count, u64 BaseRva, then {u64 StartOfMemoryRange, u64 DataSize}[count].
 * The data of all ranges follows contiguously from BaseRva, in descriptor order.
 */
export function encodeMemory64List(ranges: { address: bigint; size: number }[], baseRva: number): Uint8Array {
  const b = new StructBuilder(16 + ranges.length * MINIDUMP_MEMORY_DESCRIPTOR64_SIZE);
  b.u64(0, ranges.length).u64(8, baseRva);
  ranges.forEach((r, i) => {
    const o = 16 + i * MINIDUMP_MEMORY_DESCRIPTOR64_SIZE;
    b.u64(o, r.address).u64(o + 8, r.size);
  });
  return b.bytes;
}
