/**
 * The physical address space of a kernel dump: which PFNs the file holds and where.
 * - runs (DumpType 1, RDMP 8/9/10): pages packed in run order; lookup by binary search over the
 *   runs (≤ 43 in a type-1 header, capped for RDMP).
 * - bitmap (DumpType 5/6 and legacy 2): one bit per PFN; lookup is O(1) through a rank table
 *   (set bits before each 32-bit word, a Uint32Array built once when the dump is opened).
 * Notes: kernel-dump-format.md §2.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { readStruct } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { PAGE_SIZE, type KernelDumpHeader } from './header.js';
import { LIMITS, readPieces } from './limits.js';

export const BITMAP_SDMP = 0x504d4453;
export const BITMAP_FDMP = 0x504d4446;
export const RDMP_SIGNATURE = 0x504d4452;
/** Sub-header that precedes the bitmap of a DumpType 5/6 dump (at 0x2000 / 0x1000). */
export const BMP_DUMP_HEADER = {
  Signature: 0x0,
  ValidDump: 0x4,
  DumpOptions: 0x8,
  FirstPage: 0x20,
  TotalPresentPages: 0x28,
  Pages: 0x30,
  Bitmap: 0x38,
} as const;

export interface PageRun {
  firstPfn: number;
  count: number;
  /** File offset of the first page of the run. */
  fileOffset: number;
}

export function popcount32(x: number): number {
  x = x - ((x >>> 1) & 0x55555555);
  x = (x & 0x33333333) + ((x >>> 2) & 0x33333333);
  x = (x + (x >>> 4)) & 0x0f0f0f0f;
  return Math.imul(x, 0x01010101) >>> 24;
}

/** Where each present PFN is in the file. */
export interface PageIndex {
  readonly kind: 'runs' | 'bitmap';
  /** Pages stored in the file. */
  readonly presentPages: number;
  /** Highest PFN the layout can describe + 1. */
  readonly pfnLimit: number;
  /** File offset of the page, or -1 when the dump does not hold it. */
  pageOffset(pfn: number): number;
  /** Present pages as maximal runs of consecutive PFNs, ascending. */
  runs(): Iterable<PageRun>;
}

export class RunIndex implements PageIndex {
  readonly kind = 'runs';
  readonly presentPages: number;
  readonly pfnLimit: number;
  private readonly base: Float64Array;
  private readonly count: Float64Array;
  private readonly offset: Float64Array;

  constructor(runs: PageRun[]) {
    const sorted = runs.filter((r) => r.count > 0).sort((a, b) => a.firstPfn - b.firstPfn);
    this.base = Float64Array.from(sorted, (r) => r.firstPfn);
    this.count = Float64Array.from(sorted, (r) => r.count);
    this.offset = Float64Array.from(sorted, (r) => r.fileOffset);
    this.presentPages = sorted.reduce((s, r) => s + r.count, 0);
    const last = sorted[sorted.length - 1];
    this.pfnLimit = last ? last.firstPfn + last.count : 0;
  }

  pageOffset(pfn: number): number {
    let lo = 0;
    let hi = this.base.length - 1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const b = this.base[mid]!;
      if (pfn < b) hi = mid - 1;
      else if (pfn >= b + this.count[mid]!) lo = mid + 1;
      else return this.offset[mid]! + (pfn - b) * PAGE_SIZE;
    }
    return -1;
  }

  *runs(): Iterable<PageRun> {
    // merge runs that are adjacent both in PFN and in the file
    let cur: PageRun | undefined;
    for (let i = 0; i < this.base.length; i++) {
      const r = { firstPfn: this.base[i]!, count: this.count[i]!, fileOffset: this.offset[i]! };
      if (cur && cur.firstPfn + cur.count === r.firstPfn && cur.fileOffset + cur.count * PAGE_SIZE === r.fileOffset) cur.count += r.count;
      else {
        if (cur) yield cur;
        cur = r;
      }
    }
    if (cur) yield cur;
  }
}

