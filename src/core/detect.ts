import type { ByteSource } from './bytes/byte-source.js';
import { DumpError } from './errors.js';

export type DumpFormat = 'minidump' | 'kernel32' | 'kernel64';
/** Every input dumpkit recognizes: dumps, ELF cores, and the compressed files systemd-coredump keeps cores in. */
export type InputFormat = DumpFormat | 'elfcore' | 'zstd' | 'lz4' | 'xz';

/** Identifies any input by its first bytes. */
export async function detectInputFormat(source: ByteSource): Promise<InputFormat> {
  if (source.size < 8) {
    throw new DumpError('UNKNOWN_FORMAT', `${source.name} is ${source.size} bytes: too small to be a dump`, { offset: 0, length: source.size });
  }
  const head = await source.read(0, Math.min(18, source.size));
  const tag = String.fromCharCode(...head.subarray(0, 8));
  if (tag.startsWith('MDMP')) return 'minidump';
  if (tag === 'PAGEDU64') return 'kernel64';
  if (tag === 'PAGEDUMP') return 'kernel32';
  const b = (...bytes: number[]): boolean => bytes.every((x, i) => head[i] === x);
  // e_ident "\x7fELF", little-endian, e_type ET_CORE (4)
  if (b(0x7f, 0x45, 0x4c, 0x46) && head[5] === 1 && head.length >= 18 && head[16] === 4 && head[17] === 0) return 'elfcore';
  if (b(0x28, 0xb5, 0x2f, 0xfd)) return 'zstd';
  if (b(0x04, 0x22, 0x4d, 0x18)) return 'lz4';
  if (b(0xfd, 0x37, 0x7a, 0x58, 0x5a, 0x00)) return 'xz';
  const shown = Array.from(head.subarray(0, 8), (x) => x.toString(16).padStart(2, '0')).join(' ');
  throw new DumpError('UNKNOWN_FORMAT', `${source.name} is not a minidump (MDMP), kernel dump (PAGEDUMP/PAGEDU64) or ELF core: starts with ${shown}`, {
    offset: 0,
    length: 8,
  });
}

/** Identifies a dump by its first 8 bytes; an ELF core or a compressed file is refused with what reads it. */
export async function detectFormat(source: ByteSource): Promise<DumpFormat> {
  const format = await detectInputFormat(source);
  if (format === 'elfcore' || format === 'zstd' || format === 'lz4' || format === 'xz') {
    const what = format === 'elfcore' ? 'an ELF core' : `${format}-compressed (a systemd-coredump core?)`;
    throw new DumpError('UNSUPPORTED', `${source.name} is ${what}: dumpkit info reads it, and dumpkit convert --to full|miniplus|mini makes a minidump of it for the other commands`, { offset: 0, length: 8 });
  }
  return format;
}
