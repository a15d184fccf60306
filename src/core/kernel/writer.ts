/**
 * Kernel dump writer: DumpType 1 (physical memory runs), 5 and 6 (bitmap), 4 (triage), with
 * optional DumpBlob secondary data. Streams pages from any physical source in batches of
 * consecutive PFNs (≥ 1 MiB per sink write), so multi-GB dumps are never held in memory.
 * Follows the writer checklist of kernel-dump-format.md §9; mirrors header.ts / physical.ts.
 */
import type { ByteSink } from '../bytes/byte-sink.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { AMD64_CONTEXT, checkAmd64Context } from './context.js';
import {
  DUMP_HEADER64,
  EXCEPTION_RECORD64,
  filledHeader,
  IMAGE_FILE_MACHINE_AMD64,
  MAX_WRITTEN_RUNS64,
  PAGE_SIZE,
  SIG_PAGE,
  VALID_DU64,
} from './header.js';
import { BITMAP_FDMP, BITMAP_SDMP, BMP_DUMP_HEADER } from './physical.js';
import { LIMITS } from './limits.js';
import { encodeSecondaryData } from './secondary-data.js';
import { writeTriageBody, type TriageDumpSpec } from './triage-writer.js';

export type { TriageDumpSpec } from './triage-writer.js';

/** What to put in a type 1/5/6 dump. */
export interface PhysicalPages {
  /** Number of pages to write. */
  readonly pageCount: number;
  /** Ascending PFNs, pageCount of them. */
  pfns(): Iterable<number>;
  /** Fill 4096 bytes with the page's contents. */
  readPage(pfn: number, into: Uint8Array): void | Promise<void>;
  /** Optional fast path for a contiguous run: fill count × 4096 bytes. */
  readPages?(firstPfn: number, count: number, into: Uint8Array): void | Promise<void>;
}

export interface KernelDumpSpec {
  machine: 'amd64';
  dumpType: 1 | 4 | 5 | 6;
  /** MinorVersion, e.g. 19041. */
  buildNumber: number;
  directoryTableBase: bigint;
  pfnDataBase: bigint;
  psLoadedModuleList: bigint;
  psActiveProcessHead: bigint;
  kdDebuggerDataBlock: bigint;
  numberProcessors: number;
  bugCheck: { code: number; parameters: [bigint, bigint, bigint, bigint] };
  /** A full AMD64 CONTEXT (0x4D0 bytes), MxCsr equal to FltSave.MxCsr (see makeAmd64Context). */
  context: Uint8Array;
  /** EXCEPTION_RECORD64 bytes (0x98); default: breakpoint 0x80000003 at the context's Rip. */
  exception?: Uint8Array;
  /** FILETIME (UTC) and uptime in 100 ns units. */
  systemTime: bigint;
  systemUpTime: bigint;
  productType?: number;
  suiteMask?: number;
  /** DUMP_FILE_ATTRIBUTES (0x10 = LiveDumpGeneratedDump); left as `PAGE` filler when absent. */
  attributes?: number;
  comment?: string;
  /** RAM layout for type 1 (more than 42 runs are merged, holes zero-filled; see MAX_WRITTEN_RUNS64). Default: the present runs. */
  physicalMemoryRuns?: { basePage: number; pageCount: number }[];
  /** For 5/6: highest PFN the bitmap must cover (bit count = highestPfn + 1 rounded up to 64). */
  highestPfn?: number;
  pages?: PhysicalPages;
  triage?: TriageDumpSpec;
  secondaryData?: { guid: string; data: Uint8Array }[];
  bitmapSignature?: 'SDMP' | 'FDMP';
}

export interface WriteResult {
  bytes: number;
  pages: number;
}

/** Pages per sink write: 4 MiB. */
const BATCH_PAGES = 1024;

interface Run {
  firstPfn: number;
  count: number;
}

/** Present PFNs as ascending runs; checks order and count. */
function collectRuns(pages: PhysicalPages): Run[] {
  const runs: Run[] = [];
  let n = 0;
  let prev = -1;
  let cur: Run | undefined;
  for (const pfn of pages.pfns()) {
    if (!Number.isSafeInteger(pfn) || pfn <= prev || pfn >= LIMITS.maxPhysicalPages) {
      throw new DumpError('INVALID_ARGUMENT', `PhysicalPages.pfns() must be ascending PFNs below ${hex(LIMITS.maxPhysicalPages)}; got ${pfn} after ${prev}`);
    }
    if (cur && cur.firstPfn + cur.count === pfn) cur.count++;
    else runs.push((cur = { firstPfn: pfn, count: 1 }));
    prev = pfn;
    n++;
  }
  if (n !== pages.pageCount) throw new DumpError('INVALID_ARGUMENT', `PhysicalPages.pageCount is ${pages.pageCount} but pfns() gave ${n}`);
  return runs;
}

