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
import { readPieces } from './limits.js';
import type { PhysicalMemory } from './physical.js';

export type PagingMode = 'x64' | 'pae' | 'x86';

export interface Translation {
  pa: bigint;
  /** 4096, 2 MiB, 4 MiB or 1 GiB. */
  pageSize: number;
  /** The final entry was a transition PTE. */
  transition: boolean;
}

const PFN_MASK = 0x000ffffffffff000n;
const LEVEL_NAMES: Record<PagingMode, string[]> = {
  x64: ['PML4E', 'PDPTE', 'PDE', 'PTE'],
  pae: ['PDPTE', 'PDE', 'PTE'],
  x86: ['PDE', 'PTE'],
};

/** Thrown inside the sync walk when a table page must be fetched asynchronously first. */
class NeedPage {
  constructor(readonly pfn: number) {}
}

const CACHE_PAGES = 1024;

export interface VirtualOptions {
  /** Wraps a translation/read failure into a clearer one (e.g. the dump kind's limit). */
  explain?: (va: bigint, error: DumpError) => DumpError;
}

export class VirtualMemory {
  private readonly cache = new Map<number, DataView | null>();
  readonly tableBase: bigint;

  constructor(
    readonly physical: PhysicalMemory,
    tableBase: bigint,
    readonly mode: PagingMode = 'x64',
    private readonly options: VirtualOptions = {},
  ) {
    this.tableBase = mode === 'pae' ? tableBase & ~0x1fn : tableBase & ~0xfffn;
  }

  /** A table page from the cache, loading it synchronously if the source can; null if absent from the dump. */
  private table(pfn: number): DataView | null {
    const hit = this.cache.get(pfn);
    if (hit !== undefined) return hit;
    if (!this.physical.hasPage(pfn)) return this.remember(pfn, null);
    if (!this.physical.canReadSync) throw new NeedPage(pfn);
    const p = this.physical.readPageSync(pfn);
    return this.remember(pfn, new DataView(p.buffer, p.byteOffset, PAGE_SIZE));
  }

  private remember(pfn: number, v: DataView | null): DataView | null {
    if (this.cache.size >= CACHE_PAGES) this.cache.clear();
    this.cache.set(pfn, v);
    return v;
  }

  private entry(level: number, tablePa: bigint, index: number, va: bigint, wide: boolean): bigint {
    const pa = tablePa + BigInt(index * (wide ? 8 : 4));
    const pfn = Number(pa >> 12n);
    const t = this.table(pfn);
    if (!t) {
      throw new DumpError(
        'ADDRESS_NOT_IN_DUMP',
        `VA ${hex(va)}: the ${LEVEL_NAMES[this.mode][level]} table page at PA ${hex(pa & ~0xfffn)} is not in the dump`,
      );
    }
    const off = Number(pa & 0xfffn);
    return wide ? t.getBigUint64(off, true) : BigInt(t.getUint32(off, true));
  }

  private notPresent(level: number, va: bigint, index: number, e: bigint): DumpError {
    return new DumpError(
      'ADDRESS_NOT_MAPPED',
      `VA ${hex(va)} is not mapped: ${LEVEL_NAMES[this.mode][level]}[${hex(index)}] = ${hex(e)} is not present (table base ${hex(this.tableBase)})`,
    );
  }

  /** Synchronous translation (table pages must be readable synchronously or cached). */
  private walk(va: bigint): Translation {
    if (this.mode === 'x64') {
      const canonical = va < 0x0000800000000000n || (va >= 0xffff800000000000n && va <= 0xffffffffffffffffn);
      if (!canonical) throw new DumpError('INVALID_ARGUMENT', `VA ${hex(va)} is not a canonical x64 address`);
      const idx = [Number((va >> 39n) & 0x1ffn), Number((va >> 30n) & 0x1ffn), Number((va >> 21n) & 0x1ffn), Number((va >> 12n) & 0x1ffn)];
      let table = this.tableBase;
      for (let level = 0; level < 4; level++) {
        const e = this.entry(level, table, idx[level]!, va, true);
        if ((e & 1n) === 0n) {
          if (level === 3 && (e & 0x800n) !== 0n && (e & 0x400n) === 0n) return { pa: (e & PFN_MASK) | (va & 0xfffn), pageSize: PAGE_SIZE, transition: true };
          throw this.notPresent(level, va, idx[level]!, e);
        }
        if (level === 1 && (e & 0x80n) !== 0n) return { pa: (e & 0x000fffffc0000000n) | (va & 0x3fffffffn), pageSize: 1 << 30, transition: false };
        if (level === 2 && (e & 0x80n) !== 0n) return { pa: (e & 0x000fffffffe00000n) | (va & 0x1fffffn), pageSize: 1 << 21, transition: false };
        if (level === 3) return { pa: (e & PFN_MASK) | (va & 0xfffn), pageSize: PAGE_SIZE, transition: false };
        table = e & PFN_MASK;
      }
    }
    if (va > 0xffffffffn) throw new DumpError('INVALID_ARGUMENT', `VA ${hex(va)} is not a 32-bit address`);
    if (this.mode === 'pae') {
      const idx = [Number((va >> 30n) & 3n), Number((va >> 21n) & 0x1ffn), Number((va >> 12n) & 0x1ffn)];
      let table = this.tableBase;
      for (let level = 0; level < 3; level++) {
        const e = this.entry(level, table, idx[level]!, va, true);
        if ((e & 1n) === 0n) {
          if (level === 2 && (e & 0x800n) !== 0n && (e & 0x400n) === 0n) return { pa: (e & PFN_MASK) | (va & 0xfffn), pageSize: PAGE_SIZE, transition: true };
          throw this.notPresent(level, va, idx[level]!, e);
        }
        if (level === 1 && (e & 0x80n) !== 0n) return { pa: (e & 0x000fffffffe00000n) | (va & 0x1fffffn), pageSize: 1 << 21, transition: false };
        if (level === 2) return { pa: (e & PFN_MASK) | (va & 0xfffn), pageSize: PAGE_SIZE, transition: false };
        table = e & PFN_MASK;
      }
    }
    const idx = [Number((va >> 22n) & 0x3ffn), Number((va >> 12n) & 0x3ffn)];
    const pde = this.entry(0, this.tableBase, idx[0]!, va, false);
    if ((pde & 1n) === 0n) throw this.notPresent(0, va, idx[0]!, pde);
    if ((pde & 0x80n) !== 0n) return { pa: (pde & 0xffc00000n) | (va & 0x3fffffn), pageSize: 1 << 22, transition: false };
    const pte = this.entry(1, pde & 0xfffff000n, idx[1]!, va, false);
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
    for (let attempt = 0; attempt < 8; attempt++) {
      try {
        return this.walk(va);
      } catch (e) {
        if (e instanceof NeedPage) {
          const p = await this.physical.readPage(e.pfn);
          this.remember(e.pfn, new DataView(p.buffer, p.byteOffset, PAGE_SIZE));
          continue;
        }
        throw this.explained(va, e);
      }
    }
    throw new DumpError('IO', `VA ${hex(va)}: translation did not settle`);
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
