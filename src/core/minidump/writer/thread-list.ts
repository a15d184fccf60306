import { StructBuilder, type Location } from './encode.js';
import type { ThreadRecord } from './model.js';

export const MINIDUMP_THREAD_SIZE = 48;

export interface ThreadPlacement {
  thread: ThreadRecord;
  /** Captured stack bytes (address + where they are in the file). */
  stack: { address: bigint; location: Location };
  context: Location;
}

/** MINIDUMP_THREAD_LIST: u32 count, then MINIDUMP_THREAD[count] (Microsoft form, no padding). */
export function encodeThreadList(threads: ThreadPlacement[]): Uint8Array {
  const b = new StructBuilder(4 + threads.length * MINIDUMP_THREAD_SIZE);
  b.u32(0, threads.length);
  threads.forEach((t, i) => {
    const o = 4 + i * MINIDUMP_THREAD_SIZE;
    b.u32(o, t.thread.id).u32(o + 4, t.thread.suspendCount ?? 0).u32(o + 8, 0).u32(o + 12, t.thread.priority ?? 0);
    b.u64(o + 16, t.thread.teb);
    b.u64(o + 24, t.stack.address).u32(o + 32, t.stack.location.size).u32(o + 36, t.stack.location.rva);
    b.u32(o + 40, t.context.size).u32(o + 44, t.context.rva);
  });
  return b.bytes;
}
