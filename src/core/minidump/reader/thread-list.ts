import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_THREAD_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { countedList, location, memoryDescriptor, type MinidumpLocation, type MinidumpMemoryDescriptor, type StreamContext } from './common.js';

/** MINIDUMP_THREAD (48 bytes). */
export interface MinidumpThread {
  threadId: number;
  suspendCount: number;
  priorityClass: number;
  priority: number;
  teb: bigint;
  stack: MinidumpMemoryDescriptor;
  threadContext: MinidumpLocation;
  /** MINIDUMP_THREAD_EX only (IA-64 backing store). */
  backingStore?: MinidumpMemoryDescriptor;
}

export function parseThread(v: StructView, off: number): MinidumpThread {
  return {
    threadId: v.u32(off),
    suspendCount: v.u32(off + 4),
    priorityClass: v.u32(off + 8),
    priority: v.u32(off + 12),
    teb: v.u64(off + 16),
    stack: memoryDescriptor(v, off + 24),
    threadContext: location(v, off + 40),
  };
}

/** MINIDUMP_THREAD_LIST (stream 3): u32 count [+4 pad] + MINIDUMP_THREAD[count]. */
export function readThreadList(ctx: StreamContext, v: StructView): MinidumpThread[] {
  const { count, start } = countedList(v, MINIDUMP_THREAD_SIZE, MinidumpLimits.maxThreads, 'MINIDUMP_THREAD_LIST', ctx.diagnostics);
  const out: MinidumpThread[] = [];
  for (let i = 0; i < count; i++) out.push(parseThread(v, start + i * MINIDUMP_THREAD_SIZE));
  return out;
}
