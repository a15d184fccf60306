import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_THREAD_EX_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { countedList, memoryDescriptor, type StreamContext } from './common.js';
import { parseThread, type MinidumpThread } from './thread-list.js';

/** MINIDUMP_THREAD_EX_LIST (stream 8): MINIDUMP_THREAD + BackingStore descriptor, 64 bytes each. */
export function readThreadExList(ctx: StreamContext, v: StructView): MinidumpThread[] {
  const { count, start } = countedList(v, MINIDUMP_THREAD_EX_SIZE, MinidumpLimits.maxThreads, 'MINIDUMP_THREAD_EX_LIST', ctx.diagnostics);
  const out: MinidumpThread[] = [];
  for (let i = 0; i < count; i++) {
    const off = start + i * MINIDUMP_THREAD_EX_SIZE;
    out.push({ ...parseThread(v, off), backingStore: memoryDescriptor(v, off + 48) });
  }
  return out;
}