/** Merges runs (smallest gaps first) until at most `max` remain; the gaps become zero pages. */
export function mergeRuns(runs: readonly Run[], max: number): Run[] {
  const sorted = runs.filter((r) => r.count > 0).map((r) => ({ ...r })).sort((a, b) => a.firstPfn - b.firstPfn);
  const merged: Run[] = [];
  for (const r of sorted) {
    const last = merged[merged.length - 1];
    if (last && r.firstPfn <= last.firstPfn + last.count) last.count = Math.max(last.count, r.firstPfn + r.count - last.firstPfn);
    else merged.push(r);
  }
  if (merged.length <= max) return merged;
  const gaps = merged.slice(1).map((r, i) => r.firstPfn - (merged[i]!.firstPfn + merged[i]!.count));
  const threshold = [...gaps].sort((a, b) => a - b)[merged.length - max - 1]!;
  // fill every gap smaller than the threshold, then gaps equal to it until few enough
  let toFill = merged.length - max - gaps.filter((g) => g < threshold).length;
  const out: Run[] = [{ ...merged[0]! }];
  for (let i = 1; i < merged.length; i++) {
    const g = gaps[i - 1]!;
    const fill = g < threshold || (g === threshold && toFill-- > 0);
    const last = out[out.length - 1]!;
    if (fill) last.count = merged[i]!.firstPfn + merged[i]!.count - last.firstPfn;
    else out.push({ ...merged[i]! });
  }
  return out;
}

/** Streams page data in batches: present sub-runs are read, gaps are zeros. */
class PageStreamer {
  private readonly buf = new Uint8Array(BATCH_PAGES * PAGE_SIZE);
  private used = 0;
  written = 0;
  constructor(
    private readonly sink: ByteSink,
    private readonly pages: PhysicalPages | undefined,
  ) {}

  async present(firstPfn: number, count: number): Promise<void> {
    const pages = this.pages!;
    while (count > 0) {
      const room = BATCH_PAGES - this.used;
      const n = Math.min(room, count);
      const into = this.buf.subarray(this.used * PAGE_SIZE, (this.used + n) * PAGE_SIZE);
      if (pages.readPages) await pages.readPages(firstPfn, n, into);
      else for (let i = 0; i < n; i++) await pages.readPage(firstPfn + i, into.subarray(i * PAGE_SIZE, (i + 1) * PAGE_SIZE));
      this.used += n;
      firstPfn += n;
      count -= n;
      if (this.used === BATCH_PAGES) await this.flush();
    }
  }

  async zeros(count: number): Promise<void> {
    while (count > 0) {
      const n = Math.min(BATCH_PAGES - this.used, count);
      this.buf.fill(0, this.used * PAGE_SIZE, (this.used + n) * PAGE_SIZE);
      this.used += n;
      count -= n;
      if (this.used === BATCH_PAGES) await this.flush();
    }
  }

  async flush(): Promise<void> {
    if (this.used === 0) return;
    // The sink must consume the bytes before its promise settles (MemorySink copies, FileSink writes).
    await this.sink.write(this.buf.subarray(0, this.used * PAGE_SIZE));
    this.written += this.used;
    this.used = 0;
  }
}

function defaultException(context: Uint8Array): Uint8Array {
  const b = new Uint8Array(EXCEPTION_RECORD64.size);
  const v = new DataView(b.buffer);
  const rip = new DataView(context.buffer, context.byteOffset, context.byteLength).getBigUint64(AMD64_CONTEXT.Rip, true);
  v.setUint32(EXCEPTION_RECORD64.ExceptionCode, 0x80000003, true);
  v.setBigUint64(EXCEPTION_RECORD64.ExceptionAddress, rip, true);
  return b;
}

