/**
 * Virtual-to-physical translation over a dump's physical memory:
 * - x64 4-level paging (PML4 → PDPT → PD → PT) with 1 GiB and 2 MiB pages, and transition
 *   entries (P=0, Transition bit 11 set, Prototype bit 10 clear) accepted at the PTE level;
 * - x86 PAE (PDPT of 4 entries → PD → PT, 2 MiB pages) and classic 2-level x86 (4 MiB pages).
 * Errors say which level failed, and whether the page is not present in memory
 * (ADDRESS_NOT_MAPPED) or present in memory but absent from the dump (ADDRESS_NOT_IN_DUMP).
 * Notes: kernel-dump-format.md §7.
 */
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { PAGE_SIZE } from './header.js';
import { PHYSICAL_FRAME_MASK, readPieces } from './limits.js';

export type PagingMode = 'x64' | 'pae' | 'x86' | 'arm64';

export interface Translation {
  pa: bigint;
  /** 4096, 2 MiB, 4 MiB or 1 GiB. */
  pageSize: number;
  /** The final entry was a transition PTE. */
  transition: boolean;
}

const LEVEL_NAMES: Record<PagingMode, string[]> = {
  x64: ['PML4E', 'PDPTE', 'PDE', 'PTE'],
  pae: ['PDPTE', 'PDE', 'PTE'],
  x86: ['PDE', 'PTE'],
  arm64: ['level 0 descriptor', 'level 1 descriptor', 'level 2 descriptor', 'level 3 descriptor'],
};

/** Thrown inside the sync walk when a table page must be fetched asynchronously first. */
class NeedPage {
  constructor(readonly pfn: number) {}
}

const CACHE_PAGES = 1024;
const X64_SHIFTS = [39, 30, 21, 12] as const;
const PAE_SHIFTS = [30, 21, 12] as const;

export interface VirtualOptions {
  /** Wraps a translation/read failure into a clearer one (e.g. the dump kind's limit). */
  explain?: (va: bigint, error: DumpError) => DumpError;
}

/**
 * What translation needs from physical memory. A dump's PhysicalMemory is one; a modeled machine
 * or any page source can be another (see varieties/virtual-reader.ts).
 */
export interface PageStore {
  hasPage(pfn: number): boolean;
  /** When true, readPageInto may be called; otherwise pages are fetched with readPage. */
  readonly canReadSync: boolean;
  readPageInto(pfn: number, into: Uint8Array): void;
  readPage(pfn: number): Promise<Uint8Array>;
}

export class VirtualMemory {
  /** Direct-mapped cache of table pages: slot = PFN mod CACHE_PAGES, allocated on first use. */
  private cacheBytes: Uint8Array | undefined;
  private cacheView: DataView | undefined;
  private readonly tags = new Float64Array(CACHE_PAGES).fill(-1);
  /** Pages fetched asynchronously for the translation in progress (sources without sync reads). */
  private pinned: Map<number, Uint8Array> | undefined;
  readonly tableBase: bigint;

  constructor(
    readonly physical: PageStore,
    tableBase: bigint,
    readonly mode: PagingMode = 'x64',
    private readonly options: VirtualOptions = {},
  ) {
    // ARM64: a TTBR value (ASID in bits 48..63, CnP in bit 0); x64: CR3 with PCID bits.
    // Only the physical-address bits (below 2^52): the walk does exact arithmetic in Numbers.
    if (tableBase < 0n || tableBase >= 1n << 64n) throw new DumpError('INVALID_ARGUMENT', `table base ${hex(tableBase)} is not a 64-bit value`);
    this.tableBase = mode === 'pae' ? tableBase & 0xffffffe0n : mode === 'arm64' ? tableBase & 0x0000fffffffff000n : tableBase & (mode === 'x86' ? 0xfffff000n : PHYSICAL_FRAME_MASK);
  }

  private slots = 16;
  private misses = 0;

  private growCache(pfn: number): number {
    if (this.cacheBytes) this.slots = CACHE_PAGES;
    this.cacheBytes = new Uint8Array(this.slots * PAGE_SIZE);
    this.cacheView = new DataView(this.cacheBytes.buffer);
    this.tags.fill(-1);
    return this.table(pfn);
  }

