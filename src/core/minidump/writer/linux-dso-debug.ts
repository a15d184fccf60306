import type { DsoDebug } from '../../linux/dso-debug.js';
import { StructBuilder } from './encode.js';

/**
 * Breakpad's LinuxDsoDebug stream (minidump_format.h). Breakpad declares the structures without
 * packing, so the 64-bit ones carry C alignment padding, as every 64-bit Breakpad dump shows:
 *
 *   MDRawDebug64   (40): u32 version @0, MDRVA map @4, u32 dso_count @8, 4 bytes padding,
 *                        u64 brk @16, u64 ldbase @24, u64 dynamic @32
 *   MDRawLinkMap64 (24): u64 addr @0, MDRVA name @8, 4 bytes padding, u64 ld @16
 *   MDRawDebug32   (24): u32 version, map, dso_count, brk, ldbase, dynamic
 *   MDRawLinkMap32 (12): u32 addr, MDRVA name, u32 ld
 *
 * The stream is the MDRawDebug followed by the bytes of the executable's dynamic section; `map`
 * points at the MDRawLinkMap array, each `name` at a MINIDUMP_STRING.
 */
export const MDRAW_DEBUG_SIZE = { 4: 24, 8: 40 } as const;
export const MDRAW_LINK_MAP_SIZE = { 4: 12, 8: 24 } as const;

/** A link_map entry with its name already placed. */
export interface LinkMapPlacement {
  addr: bigint;
  nameRva: number;
  ld: bigint;
}

/** MDRawLinkMap32/64[entries.length]. */
export function encodeLinkMap(entries: LinkMapPlacement[], wordSize: 4 | 8): Uint8Array {
  const size = MDRAW_LINK_MAP_SIZE[wordSize];
  const b = new StructBuilder(entries.length * size);
  entries.forEach((e, i) => {
    const o = i * size;
    if (wordSize === 8) b.u64(o, e.addr).u32(o + 8, e.nameRva).u64(o + 16, e.ld);
    else b.u32(o, word32(e.addr)).u32(o + 4, e.nameRva).u32(o + 8, word32(e.ld));
  });
  return b.bytes;
}

/** The stream: MDRawDebug32/64 with `map` at `mapRva`, then the dynamic section bytes. */
export function encodeDsoDebug(debug: DsoDebug, mapRva: number, wordSize: 4 | 8): Uint8Array {
  const header = MDRAW_DEBUG_SIZE[wordSize];
  const b = new StructBuilder(header + debug.dynamicSection.length);
  b.u32(0, debug.version).u32(4, mapRva).u32(8, debug.linkMap.length);
  if (wordSize === 8) b.u64(16, debug.brk).u64(24, debug.ldbase).u64(32, debug.dynamic);
  else b.u32(12, word32(debug.brk)).u32(16, word32(debug.ldbase)).u32(20, word32(debug.dynamic));
  return b.set(header, debug.dynamicSection).bytes;
}

function word32(v: bigint): number {
  return Number(BigInt.asUintN(32, v));
}