/** The DUMP_HEADER64 for a spec (RequiredDumpSpace and runs filled by the caller). */
export function buildHeader64(spec: KernelDumpSpec): { bytes: Uint8Array; view: DataView } {
  const H = DUMP_HEADER64;
  const bytes = filledHeader(H.size);
  const v = new DataView(bytes.buffer);
  v.setUint32(H.Signature, SIG_PAGE, true);
  v.setUint32(H.ValidDump, VALID_DU64, true);
  v.setUint32(H.MajorVersion, 0xf, true);
  v.setUint32(H.MinorVersion, spec.buildNumber, true);
  v.setBigUint64(H.DirectoryTableBase, spec.directoryTableBase, true);
  v.setBigUint64(H.PfnDataBase, spec.pfnDataBase, true);
  v.setBigUint64(H.PsLoadedModuleList, spec.psLoadedModuleList, true);
  v.setBigUint64(H.PsActiveProcessHead, spec.psActiveProcessHead, true);
  v.setUint32(H.MachineImageType, IMAGE_FILE_MACHINE_AMD64, true);
  v.setUint32(H.NumberProcessors, spec.numberProcessors, true);
  v.setUint32(H.BugCheckCode, spec.bugCheck.code >>> 0, true);
  spec.bugCheck.parameters.forEach((p, i) => v.setBigUint64(H.BugCheckParameters + 8 * i, p, true));
  v.setBigUint64(H.KdDebuggerDataBlock, spec.kdDebuggerDataBlock, true);
  bytes.set(spec.context, H.ContextRecord);
  const exc = spec.exception ?? defaultException(spec.context);
  if (exc.length !== EXCEPTION_RECORD64.size) throw new DumpError('INVALID_ARGUMENT', `exception record must be 0x98 bytes, got ${hex(exc.length)}`);
  bytes.set(exc, H.Exception);
  v.setUint32(H.DumpType, spec.dumpType, true);
  v.setBigUint64(H.SystemTime, spec.systemTime, true);
  if (spec.comment !== undefined) {
    const c = new Uint8Array(H.CommentSize);
    for (let i = 0; i < Math.min(spec.comment.length, H.CommentSize - 1); i++) c[i] = spec.comment.charCodeAt(i) & 0x7f;
    bytes.set(c, H.Comment);
  }
  v.setBigUint64(H.SystemUpTime, spec.systemUpTime, true);
  v.setUint32(H.ProductType, spec.productType ?? 1, true);
  v.setUint32(H.SuiteMask, spec.suiteMask ?? 0x110, true);
  v.setUint32(H.WriterStatus, 0, true);
  v.setUint32(H.WriterStatus + 4, 0, true); // Unused1, KdSecondaryVersion (0), Unused
  if (spec.attributes !== undefined) v.setUint32(H.Attributes, spec.attributes >>> 0, true);
  return { bytes, view: v };
}

function checkSpec(spec: KernelDumpSpec): void {
  if (spec.machine !== 'amd64') throw new DumpError('UNSUPPORTED', `writer supports machine amd64 only, not ${String(spec.machine)}`);
  if (![1, 4, 5, 6].includes(spec.dumpType)) throw new DumpError('UNSUPPORTED', `writer supports DumpType 1, 4, 5 and 6, not ${spec.dumpType}`);
  checkAmd64Context(spec.context);
  if (spec.dumpType !== 4 && !spec.pages) throw new DumpError('INVALID_ARGUMENT', `DumpType ${spec.dumpType} needs pages`);
  if (spec.dumpType === 4 && !spec.triage) throw new DumpError('INVALID_ARGUMENT', 'DumpType 4 needs a triage body');
}