export class BitmapIndex implements PageIndex {
  readonly kind = 'bitmap';
  readonly presentPages: number;
  readonly pfnLimit: number;
  private readonly words: Uint32Array;
  private readonly rank: Uint32Array;

  /** `bitmap` holds at least ceil(bitCount / 8) bytes; bits past bitCount are ignored. */
  constructor(bitmap: Uint8Array, bitCount: number, readonly firstPage: number) {
    const nWords = Math.ceil(bitCount / 32);
    const words = new Uint32Array(nWords);
    new Uint8Array(words.buffer).set(bitmap.subarray(0, Math.min(bitmap.length, nWords * 4)));
    if (bitCount % 32 !== 0 && nWords > 0) words[nWords - 1]! &= (1 << bitCount % 32) - 1 >>> 0;
    const rank = new Uint32Array(nWords + 1);
    let total = 0;
    for (let i = 0; i < nWords; i++) {
      rank[i] = total;
      const w = words[i]!;
      if (w !== 0) total += popcount32(w);
    }
    rank[nWords] = total;
    this.words = words;
    this.rank = rank;
    this.presentPages = total;
    this.pfnLimit = bitCount;
  }

  /** Index of the page among the stored pages (rank), or -1. */
  pageNumber(pfn: number): number {
    if (pfn < 0 || pfn >= this.pfnLimit) return -1;
    const wi = pfn >>> 5;
    const w = this.words[wi]!;
    const bit = pfn & 31;
    if (((w >>> bit) & 1) === 0) return -1;
    return this.rank[wi]! + (bit === 0 ? 0 : popcount32(w & ((1 << bit) - 1 >>> 0)));
  }

  pageOffset(pfn: number): number {
    const n = this.pageNumber(pfn);
    return n < 0 ? -1 : this.firstPage + n * PAGE_SIZE;
  }

  *runs(): Iterable<PageRun> {
    const words = this.words;
    let start = -1;
    for (let wi = 0; wi < words.length; wi++) {
      const w = words[wi]!;
      if (w === 0xffffffff && start >= 0) continue;
      if (w === 0 && start < 0) continue;
      for (let bit = 0; bit < 32; bit++) {
        const set = ((w >>> bit) & 1) === 1;
        const pfn = wi * 32 + bit;
        if (set && start < 0) start = pfn;
        else if (!set && start >= 0) {
          yield { firstPfn: start, count: pfn - start, fileOffset: this.firstPage + this.rank[start >>> 5]! * PAGE_SIZE + popBefore(words, start) * PAGE_SIZE };
          start = -1;
        }
      }
    }
    if (start >= 0) {
      yield { firstPfn: start, count: this.pfnLimit - start, fileOffset: this.firstPage + (this.rank[start >>> 5]! + popBefore(words, start)) * PAGE_SIZE };
    }
  }
}

function popBefore(words: Uint32Array, pfn: number): number {
  const bit = pfn & 31;
  return bit === 0 ? 0 : popcount32(words[pfn >>> 5]! & ((1 << bit) - 1 >>> 0));
}

export interface PhysicalLayoutInfo {
  index: PageIndex;
  /** End of the page data in the file (secondary data may follow). */
  dataEnd: number;
  /** Bitmap signature (SDMP/FDMP) for bitmap dumps. */
  bitmapSignature?: 'SDMP' | 'FDMP';
}

/** Builds the page index for a dump type that stores physical memory; undefined for 3/4. */
export async function buildPageIndex(source: ByteSource, header: KernelDumpHeader, diag: Diagnostics): Promise<PhysicalLayoutInfo | undefined> {
  const t = header.dumpType;
  const H = header.headerSize;
  if (t === 1) return runLayout(source, header, diag);
  if (t === 5 || t === 6) return bitmapLayout(source, header, diag);
  if (t === 2) return summaryLayout(source, header, diag);
  if (t === 8 || t === 9 || t === 10) return rdmpLayout(source, header, diag);
  if (t === 3 || t === 4) return undefined;
  throw new DumpError('UNSUPPORTED', `DumpType ${t} is not a known kernel dump layout`, { offset: H === 0x2000 ? 0xf98 : 0xf88, length: 4 });
}

