/**
 * Secondary dump data ("DumpBlob" stream): 16-byte header then 0x20-byte-headed records with a
 * GUID tag, back to back to the end of the file. In triage dumps it starts at SizeOfDump; in
 * dumpkit's full/bitmap dumps, right after the last page. Notes: kernel-dump-format.md §4.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { readStruct } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { LIMITS } from './limits.js';

export const DUMP_BLOB_MAGIC = 'DumpBlob';
export const DUMP_BLOB_HEADER = { size: 0x10, Magic: 0x0, HeaderSize: 0x8, Tag: 0xc } as const;
export const DUMP_BLOB_RECORD = { size: 0x20, HeaderSize: 0x0, Guid: 0x4, DataSize: 0x14, PrePad: 0x18, PostPad: 0x1c } as const;

export interface SecondaryDataRecord {
  guid: string;
  /** File offset of the payload. */
  offset: number;
  size: number;
}

export interface SecondaryData {
  offset: number;
  tag: number;
  records: SecondaryDataRecord[];
}

function isBlobMagic(b: Uint8Array): boolean {
  for (let i = 0; i < 8; i++) if (b[i] !== DUMP_BLOB_MAGIC.charCodeAt(i)) return false;
  return true;
}

/** Reads the DumpBlob stream at `offset`, or returns undefined if no `DumpBlob` magic is there. */
export async function readSecondaryData(source: ByteSource, offset: number, diag: Diagnostics): Promise<SecondaryData | undefined> {
  if (offset + DUMP_BLOB_HEADER.size > source.size) return undefined;
  const h = await readStruct(source, offset, DUMP_BLOB_HEADER.size, 'DumpBlob header');
  if (!isBlobMagic(h.bytes)) return undefined;
  const headerSize = h.u32(DUMP_BLOB_HEADER.HeaderSize);
  if (headerSize < DUMP_BLOB_HEADER.size || offset + headerSize > source.size) {
    throw new DumpError('BAD_SIZE', `DumpBlob HeaderSize ${hex(headerSize)} is invalid`, { offset: offset + 8, length: 4 });
  }
  const records: SecondaryDataRecord[] = [];
  let at = offset + headerSize;
  while (at + DUMP_BLOB_RECORD.size <= source.size) {
    if (records.length >= LIMITS.maxSecondaryRecords) {
      diag.add(`DumpBlob: more than ${LIMITS.maxSecondaryRecords} records; the rest are ignored`);
      break;
    }
    const r = await readStruct(source, at, DUMP_BLOB_RECORD.size, 'DumpBlob record');
    const hs = r.u32(DUMP_BLOB_RECORD.HeaderSize);
    const size = r.u32(DUMP_BLOB_RECORD.DataSize);
    const pre = r.u32(DUMP_BLOB_RECORD.PrePad);
    const post = r.u32(DUMP_BLOB_RECORD.PostPad);
    if (hs < DUMP_BLOB_RECORD.size) {
      diag.add(`DumpBlob record at ${hex(at)} has HeaderSize ${hex(hs)}; stopping`);
      break;
    }
    const payload = at + hs + pre;
    const next = payload + size + post;
    if (next > source.size) {
      diag.add(`DumpBlob record at ${hex(at)} (${size} bytes) runs past the end of the file; stopping`);
      break;
    }
    records.push({ guid: r.guid(DUMP_BLOB_RECORD.Guid), offset: payload, size });
    at = next;
  }
  if (at !== source.size) diag.add(`DumpBlob records end at ${hex(at)}, file ends at ${hex(source.size)}`);
  return { offset, tag: h.u32(DUMP_BLOB_HEADER.Tag), records };
}

/** `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX` to the 16 bytes of a Windows GUID. */
export function guidBytes(guid: string): Uint8Array {
  const m = /^([0-9a-f]{8})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{4})-([0-9a-f]{12})$/i.exec(guid.trim());
  if (!m) throw new DumpError('INVALID_ARGUMENT', `not a GUID: ${JSON.stringify(guid)}`);
  const b = new Uint8Array(16);
  const v = new DataView(b.buffer);
  v.setUint32(0, parseInt(m[1]!, 16), true);
  v.setUint16(4, parseInt(m[2]!, 16), true);
  v.setUint16(6, parseInt(m[3]!, 16), true);
  const tail = m[4]! + m[5]!;
  for (let i = 0; i < 8; i++) b[8 + i] = parseInt(tail.slice(2 * i, 2 * i + 2), 16);
  return b;
}

/** Serialises a DumpBlob stream: header, then one record per blob (payload padded to 8). */
export function encodeSecondaryData(blobs: readonly { guid: string; data: Uint8Array }[], buildNumber: number): Uint8Array {
  let total = DUMP_BLOB_HEADER.size;
  for (const b of blobs) total += DUMP_BLOB_RECORD.size + ((b.data.length + 7) & ~7);
  const out = new Uint8Array(total);
  const v = new DataView(out.buffer);
  for (let i = 0; i < 8; i++) out[i] = DUMP_BLOB_MAGIC.charCodeAt(i);
  v.setUint32(DUMP_BLOB_HEADER.HeaderSize, DUMP_BLOB_HEADER.size, true);
  v.setUint32(DUMP_BLOB_HEADER.Tag, (0xf0000000 | (buildNumber & 0xffff)) >>> 0, true);
  let at = DUMP_BLOB_HEADER.size;
  for (const b of blobs) {
    const post = ((b.data.length + 7) & ~7) - b.data.length;
    v.setUint32(at + DUMP_BLOB_RECORD.HeaderSize, DUMP_BLOB_RECORD.size, true);
    out.set(guidBytes(b.guid), at + DUMP_BLOB_RECORD.Guid);
    v.setUint32(at + DUMP_BLOB_RECORD.DataSize, b.data.length, true);
    v.setUint32(at + DUMP_BLOB_RECORD.PrePad, 0, true);
    v.setUint32(at + DUMP_BLOB_RECORD.PostPad, post, true);
    out.set(b.data, at + DUMP_BLOB_RECORD.size);
    at += DUMP_BLOB_RECORD.size + b.data.length + post;
  }
  return out;
}
