import type { ByteSource } from './bytes/byte-source.js';
import { DumpError } from './errors.js';

export type DumpFormat = 'minidump' | 'kernel32' | 'kernel64';

/** Identifies a dump by its first 8 bytes. */
export async function detectFormat(source: ByteSource): Promise<DumpFormat> {
  if (source.size < 8) {
    throw new DumpError('UNKNOWN_FORMAT', `${source.name} is ${source.size} bytes: too small to be a dump`, { offset: 0, length: source.size });
  }
  const head = await source.read(0, 8);
  const tag = String.fromCharCode(...head);
  if (tag.startsWith('MDMP')) return 'minidump';
  if (tag === 'PAGEDU64') return 'kernel64';
  if (tag === 'PAGEDUMP') return 'kernel32';
  const shown = Array.from(head, (b) => b.toString(16).padStart(2, '0')).join(' ');
  throw new DumpError('UNKNOWN_FORMAT', `${source.name} is not a minidump (MDMP) or kernel dump (PAGEDUMP/PAGEDU64): starts with ${shown}`, {
    offset: 0,
    length: 8,
  });
}