/** A physical read must lie below 2^52 (the architectural limit): beyond is no address at all. */
function checkPhysicalRange(pa: bigint, length: number): void {
  const max = BigInt(LIMITS.maxPhysicalAddress);
  if (pa < 0n || pa >= max || (Number.isSafeInteger(length) && pa + BigInt(Math.max(length, 0)) > max)) {
    throw new DumpError('INVALID_ARGUMENT', `physical address ${hex(pa)} (+${length} bytes) is beyond the 52-bit physical address space`);
  }
}

function checkPagesInFile(source: ByteSource, firstPage: number, pages: number, what: string, diag: Diagnostics): void {
  const need = firstPage + pages * PAGE_SIZE;
  if (need > source.size) {
    const have = Math.max(0, Math.floor((source.size - firstPage) / PAGE_SIZE));
    diag.add(`${what}: the file ends at ${hex(source.size)} but ${pages} pages from ${hex(firstPage)} need ${hex(need)}; only ${have} pages are readable (truncated dump)`);
  }
}

function runLayout(source: ByteSource, header: KernelDumpHeader, diag: Diagnostics): PhysicalLayoutInfo {
  const pmb = header.physicalMemoryBlock;
  const off = header.is64 ? 0x88 : 0x64;
  if (!pmb) throw new DumpError('BAD_SIZE', `DumpType 1 but PhysicalMemoryBlock is not set (PAGE filler)`, { offset: off, length: 16 });
  let fileOffset = header.headerSize;
  const runs: PageRun[] = [];
  let total = 0;
  let prevEnd = -1;
  for (const r of pmb.runs) {
    if (r.pageCount > LIMITS.maxPhysicalPages || r.basePage > LIMITS.maxPhysicalPages) {
      throw new DumpError('COUNT_TOO_LARGE', `physical memory run ${hex(r.basePage)}+${hex(r.pageCount)} pages exceeds the ${hex(LIMITS.maxPhysicalPages)}-page limit`, { offset: off, length: 16 });
    }
    if (r.basePage < prevEnd) diag.add(`physical memory run at PFN ${hex(r.basePage)} overlaps or is out of order; later copies of a PFN are ignored`);
    prevEnd = Math.max(prevEnd, r.basePage + r.pageCount);
    runs.push({ firstPfn: r.basePage, count: r.pageCount, fileOffset });
    fileOffset += r.pageCount * PAGE_SIZE;
    total += r.pageCount;
    if (total > LIMITS.maxPhysicalPages) {
      throw new DumpError('COUNT_TOO_LARGE', `physical memory runs add up to more than ${hex(LIMITS.maxPhysicalPages)} pages`, { offset: off, length: 16 });
    }
  }
  if (BigInt(total) !== pmb.numberOfPages) diag.add(`PhysicalMemoryBlock.NumberOfPages is ${pmb.numberOfPages} but the runs add up to ${total}`);
  checkPagesInFile(source, header.headerSize, total, 'physical memory runs', diag);
  // Overlapping runs: keep the first (binary search needs disjoint runs)
  const disjoint: PageRun[] = [];
  let end = -1;
  for (const r of [...runs].sort((a, b) => a.firstPfn - b.firstPfn)) {
    if (r.firstPfn >= end) {
      disjoint.push(r);
      end = r.firstPfn + r.count;
    } else if (r.firstPfn + r.count > end) {
      const skip = end - r.firstPfn;
      disjoint.push({ firstPfn: end, count: r.count - skip, fileOffset: r.fileOffset + skip * PAGE_SIZE });
      end = r.firstPfn + r.count;
    }
  }
  return { index: new RunIndex(disjoint), dataEnd: header.headerSize + total * PAGE_SIZE };
}

