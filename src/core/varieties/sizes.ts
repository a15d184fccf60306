/**
 * File sizes of kernel dumps, from the layouts of kernel-dump-format.md §2 and §4 as the kernel
 * writer lays them out: a 0x2000-byte header; type 1 pages straight after it; types 5/6 a 0x38-byte
 * bitmap sub-header, one bit per PFN (bit count rounded up to 64), page data from the next
 * 0x1000 boundary; then the DumpBlob stream (16-byte header, 0x20-byte record headers, payloads
 * padded to 8 bytes).
 */
export const HEADER64 = 0x2000;
export const BITMAP_SUBHEADER = 0x38;

export function alignUp(n: number, a: number): number {
  return Math.ceil(n / a) * a;
}

/** Bits in the bitmap of a dump covering PFNs [0, pfnCount). */
export function bitmapBits(pfnCount: number): number {
  return alignUp(pfnCount, 64);
}

/** Bytes of a DumpBlob stream holding records with these payload sizes (0 when there are none). */
export function secondaryDataBytes(payloadSizes: readonly number[]): number {
  if (payloadSizes.length === 0) return 0;
  return 16 + payloadSizes.reduce((s, n) => s + 0x20 + alignUp(n, 8), 0);
}

/** Offset of the first page of a bitmap dump. */
export function bitmapFirstPage(bits: number): number {
  return alignUp(HEADER64 + BITMAP_SUBHEADER + bits / 8, 0x1000);
}

/** Bytes of a type 1, 5 or 6 dump with `pages` pages stored. */
export function pageDumpBytes(dumpType: 1 | 5 | 6, pages: number, pfnCount: number, secondaryBytes: number): number {
  const first = dumpType === 1 ? HEADER64 : bitmapFirstPage(bitmapBits(pfnCount));
  return first + pages * 0x1000 + secondaryBytes;
}
