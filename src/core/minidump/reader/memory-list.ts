import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_MEMORY_DESCRIPTOR_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { countedList, memoryDescriptor, type StreamContext } from './common.js';

/** A captured memory range: where it was in the process and where its bytes are in the file. */
export interface MemoryRange {
  start: bigint;
  size: number;
  /** File offset of the range's first byte. */
  fileOffset: number;
  from: 'MemoryList' | 'Memory64List';
}

/** MINIDUMP_MEMORY_LIST (stream 5): u32 count [+4 pad] + MINIDUMP_MEMORY_DESCRIPTOR[count]. */
export function readMemoryList(ctx: StreamContext, v: StructView): MemoryRange[] {
  const { count, start } = countedList(v, MINIDUMP_MEMORY_DESCRIPTOR_SIZE, MinidumpLimits.maxMemoryRanges, 'MINIDUMP_MEMORY_LIST', ctx.diagnostics);
  const out: MemoryRange[] = [];
  for (let i = 0; i < count; i++) {
    const off = start + i * MINIDUMP_MEMORY_DESCRIPTOR_SIZE;
    const d = memoryDescriptor(v, off);
    if (d.memory.rva + d.memory.dataSize > ctx.source.size) {
      ctx.diagnostics.add(
        `MINIDUMP_MEMORY_LIST[${i}]: ${d.memory.dataSize} bytes at RVA 0x${d.memory.rva.toString(16)} run past the end of the file; range dropped`,
      );
      continue;
    }
    out.push({ start: d.startOfMemoryRange, size: d.memory.dataSize, fileOffset: d.memory.rva, from: 'MemoryList' });
  }
  return out;
}
