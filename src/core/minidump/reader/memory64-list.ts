import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MINIDUMP_MEMORY_DESCRIPTOR64_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import type { StreamContext } from './common.js';
import type { MemoryRange } from './memory-list.js';

/**
 * MINIDUMP_MEMORY64_LIST (stream 9): u64 count; u64 BaseRva; MINIDUMP_MEMORY_DESCRIPTOR64[count].
 * Range data is contiguous from BaseRva in descriptor order. Only the descriptors are read.
 */
export function readMemory64List(ctx: StreamContext, v: StructView): MemoryRange[] {
  const what = 'MINIDUMP_MEMORY64_LIST';
  const count64 = v.u64(0);
  if (count64 > BigInt(MinidumpLimits.maxMemoryRanges)) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: count ${count64} exceeds the limit of ${MinidumpLimits.maxMemoryRanges}`, {
      offset: v.fileOffset,
      length: 8,
    });
  }
  const count = Number(count64);
  const need = 16 + count * MINIDUMP_MEMORY_DESCRIPTOR64_SIZE;
  if (v.length < need) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: count ${count} needs ${need} bytes but the stream has ${v.length}`, {
      offset: v.fileOffset,
      length: v.length,
    });
  }
  if (v.length !== need) ctx.diagnostics.add(`${what}: stream is ${v.length} bytes, expected 16 + 16*${count} = ${need}`);
  // Numbers, not BigInts, for the running file offset and the sizes (a full-memory dump has tens of
  // thousands of ranges, and this runs at every `info`): both stay below the file size (< 2^53).
  const base = v.u64(8);
  const fileSize = ctx.source.size;
  let rva = base > BigInt(fileSize) ? fileSize + 1 : Number(base);
  const out: MemoryRange[] = [];
  for (let i = 0; i < count; i++) {
    const off = 16 + i * MINIDUMP_MEMORY_DESCRIPTOR64_SIZE;
    const sizeHigh = v.u32(off + 12);
    const size = sizeHigh * 0x100000000 + v.u32(off + 8);
    if (sizeHigh >= 0x200000 || rva + size > fileSize) {
      ctx.diagnostics.add(
        `${what}[${i}]: ${v.u64(off + 8)} bytes at file offset 0x${(i === 0 ? base : BigInt(rva)).toString(16)} run past the end of the file (0x${fileSize.toString(16)}); ${count - i} range(s) dropped`,
      );
      break;
    }
    out.push({ start: v.u64(off), size, fileOffset: rva, from: 'Memory64List' });
    rva += size;
  }
  return out;
}