/** Writes a kernel dump to `sink` (which must be empty). */
export async function writeKernelDump(sink: ByteSink, spec: KernelDumpSpec): Promise<WriteResult> {
  checkSpec(spec);
  const start = sink.position;
  const secondary = spec.secondaryData?.length ? encodeSecondaryData(spec.secondaryData, spec.buildNumber) : undefined;
  const { bytes: header, view } = buildHeader64(spec);
  const H = DUMP_HEADER64;

  if (spec.dumpType === 4) {
    const r = await writeTriageBody(sink, spec, header, secondary);
    return { bytes: sink.position - start, pages: r.pages };
  }

  const present = collectRuns(spec.pages!);
  const streamer = new PageStreamer(sink, spec.pages);

  if (spec.dumpType === 1) {
    const wanted = spec.physicalMemoryRuns ? spec.physicalMemoryRuns.map((r) => ({ firstPfn: r.basePage, count: r.pageCount })) : present;
    const runs = mergeRuns(wanted, MAX_WRITTEN_RUNS64);
    // every present page must fall inside a run
    let ri = 0;
    for (const p of present) {
      while (ri < runs.length && runs[ri]!.firstPfn + runs[ri]!.count <= p.firstPfn) ri++;
      const r = runs[ri];
      if (!r || p.firstPfn < r.firstPfn || p.firstPfn + p.count > r.firstPfn + r.count) {
        throw new DumpError('INVALID_ARGUMENT', `pages at PFN ${hex(p.firstPfn)} (+${p.count}) lie outside physicalMemoryRuns`);
      }
    }
    const total = runs.reduce((s, r) => s + r.count, 0);
    const pmb = H.PhysicalMemoryBlock;
    view.setUint32(pmb, runs.length, true);
    view.setUint32(pmb + 4, 0, true);
    view.setBigUint64(pmb + 8, BigInt(total), true);
    runs.forEach((r, i) => {
      view.setBigUint64(pmb + 0x10 + 16 * i, BigInt(r.firstPfn), true);
      view.setBigUint64(pmb + 0x18 + 16 * i, BigInt(r.count), true);
    });
    view.setBigUint64(H.RequiredDumpSpace, BigInt(H.size + total * PAGE_SIZE), true);
    await sink.write(header);
    // walk dump runs and present runs together
    let pi = 0;
    for (const r of runs) {
      let pfn = r.firstPfn;
      const end = r.firstPfn + r.count;
      while (pfn < end) {
        while (pi < present.length && present[pi]!.firstPfn + present[pi]!.count <= pfn) pi++;
        const p = present[pi];
        if (p && p.firstPfn <= pfn) {
          const n = Math.min(end, p.firstPfn + p.count) - pfn;
          await streamer.present(pfn, n);
          pfn += n;
        } else {
          const n = Math.min(end, p ? p.firstPfn : end) - pfn;
          await streamer.zeros(n);
          pfn += n;
        }
      }
    }
  } else {
    const last = present[present.length - 1];
    const highest = Math.max(spec.highestPfn ?? 0, last ? last.firstPfn + last.count - 1 : 0);
    const bits = Math.ceil((highest + 1) / 64) * 64;
    const bitmapBytes = bits / 8;
    const firstPage = Math.ceil((H.size + BMP_DUMP_HEADER.Bitmap + bitmapBytes) / PAGE_SIZE) * PAGE_SIZE;
    const presentCount = spec.pages!.pageCount;
    view.setBigUint64(H.RequiredDumpSpace, BigInt(firstPage + presentCount * PAGE_SIZE), true);
    const sub = new Uint8Array(firstPage - H.size);
    const sv = new DataView(sub.buffer);
    sv.setUint32(BMP_DUMP_HEADER.Signature, (spec.bitmapSignature ?? (spec.dumpType === 5 ? 'FDMP' : 'SDMP')) === 'SDMP' ? BITMAP_SDMP : BITMAP_FDMP, true);
    sv.setUint32(BMP_DUMP_HEADER.ValidDump, 0x504d5544, true);
    sv.setBigUint64(BMP_DUMP_HEADER.FirstPage, BigInt(firstPage), true);
    sv.setBigUint64(BMP_DUMP_HEADER.TotalPresentPages, BigInt(presentCount), true);
    sv.setBigUint64(BMP_DUMP_HEADER.Pages, BigInt(bits), true);
    const bm = sub.subarray(BMP_DUMP_HEADER.Bitmap, BMP_DUMP_HEADER.Bitmap + bitmapBytes);
    for (const r of present) setBits(bm, r.firstPfn, r.count);
    await sink.write(header);
    await sink.write(sub);
    for (const r of present) await streamer.present(r.firstPfn, r.count);
  }
  await streamer.flush();
  if (secondary) await sink.write(secondary);
  return { bytes: sink.position - start, pages: streamer.written };
}

function setBits(bm: Uint8Array, first: number, count: number): void {
  let pfn = first;
  const end = first + count;
  while (pfn < end && pfn & 7) {
    bm[pfn >>> 3]! |= 1 << (pfn & 7);
    pfn++;
  }
  if (end - pfn >= 8) {
    const full = (end - pfn) >>> 3;
    bm.fill(0xff, pfn >>> 3, (pfn >>> 3) + full);
    pfn += full * 8;
  }
  while (pfn < end) {
    bm[pfn >>> 3]! |= 1 << (pfn & 7);
    pfn++;
  }
}
