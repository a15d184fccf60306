import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MINIDUMP_MEMORY_DESCRIPTOR64_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import type { StreamContext } from './common.js';
import type { MemoryRange } from './memory-list.js';

/**
 * MINIDUMP_MEMORY64_LIST (stream 9) checked once: how many descriptors are usable and the bytes
 * they hold. Counting needs no object per range, so `info` on a full-memory dump with tens of
 * thousands of ranges allocates none (`memory64Ranges` materializes them when asked).
 */
export interface Memory64Layout {
  /** The stream's bytes (the descriptors are read from here). */
  view: StructView;
  /** Usable descriptors: those before the first that runs past the end of the file. */
  count: number;
  /** File offset of the first range's data (BaseRva). */
  base: number;
  /** Sum of the usable descriptors' sizes. */
  bytes: number;
}

/**
 * MINIDUMP_MEMORY64_LIST (stream 9): u64 count; u64 BaseRva; MINIDUMP_MEMORY_DESCRIPTOR64[count].
 * Range data is contiguous from BaseRva in descriptor order. Only the descriptors are read; every
 * diagnostic is made here, once.
 */
export function readMemory64Layout(ctx: StreamContext, v: StructView): Memory64Layout {
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
  const base64 = v.u64(8);
  const fileSize = ctx.source.size;
  const base = base64 > BigInt(fileSize) ? fileSize + 1 : Number(base64);
  const words = descriptorWords(v, count);
  let rva = base;
  let kept = 0;
  for (; kept < count; kept++) {
    const sizeHigh = words[kept * 4 + 3]!;
    const size = sizeHigh * 0x100000000 + words[kept * 4 + 2]!;
    if (sizeHigh >= 0x200000 || rva + size > fileSize) {
      const off = 16 + kept * MINIDUMP_MEMORY_DESCRIPTOR64_SIZE;
      ctx.diagnostics.add(
        `${what}[${kept}]: ${v.u64(off + 8)} bytes at file offset 0x${(kept === 0 ? base64 : BigInt(rva)).toString(16)} run past the end of the file (0x${fileSize.toString(16)}); ${count - kept} range(s) dropped`,
      );
      break;
    }
    rva += size;
  }
  return { view: v, count: kept, base, bytes: rva - base };
}

const HOST_IS_LITTLE_ENDIAN = new Uint8Array(new Uint32Array([1]).buffer)[0] === 1;

/**
 * The first `count` MINIDUMP_MEMORY_DESCRIPTOR64s as little-endian 32-bit words (StartOfMemoryRange
 * low, high, DataSize low, high), copied out in one piece: a full-memory dump has tens of thousands
 * of descriptors and `info` reads them all at start-up, before any JIT, where a bounds-checked
 * DataView call per field costs about ten times a typed-array index. The caller has checked that
 * the stream holds them.
 */
function descriptorWords(v: StructView, count: number): Uint32Array {
  const bytes = v.bytes.subarray(16, 16 + count * MINIDUMP_MEMORY_DESCRIPTOR64_SIZE);
  const words = new Uint32Array(count * 4);
  if (HOST_IS_LITTLE_ENDIAN) new Uint8Array(words.buffer).set(bytes);
  else for (let i = 0; i < words.length; i++) words[i] = v.view.getUint32(16 + i * 4, true);
  return words;
}

/** The usable ranges of a checked MINIDUMP_MEMORY64_LIST, in descriptor order. */
export function memory64Ranges(layout: Memory64Layout): MemoryRange[] {
  const { view: v, count } = layout;
  const out: MemoryRange[] = new Array(count);
  const words = descriptorWords(v, count);
  let rva = layout.base;
  for (let i = 0; i < count; i++) {
    const size = words[i * 4 + 3]! * 0x100000000 + words[i * 4 + 2]!;
    out[i] = { start: (BigInt(words[i * 4 + 1]!) << 32n) | BigInt(words[i * 4]!), size, fileOffset: rva, from: 'Memory64List' };
    rva += size;
  }
  return out;
}

/** MINIDUMP_MEMORY64_LIST's usable ranges (readMemory64Layout, then memory64Ranges). */
export function readMemory64List(ctx: StreamContext, v: StructView): MemoryRange[] {
  return memory64Ranges(readMemory64Layout(ctx, v));
}