  /** Byte offset of a table page in the cache (loading it), or -1 if the dump lacks the page. */
  private table(pfn: number): number {
    const slot = pfn % this.slots;
    const base = slot * PAGE_SIZE;
    if (this.tags[slot] === pfn) return base;
    if (!this.physical.hasPage(pfn)) return -1;
    // start small (most uses read a few kernel structures); grow once misses show a wide walk
    if (!this.cacheBytes || (++this.misses > this.slots * 4 && this.slots < CACHE_PAGES)) return this.growCache(pfn);
    const into = this.cacheBytes.subarray(base, base + PAGE_SIZE);
    const fetched = this.pinned?.get(pfn);
    if (fetched) into.set(fetched);
    else if (this.physical.canReadSync) this.physical.readPageInto(pfn, into);
    else throw new NeedPage(pfn);
    this.tags[slot] = pfn;
    return base;
  }

  /** A 32-bit entry of a classic x86 table. */
  private entry32(level: number, tablePa: bigint, index: number, va: bigint): bigint {
    const pa = Number(tablePa) + index * 4;
    const off = this.tableAt(level, pa, va) + (pa % PAGE_SIZE);
    return BigInt(this.cacheView!.getUint32(off, true));
  }

  private notPresent(level: number, va: bigint, index: number, e: bigint): DumpError {
    return new DumpError(
      'ADDRESS_NOT_MAPPED',
      `VA ${hex(va)} is not mapped: ${LEVEL_NAMES[this.mode][level]}[${hex(index)}] = ${hex(e)} is not present (table base ${hex(this.tableBase)})`,
    );
  }

  /** Cache offset of the table page holding PA `pa`, or the not-in-dump error for that level. */
  private tableAt(level: number, pa: number, va: bigint): number {
    const t = this.table(Math.floor(pa / PAGE_SIZE));
    if (t < 0) {
      throw new DumpError(
        'ADDRESS_NOT_IN_DUMP',
        `VA ${hex(va)}: the ${LEVEL_NAMES[this.mode][level]} table page at PA ${hex(pa - (pa % PAGE_SIZE))} is not in the dump`,
      );
    }
    return t;
  }

  /**
   * x64, PAE and ARM64 (4 KiB granule, 48-bit VA) walks with 64-bit entries. Arithmetic is done in
   * Numbers (addresses < 2^53), BigInt only at the edges: translation is the hot path of every
   * virtual read. ARM64 descriptors (as MemProcFS reads Windows' tables): bit 0 valid, bit 1
   * table/page (clear = block at levels 1 and 2), output address bits 12..49, one table for the
   * whole address space; a transition PTE is (pte & 0xC01) == 0x800 at the last level, as on x64.
   */
  private walkWide(va: bigint, shifts: readonly number[], largeAt: readonly number[]): Translation {
    const arm = this.mode === 'arm64';
    const vaNum = Number(va & 0xffffffffffffn);
    let table = Number(this.tableBase);
    const last = shifts.length - 1;
    for (let level = 0; level <= last; level++) {
      const shift = shifts[level]!;
      const index = Math.floor(vaNum / 2 ** shift) % (level === 0 && this.mode === 'pae' ? 4 : 512);
      const at = table + index * 8;
      const off = this.tableAt(level, at, va) + (at % PAGE_SIZE);
      const cv = this.cacheView!;
      const lo = cv.getUint32(off, true);
      const hi = cv.getUint32(off + 4, true);
      const frame = (hi & (arm ? 0x3ffff : 0xfffff)) * 2 ** 32 + ((lo & 0xfffff000) >>> 0);
      const large = arm ? (lo & 2) === 0 : (lo & 0x80) !== 0;
      const valid = (lo & 1) !== 0 && (!arm || !large || largeAt.includes(level));
      if (!valid) {
        if (level === last && (lo & 0xc01) === 0x800) return { pa: BigInt(frame + (vaNum % PAGE_SIZE)), pageSize: PAGE_SIZE, transition: true };
        throw this.notPresent(level, va, index, (BigInt(hi) << 32n) | BigInt(lo));
      }
      if (level === last) return { pa: BigInt(frame + (vaNum % PAGE_SIZE)), pageSize: PAGE_SIZE, transition: false };
      if (large && largeAt.includes(level)) {
        const size = 2 ** shift;
        return { pa: BigInt(frame - (frame % size) + (vaNum % size)), pageSize: size, transition: false };
      }
      table = frame;
    }
    throw new DumpError('INVALID_ARGUMENT', 'no paging levels');
  }

