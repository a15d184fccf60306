import { StructView } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { NOT_RAM, PAGE_CLASSES, type PageClass } from './page-class.js';

/**
 * The page classification of a modeled machine, stored in the dump itself as a secondary-data
 * (DumpBlob) record with GUID {@link PAGE_CLASS_GUID}, so every later step (convert, plan, crash,
 * live) reads it back from the file alone.
 *
 * Layout (little-endian), offsets from the start of the record's payload:
 *
 * | off  | size | field |
 * |------|------|-------|
 * | 0x00 | 4    | Magic `DKPC` |
 * | 0x04 | 2    | Version = 1 |
 * | 0x06 | 2    | HeaderSize = 0x40 |
 * | 0x08 | 4    | Encoding: 0 = one class byte per PFN follows the counts; 1 = counts only (small dumps) |
 * | 0x0C | 4    | PfnCount: PFNs described (highest RAM PFN + 1) |
 * | 0x10 | 4    | Seed of the model (0 for a classification derived from a real dump) |
 * | 0x14 | 1    | Profile: 0 none, 1 workstation, 2 server, 3 hyperv-host |
 * | 0x15 | 1    | Number of VMs |
 * | 0x16 | 2    | ClassCount: number of class codes defined when written (24 in version 1) |
 * | 0x18 | 8    | RAM bytes |
 * | 0x20 | 0x20 | reserved, zero |
 * | 0x40 | 4×ClassCount | page count per class code (u32) |
 * | …    | PfnCount | (encoding 0) class code per PFN: 0..ClassCount-1, or 0xFF for "not RAM" |
 *
 * Class codes and names are those of page-class.ts (`PAGE_CLASSES[code]`); codes are never renumbered.
 */
export const PAGE_CLASS_GUID = '5D1A6B0E-2C3F-4E57-9A8B-6D756D706B74';
const MAGIC = 0x4350_4b44; // 'DKPC'
const HEADER = 0x40;
/** 2^28 PFNs = 1 TiB of physical address space: the cap on what a blob may describe. */
export const MAX_BLOB_PFNS = 1 << 28;

export const PROFILE_CODES = ['none', 'workstation', 'server', 'hyperv-host'] as const;

export interface PageClassBlob {
  encoding: 'per-pfn' | 'counts';
  pfnCount: number;
  seed: number;
  profile: (typeof PROFILE_CODES)[number];
  vms: number;
  ramBytes: number;
  counts: Record<PageClass, number>;
  /** Present for per-pfn blobs: class code per PFN. */
  classes?: Uint8Array;
}

export function encodePageClassBlob(b: Omit<PageClassBlob, 'counts'> & { counts?: Record<PageClass, number> }): Uint8Array {
  const n = PAGE_CLASSES.length;
  const perPfn = b.encoding === 'per-pfn';
  if (perPfn && (!b.classes || b.classes.length !== b.pfnCount)) throw new RangeError('per-pfn page-class blob needs pfnCount class bytes');
  const counts = b.counts ?? countOf(b.classes!);
  const out = new Uint8Array(HEADER + 4 * n + (perPfn ? b.pfnCount : 0));
  const v = new DataView(out.buffer);
  v.setUint32(0, MAGIC, true);
  v.setUint16(4, 1, true);
  v.setUint16(6, HEADER, true);
  v.setUint32(8, perPfn ? 0 : 1, true);
  v.setUint32(0x0c, b.pfnCount, true);
  v.setUint32(0x10, b.seed >>> 0, true);
  v.setUint8(0x14, Math.max(0, PROFILE_CODES.indexOf(b.profile)));
  v.setUint8(0x15, b.vms);
  v.setUint16(0x16, n, true);
  v.setBigUint64(0x18, BigInt(b.ramBytes), true);
  PAGE_CLASSES.forEach((c, i) => v.setUint32(HEADER + 4 * i, counts[c] ?? 0, true));
  if (perPfn) out.set(b.classes!, HEADER + 4 * n);
  return out;
}

function countOf(classes: Uint8Array): Record<PageClass, number> {
  const counts = new Float64Array(256);
  for (let i = 0; i < classes.length; i++) counts[classes[i]!]!++;
  return Object.fromEntries(PAGE_CLASSES.map((c, i) => [c, counts[i]!])) as Record<PageClass, number>;
}

/**
 * Reads a page-class blob. `fileOffset` is where the payload sits in the dump (for messages).
 * Unknown class codes (a newer writer) are read as `unknown`, with a diagnostic.
 */
export function decodePageClassBlob(data: Uint8Array, fileOffset = 0, diag?: Diagnostics): PageClassBlob {
  const what = 'dumpkit page-class blob';
  const s = new StructView(data, fileOffset, what);
  if (data.length < HEADER || s.u32(0) !== MAGIC) {
    throw new DumpError('BAD_SIGNATURE', `${what}: no DKPC signature`, { offset: fileOffset, length: Math.min(4, data.length) });
  }
  if (s.u16(4) !== 1) throw new DumpError('BAD_VERSION', `${what}: version ${s.u16(4)} is not 1`, { offset: fileOffset + 4, length: 2 });
  const headerSize = s.u16(6);
  const encoding = s.u32(8);
  const pfnCount = s.u32(0x0c);
  const classCount = s.u16(0x16);
  if (headerSize < HEADER) throw new DumpError('BAD_SIZE', `${what}: header size ${headerSize} < 0x40`, { offset: fileOffset + 6, length: 2 });
  if (encoding > 1) throw new DumpError('UNSUPPORTED', `${what}: encoding ${encoding} unknown`, { offset: fileOffset + 8, length: 4 });
  if (pfnCount > MAX_BLOB_PFNS) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: ${pfnCount} PFNs exceeds the cap of ${MAX_BLOB_PFNS}`, { offset: fileOffset + 0x0c, length: 4 });
  }
  if (classCount === 0 || classCount > 254) throw new DumpError('BAD_SIZE', `${what}: class count ${classCount}`, { offset: fileOffset + 0x16, length: 2 });
  const need = headerSize + 4 * classCount + (encoding === 0 ? pfnCount : 0);
  if (data.length < need) {
    throw new DumpError('TRUNCATED', `${what}: needs ${need} bytes, record holds ${data.length}`, { offset: fileOffset, length: data.length });
  }
  const counts = Object.fromEntries(PAGE_CLASSES.map((c) => [c, 0])) as Record<PageClass, number>;
  for (let i = 0; i < classCount; i++) {
    const c = PAGE_CLASSES[i] ?? 'unknown';
    counts[c] += s.u32(headerSize + 4 * i);
  }
  let classes: Uint8Array | undefined;
  if (encoding === 0) {
    classes = data.slice(headerSize + 4 * classCount, need);
    let bad = 0;
    for (let i = 0; i < classes.length; i++) {
      const c = classes[i]!;
      if (c !== NOT_RAM && c >= PAGE_CLASSES.length) {
        classes[i] = 0;
        bad++;
      }
    }
    if (bad) diag?.add(`${what}: ${bad} PFNs carry class codes this version does not know; read as unknown`);
  }
  const profileCode = s.u8(0x14);
  return {
    encoding: encoding === 0 ? 'per-pfn' : 'counts',
    pfnCount,
    seed: s.u32(0x10),
    profile: PROFILE_CODES[profileCode] ?? 'none',
    vms: s.u8(0x15),
    ramBytes: s.u64n(0x18),
    counts,
    classes,
  };
}