async function bitmapLayout(source: ByteSource, header: KernelDumpHeader, diag: Diagnostics): Promise<PhysicalLayoutInfo> {
  const at = header.headerSize;
  const v = await readStruct(source, at, 0x38, 'BMP_DUMP_HEADER');
  const sig = v.u32(0);
  if (sig !== BITMAP_SDMP && sig !== BITMAP_FDMP) {
    throw new DumpError('BAD_SIGNATURE', `bitmap header signature is 0x${sig.toString(16)}, not SDMP or FDMP`, { offset: at, length: 4 });
  }
  if (v.u32(4) !== 0x504d5544) diag.add(`bitmap header ValidDump at ${hex(at + 4)} is not DUMP`);
  const firstPage = v.u64n(BMP_DUMP_HEADER.FirstPage);
  if (firstPage >= LIMITS.maxFileOffset) {
    throw new DumpError('OUT_OF_BOUNDS', `bitmap FirstPage ${hex(firstPage)} is not a file offset (at or above 2^52)`, { offset: at + BMP_DUMP_HEADER.FirstPage, length: 8 });
  }
  const declared = v.u64n(BMP_DUMP_HEADER.TotalPresentPages);
  const bits = v.u64n(BMP_DUMP_HEADER.Pages);
  if (bits > LIMITS.maxPhysicalPages) {
    throw new DumpError('COUNT_TOO_LARGE', `bitmap covers ${bits} pages; the limit is ${LIMITS.maxPhysicalPages}`, { offset: at + 0x30, length: 8 });
  }
  const bytes = Math.ceil(bits / 8);
  const bitmapAt = at + BMP_DUMP_HEADER.Bitmap;
  if (bitmapAt + bytes > source.size) {
    throw new DumpError('TRUNCATED', `bitmap of ${bits} bits (${bytes} bytes at ${hex(bitmapAt)}) runs past the end of the file`, { offset: bitmapAt, length: bytes });
  }
  if (firstPage < bitmapAt + bytes) {
    throw new DumpError('OVERLAP', `bitmap FirstPage ${hex(firstPage)} lies inside the bitmap (which ends at ${hex(bitmapAt + bytes)})`, { offset: at + 0x20, length: 8 });
  }
  if (firstPage % PAGE_SIZE !== 0) diag.add(`bitmap FirstPage ${hex(firstPage)} is not page aligned (Windows does this; some readers such as LeechCore refuse it)`);
  const bitmap = await source.read(bitmapAt, bytes);
  const index = new BitmapIndex(bitmap, bits, firstPage);
  if (index.presentPages !== declared) {
    diag.add(`bitmap TotalPresentPages is ${declared} but ${index.presentPages} bits are set; using the bits`);
  }
  checkPagesInFile(source, firstPage, index.presentPages, 'bitmap page data', diag);
  return { index, dataEnd: firstPage + index.presentPages * PAGE_SIZE, bitmapSignature: sig === BITMAP_SDMP ? 'SDMP' : 'FDMP' };
}

