import { isFileBacked, type Mapping } from '../../linux/maps.js';
import { MEM_COMMIT, MEM_IMAGE, MEM_MAPPED, MEM_PRIVATE, PAGE_EXECUTE, PAGE_EXECUTE_READ, PAGE_EXECUTE_READWRITE, PAGE_NOACCESS, PAGE_READONLY, PAGE_READWRITE } from './constants.js';
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

/** Windows page protection for Linux "rwxp" permissions. */
export function protectOf(perms: string): number {
  const r = perms[0] === 'r';
  const w = perms[1] === 'w';
  const x = perms[2] === 'x';
  if (x) return w ? PAGE_EXECUTE_READWRITE : r ? PAGE_EXECUTE_READ : PAGE_EXECUTE;
  if (w) return PAGE_READWRITE;
  return r ? PAGE_READONLY : PAGE_NOACCESS;
}

/** One MINIDUMP_MEMORY_INFO per Linux mapping: committed; image for file mappings, mapped for shared ones, else private. */
export function memoryInfoFromMappings(maps: Mapping[]): MemoryInfoRecord[] {
  return maps.map((m) => ({
    base: m.start,
    size: m.end - m.start,
    protect: protectOf(m.perms),
    state: MEM_COMMIT,
    type: isFileBacked(m) ? MEM_IMAGE : m.perms[3] === 's' ? MEM_MAPPED : MEM_PRIVATE,
  }));
}
