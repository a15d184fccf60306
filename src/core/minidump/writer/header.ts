import { MINIDUMP_SIGNATURE, MINIDUMP_VERSION } from './constants.js';
import { StructBuilder, type Location } from './encode.js';

export const HEADER_SIZE = 32;
export const DIRECTORY_ENTRY_SIZE = 12;

export interface DirectoryEntry {
  type: number;
  location: Location;
}

/** MINIDUMP_HEADER followed by the MINIDUMP_DIRECTORY array at 0x20. */
export function encodeHeaderAndDirectory(entries: DirectoryEntry[], timestamp: number, flags: bigint): Uint8Array {
  const b = new StructBuilder(HEADER_SIZE + entries.length * DIRECTORY_ENTRY_SIZE);
  b.u32(0, MINIDUMP_SIGNATURE).u32(4, MINIDUMP_VERSION).u32(8, entries.length).u32(12, HEADER_SIZE).u32(16, 0).u32(20, timestamp).u64(24, flags);
  entries.forEach((e, i) => {
    const o = HEADER_SIZE + i * DIRECTORY_ENTRY_SIZE;
    b.u32(o, e.type).u32(o + 4, e.location.size).u32(o + 8, e.location.rva);
  });
  return b.bytes;
}