/** Legacy DumpType 2 SUMMARY_DUMP (one third-party source; notes §2.3). */
async function summaryLayout(source: ByteSource, header: KernelDumpHeader, diag: Diagnostics): Promise<PhysicalLayoutInfo> {
  const at = header.headerSize;
  const bitsAt = header.is64 ? 0x28 : 0x20;
  const v = await readStruct(source, at, bitsAt, 'SUMMARY_DUMP');
  if (v.u32(0) !== BITMAP_SDMP) throw new DumpError('BAD_SIGNATURE', `SUMMARY_DUMP signature is not SDMP`, { offset: at, length: 4 });
  const firstPage = v.u32(0x0c);
  const bits = v.u32(0x10);
  const declared = v.u32(0x14);
  const bytes = Math.ceil(bits / 8);
  if (at + bitsAt + bytes > source.size || firstPage < at + bitsAt + bytes || firstPage > source.size) {
    throw new DumpError('BAD_SIZE', `SUMMARY_DUMP HeaderSize ${hex(firstPage)} / BitmapSize ${bits} do not fit the file`, { offset: at + 0x0c, length: 8 });
  }
  const index = new BitmapIndex(await source.read(at + bitsAt, bytes), bits, firstPage);
  if (index.presentPages !== declared) diag.add(`SUMMARY_DUMP Pages is ${declared} but ${index.presentPages} bits are set`);
  diag.add('DumpType 2 (legacy summary dump) layout comes from a single third-party source and is not verified');
  checkPagesInFile(source, firstPage, index.presentPages, 'summary page data', diag);
  return { index, dataEnd: firstPage + index.presentPages * PAGE_SIZE };
}

/** DumpTypes 8/9/10: RDMP header + PFN ranges (kdmp-parser; notes §2.4). */
async function rdmpLayout(source: ByteSource, header: KernelDumpHeader, diag: Diagnostics): Promise<PhysicalLayoutInfo> {
  const at = header.headerSize;
  const v = await readStruct(source, at, 0x30, 'RDMP header');
  if (v.u32(0) !== 0x40) diag.add(`RDMP marker at ${hex(at)} is ${hex(v.u32(0))}, not 0x40`);
  if (v.u32(4) !== RDMP_SIGNATURE) throw new DumpError('BAD_SIGNATURE', `RDMP signature missing`, { offset: at + 4, length: 4 });
  const metadataSize = v.u64n(0x10);
  const firstPage = v.u64n(0x18);
  if (firstPage >= LIMITS.maxFileOffset) {
    throw new DumpError('OUT_OF_BOUNDS', `RDMP FirstPage ${hex(firstPage)} is not a file offset (at or above 2^52)`, { offset: at + 0x18, length: 8 });
  }
  if (metadataSize > LIMITS.maxRdmpRanges * 16 + 0x20 || at + 0x30 + metadataSize > source.size) {
    throw new DumpError('COUNT_TOO_LARGE', `RDMP MetadataSize ${hex(metadataSize)} is too large`, { offset: at + 0x10, length: 8 });
  }
  const full = header.dumpType === 10;
  const totalPages = full ? v.u64n(0x28) : Infinity;
  const nRanges = full ? v.u32(0x20) : Math.floor(metadataSize / 16);
  if (nRanges > LIMITS.maxRdmpRanges) throw new DumpError('COUNT_TOO_LARGE', `RDMP has ${nRanges} ranges; the limit is ${LIMITS.maxRdmpRanges}`, { offset: at + 0x20, length: 4 });
  const table = await readStruct(source, at + 0x30, Math.min(nRanges * 16, source.size - at - 0x30), 'RDMP ranges');
  const runs: PageRun[] = [];
  let fileOffset = firstPage;
  let total = 0;
  for (let i = 0; i < nRanges && (i + 1) * 16 <= table.length; i++) {
    const pfn = table.u64n(i * 16);
    const count = table.u64n(i * 16 + 8);
    if (pfn === 0 && !full) break;
    if (count > LIMITS.maxPhysicalPages) throw new DumpError('COUNT_TOO_LARGE', `RDMP range ${i} has ${count} pages`, { offset: at + 0x30 + i * 16, length: 16 });
    if (pfn > LIMITS.maxPhysicalPages) {
      throw new DumpError('COUNT_TOO_LARGE', `RDMP range ${i} starts at PFN ${hex(pfn)}, beyond the ${hex(LIMITS.maxPhysicalPages)}-page limit`, { offset: at + 0x30 + i * 16, length: 8 });
    }
    runs.push({ firstPfn: pfn, count, fileOffset });
    fileOffset += count * PAGE_SIZE;
    total += count;
    if (total > LIMITS.maxPhysicalPages) throw new DumpError('COUNT_TOO_LARGE', `RDMP ranges add up to more than ${hex(LIMITS.maxPhysicalPages)} pages`, { offset: at + 0x30 + i * 16, length: 16 });
    if (total >= totalPages) break;
  }
  diag.add(`DumpType ${header.dumpType} (RDMP) layout comes from kdmp-parser only and is not verified on real files here`);
  checkPagesInFile(source, firstPage, total, 'RDMP page data', diag);
  return { index: new RunIndex(runs), dataEnd: fileOffset };
}