  /** Synchronous translation (table pages must be readable synchronously or cached). */
  private walk(va: bigint): Translation {
    if (this.mode === 'x64') {
      const canonical = va < 0x0000800000000000n || (va >= 0xffff800000000000n && va <= 0xffffffffffffffffn);
      if (!canonical) throw new DumpError('INVALID_ARGUMENT', `VA ${hex(va)} is not a canonical x64 address`);
      return this.walkWide(va, X64_SHIFTS, [1, 2]);
    }
    if (this.mode === 'arm64') return this.walkWide(va, X64_SHIFTS, [1, 2]);
    if (va > 0xffffffffn || va < 0n) throw new DumpError('INVALID_ARGUMENT', `VA ${hex(va)} is not a 32-bit address`);
    if (this.mode === 'pae') return this.walkWide(va, PAE_SHIFTS, [1]);
    const idx = [Number((va >> 22n) & 0x3ffn), Number((va >> 12n) & 0x3ffn)];
    const pde = this.entry32(0, this.tableBase, idx[0]!, va);
    if ((pde & 1n) === 0n) throw this.notPresent(0, va, idx[0]!, pde);
    if ((pde & 0x80n) !== 0n) return { pa: (pde & 0xffc00000n) | (va & 0x3fffffn), pageSize: 1 << 22, transition: false };
    const pte = this.entry32(1, pde & 0xfffff000n, idx[1]!, va);
    if ((pte & 1n) === 0n) {
      if ((pte & 0x800n) !== 0n && (pte & 0x400n) === 0n) return { pa: (pte & 0xfffff000n) | (va & 0xfffn), pageSize: PAGE_SIZE, transition: true };
      throw this.notPresent(1, va, idx[1]!, pte);
    }
    return { pa: (pte & 0xfffff000n) | (va & 0xfffn), pageSize: PAGE_SIZE, transition: false };
  }

  private explained(va: bigint, e: unknown): unknown {
    return e instanceof DumpError && this.options.explain ? this.options.explain(va, e) : e;
  }

  /** Synchronous translation; needs a source with synchronous reads. */
  translateSync(va: bigint): Translation {
    try {
      return this.walk(va);
    } catch (e) {
      if (e instanceof NeedPage) throw new DumpError('UNSUPPORTED', 'synchronous translation needs a source with synchronous reads');
      throw this.explained(va, e);
    }
  }

  /** Translates `va` to a physical address (the page itself need not be in the dump). */
  async translate(va: bigint): Promise<Translation> {
    try {
      for (let attempt = 0; attempt < 8; attempt++) {
        try {
          return this.walk(va);
        } catch (e) {
          if (e instanceof NeedPage) {
            this.pinned ??= new Map();
            this.pinned.set(e.pfn, await this.physical.readPage(e.pfn));
            continue;
          }
          throw this.explained(va, e);
        }
      }
      throw new DumpError('IO', `VA ${hex(va)}: translation did not settle`);
    } finally {
      this.pinned = undefined;
    }
  }

  /**
   * `length` bytes at `va`. With `ignoreMissing`, pages that are unmapped or absent from the dump
   * read as zeros (like the debugger's .ignore_missing_pages).
   */
  async read(va: bigint, length: number, options: { ignoreMissing?: boolean } = {}): Promise<Uint8Array> {
    return readPieces(va, length, async (a, into) => {
      const inPage = Number(a & 0xfffn);
      const n = Math.min(PAGE_SIZE - inPage, into.length);
      try {
        const t = await this.translate(a);
        const pfn = Number(t.pa >> 12n);
        if (!this.physical.hasPage(pfn)) {
          throw new DumpError('ADDRESS_NOT_IN_DUMP', `VA ${hex(a)} maps to PA ${hex(t.pa)}${t.transition ? ' (transition page)' : ''}, which is not in the dump`);
        }
        into.set((await this.physical.readPage(pfn)).subarray(inPage, inPage + n));
      } catch (e) {
        const err = this.explained(a, e);
        if (!(options.ignoreMissing && err instanceof DumpError && isMissing(err))) throw err;
      }
      return n;
    });
  }

  async readU64(va: bigint): Promise<bigint> {
    const b = await this.read(va, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
}

export function isMissing(e: DumpError): boolean {
  return e.code === 'ADDRESS_NOT_IN_DUMP' || e.code === 'ADDRESS_NOT_MAPPED' || e.code === 'LIMIT';
}
