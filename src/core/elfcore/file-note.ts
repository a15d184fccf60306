/**
 * NT_FILE: the file-backed mappings. Words (4 or 8 bytes): count, page_size, then count triples
 * (start, end, file offset in pages), then count NUL-terminated file names.
 */
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { CORE_LIMITS } from './header.js';

export interface CoreFileMapping {
  start: bigint;
  end: bigint;
  /** Byte offset in the file (the note's page offset × page_size). */
  fileOffset: bigint;
  path: string;
}

export function parseFileNote(wordSize: 4 | 8, desc: Uint8Array, fileOffset: number, diagnostics: Diagnostics): { pageSize: number; files: CoreFileMapping[] } {
  const dv = new DataView(desc.buffer, desc.byteOffset, desc.byteLength);
  const word = (off: number): bigint => (wordSize === 8 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true)));
  if (desc.length < 2 * wordSize) throw new DumpError('TRUNCATED', `NT_FILE has ${desc.length} bytes, too few for its count and page size`, { offset: fileOffset, length: desc.length });
  const count = word(0);
  const pageSize = word(wordSize);
  const tableEnd = 2 * wordSize + 3 * wordSize * Number(count > BigInt(CORE_LIMITS.maxFileEntries) ? 0n : count);
  if (count > BigInt(CORE_LIMITS.maxFileEntries)) throw new DumpError('COUNT_TOO_LARGE', `NT_FILE counts ${count} mappings; the limit is ${CORE_LIMITS.maxFileEntries}`, { offset: fileOffset, length: wordSize });
  if (tableEnd > desc.length) throw new DumpError('TRUNCATED', `NT_FILE counts ${count} mappings but its ${desc.length} bytes cannot hold their table`, { offset: fileOffset, length: desc.length });
  if (pageSize === 0n || pageSize > 1n << 30n || (pageSize & (pageSize - 1n)) !== 0n) throw new DumpError('BAD_SIZE', `NT_FILE page size ${pageSize} is not a power of two up to 1 GiB`, { offset: fileOffset + wordSize, length: wordSize });
  const files: CoreFileMapping[] = [];
  let names = tableEnd;
  const decoder = new TextDecoder();
  for (let i = 0; i < Number(count); i++) {
    const o = 2 * wordSize + 3 * wordSize * i;
    const end = desc.indexOf(0, names);
    if (end < 0) {
      diagnostics.add(`NT_FILE at 0x${fileOffset.toString(16)}: the names end after ${i} of ${count} mappings`);
      break;
    }
    files.push({ start: word(o), end: word(o + wordSize), fileOffset: word(o + 2 * wordSize) * pageSize, path: decoder.decode(desc.subarray(names, end)) });
    names = end + 1;
  }
  return { pageSize: Number(pageSize), files };
}