/** Physical memory reads over a page index. */
export class PhysicalMemory {
  constructor(
    private readonly source: ByteSource,
    readonly index: PageIndex,
  ) {}

  get presentPages(): number {
    return this.index.presentPages;
  }
  hasPage(pfn: number): boolean {
    return this.index.pageOffset(pfn) >= 0;
  }
  /** Present PFNs, ascending. */
  *pfns(): Iterable<number> {
    for (const r of this.index.runs()) for (let i = 0; i < r.count; i++) yield r.firstPfn + i;
  }
  runs(): Iterable<PageRun> {
    return this.index.runs();
  }

  private missing(pfn: number): DumpError {
    return new DumpError('ADDRESS_NOT_IN_DUMP', `physical page ${hex(pfn * PAGE_SIZE)} (PFN ${hex(pfn)}) is not in the dump`);
  }

  private fileOffsetOf(pfn: number): number {
    const off = this.index.pageOffset(pfn);
    if (off < 0) throw this.missing(pfn);
    if (off + PAGE_SIZE > this.source.size) {
      throw new DumpError('ADDRESS_NOT_IN_DUMP', `physical page PFN ${hex(pfn)} would be at ${hex(off)}, past the end of the truncated file`);
    }
    return off;
  }

  /** Synchronous page read when the source supports it (FileSource, MemorySource). */
  readPageSync(pfn: number): Uint8Array {
    const off = this.fileOffsetOf(pfn);
    if (!this.source.readSync) throw new DumpError('UNSUPPORTED', `${this.source.name} has no synchronous reads`);
    return this.source.readSync(off, PAGE_SIZE);
  }

  /** Fills `into` (4096 bytes) with a page without allocating, when the source allows it. */
  readPageInto(pfn: number, into: Uint8Array): void {
    const off = this.fileOffsetOf(pfn);
    if (this.source.readSyncInto) this.source.readSyncInto(off, into.subarray(0, PAGE_SIZE));
    else into.set(this.readPageSync(pfn));
  }

  get canReadSync(): boolean {
    return typeof this.source.readSync === 'function';
  }

  /** The 4096 bytes of a page; ADDRESS_NOT_IN_DUMP when absent. */
  readPage(pfn: number): Promise<Uint8Array> {
    try {
      const off = this.fileOffsetOf(pfn);
      return this.source.readSync ? Promise.resolve(this.source.readSync(off, PAGE_SIZE)) : this.source.read(off, PAGE_SIZE);
    } catch (e) {
      return Promise.reject(e);
    }
  }

  /**
   * `length` bytes at physical address `pa`, across pages. With `ignoreMissing`, pages the
   * dump lacks read as zeros (like WinDbg's .ignore_missing_pages).
   */
  async read(pa: bigint, length: number, options: { ignoreMissing?: boolean } = {}): Promise<Uint8Array> {
    checkPhysicalRange(pa, length);
    return readPieces(pa, length, async (a, into) => {
      const pfn = Number(a >> 12n);
      const inPage = Number(a & 0xfffn);
      const n = Math.min(PAGE_SIZE - inPage, into.length);
      try {
        into.set((await this.readPage(pfn)).subarray(inPage, inPage + n));
      } catch (e) {
        // absent, or past the end of a truncated file
        if (!(options.ignoreMissing && e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP')) throw e;
      }
      return n;
    });
  }
}
