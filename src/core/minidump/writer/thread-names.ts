import { StructBuilder } from './encode.js';

/** MINIDUMP_THREAD_NAME is packed to 12 bytes: u32 ThreadId, RVA64 RvaOfThreadName (4-aligned). */
export const MINIDUMP_THREAD_NAME_SIZE = 12;

/** MINIDUMP_THREAD_NAME_LIST: u32 count, then MINIDUMP_THREAD_NAME[count]. */
export function encodeThreadNames(names: { threadId: number; nameRva: number }[]): Uint8Array {
  const b = new StructBuilder(4 + names.length * MINIDUMP_THREAD_NAME_SIZE);
  b.u32(0, names.length);
  names.forEach((n, i) => {
    const o = 4 + i * MINIDUMP_THREAD_NAME_SIZE;
    b.u32(o, n.threadId).u64(o + 4, n.nameRva);
  });
  return b.bytes;
}
