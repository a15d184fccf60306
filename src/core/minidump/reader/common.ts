import type { ByteSource } from '../../bytes/byte-source.js';
import { StructView, decodeUtf16le, decodeUtf8, readStruct } from '../../bytes/struct-view.js';
import type { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import { MinidumpLimits } from '../limits.js';

/** MINIDUMP_LOCATION_DESCRIPTOR: u32 DataSize; u32 Rva. */
export interface MinidumpLocation {
  dataSize: number;
  rva: number;
}

/** MINIDUMP_MEMORY_DESCRIPTOR: u64 StartOfMemoryRange + location of its bytes. */
export interface MinidumpMemoryDescriptor {
  startOfMemoryRange: bigint;
  memory: MinidumpLocation;
}

/** One directory entry (MINIDUMP_DIRECTORY) with its position in the directory. */
export interface MinidumpDirectoryEntry {
  index: number;
  streamType: number;
  /** Stream type name (StreamType key, or `User(0x…)`/`Unknown(0x…)`). */
  name: string;
  location: MinidumpLocation;
}

/** What every stream parser gets: the bytes, where they come from, and where to report oddities. */
export interface StreamContext {
  source: ByteSource;
  diagnostics: Diagnostics;
}

export function location(v: StructView, off: number): MinidumpLocation {
  return { dataSize: v.u32(off), rva: v.u32(off + 4) };
}

export function memoryDescriptor(v: StructView, off: number): MinidumpMemoryDescriptor {
  return { startOfMemoryRange: v.u64(off), memory: location(v, off + 8) };
}

/** Reads the bytes a location descriptor points at, refusing ranges past the end of the file. */
export async function readLocation(source: ByteSource, loc: MinidumpLocation, what: string, cap?: number): Promise<StructView> {
  if (cap !== undefined && loc.dataSize > cap) {
    throw new DumpError('BAD_SIZE', `${what}: size ${loc.dataSize} exceeds the limit of ${cap} bytes`, { offset: loc.rva, length: loc.dataSize });
  }
  if (loc.rva + loc.dataSize > source.size) {
    throw new DumpError(
      'OUT_OF_BOUNDS',
      `${what}: ${loc.dataSize} bytes at RVA 0x${loc.rva.toString(16)} run past the end of the file (0x${source.size.toString(16)})`,
      { offset: loc.rva, length: loc.dataSize },
    );
  }
  return readStruct(source, loc.rva, loc.dataSize, what);
}

/** MINIDUMP_STRING at `rva`: u32 byte length, UTF-16LE text (terminator not required). */
export async function readMinidumpString(source: ByteSource, rva: number, what: string): Promise<string> {
  const head = await readStruct(source, rva, 4, `${what} (MINIDUMP_STRING length)`);
  const len = head.u32(0);
  if (len > MinidumpLimits.maxStringBytes) {
    throw new DumpError('BAD_SIZE', `${what}: MINIDUMP_STRING length ${len} exceeds ${MinidumpLimits.maxStringBytes}`, { offset: rva, length: 4 });
  }
  if (rva + 4 + len > source.size) {
    throw new DumpError('OUT_OF_BOUNDS', `${what}: MINIDUMP_STRING of ${len} bytes at 0x${rva.toString(16)} runs past the end of the file`, {
      offset: rva,
      length: 4 + len,
    });
  }
  return decodeUtf16le(await source.read(rva + 4, len & ~1));
}

/** Like readMinidumpString, but a broken string becomes a diagnostic and `undefined`. */
export async function readMinidumpStringSoft(ctx: StreamContext, rva: number, what: string): Promise<string | undefined> {
  if (rva === 0) return undefined;
  try {
    return await readMinidumpString(ctx.source, rva, what);
  } catch (e) {
    if (e instanceof DumpError) {
      ctx.diagnostics.add(e.message);
      return undefined;
    }
    throw e;
  }
}

/** Crashpad MinidumpUTF8String: u32 length + UTF-8 bytes (+ NUL). */
export async function readUtf8String(source: ByteSource, rva: number, what: string): Promise<string> {
  const head = await readStruct(source, rva, 4, `${what} (length)`);
  const len = head.u32(0);
  if (len > MinidumpLimits.maxStringBytes || rva + 4 + len > source.size) {
    throw new DumpError('BAD_SIZE', `${what}: UTF-8 string of ${len} bytes at 0x${rva.toString(16)} is too long or runs past the end`, {
      offset: rva,
      length: 4,
    });
  }
  return decodeUtf8(await source.read(rva + 4, len));
}

/**
 * Counted list layout `u32 count; [u32 pad]; entry[count]` (ThreadList, ModuleList, MemoryList).
 * Detects the 4-byte padding quirk of older Breakpad writers from the stream size.
 * Returns where the entries start (relative to the stream).
 */
export function countedList(
  v: StructView,
  entrySize: number,
  limit: number,
  what: string,
  diagnostics: Diagnostics,
): { count: number; start: number } {
  const count = v.u32(0);
  if (count > limit) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: count ${count} exceeds the limit of ${limit}`, { offset: v.fileOffset, length: 4 });
  }
  const size = v.length;
  if (size === 4 + count * entrySize) return { count, start: 4 };
  if (size === 8 + count * entrySize) return { count, start: 8 };
  if (size < 4 + count * entrySize) {
    throw new DumpError(
      'COUNT_TOO_LARGE',
      `${what}: count ${count} needs ${4 + count * entrySize} bytes but the stream has ${size}`,
      { offset: v.fileOffset, length: size },
    );
  }
  diagnostics.add(`${what}: stream is ${size} bytes, ${size - 4 - count * entrySize} more than ${count} entries need (ignored)`);
  return { count, start: 4 };
}

/**
 * Header-described table as used by streams 12, 14, 16, 17: `u32 SizeOfHeader; u32 SizeOfEntry; …count…`,
 * entries at SizeOfHeader + i*SizeOfEntry (both sizes honoured). Checks everything against the stream size
 * and `limit` before returning the entry offsets.
 */
export function tableEntryOffsets(v: StructView, count: number | bigint, minEntrySize: number, limit: number, what: string): number[] {
  const headerSize = v.u32(0);
  const entrySize = v.u32(4);
  if (headerSize < 12 || headerSize > v.length) {
    throw new DumpError('BAD_SIZE', `${what}: SizeOfHeader ${headerSize} does not fit the ${v.length}-byte stream`, { offset: v.fileOffset, length: 4 });
  }
  if (entrySize < minEntrySize) {
    throw new DumpError('BAD_SIZE', `${what}: SizeOfEntry ${entrySize} is smaller than ${minEntrySize}`, { offset: v.fileOffset + 4, length: 4 });
  }
  if (BigInt(count) > BigInt(limit)) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: count ${count} exceeds the limit of ${limit}`, { offset: v.fileOffset + 8, length: 4 });
  }
  const n = Number(count);
  if (headerSize + n * entrySize > v.length) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: ${n} entries of ${entrySize} bytes do not fit the ${v.length}-byte stream`, {
      offset: v.fileOffset,
      length: v.length,
    });
  }
  return Array.from({ length: n }, (_, i) => headerSize + i * entrySize);
}
