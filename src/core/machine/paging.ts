/**
 * Real x64 4-level page tables, built as bytes. Table pages live in a PFN → page map shared with
 * the rest of the modeled machine; new tables come from a caller-supplied allocator, so the
 * caller decides their page class (kernel vs user page tables).
 *
 * Entries are written as two u32 halves (no bigint on the hot path): a machine of 16 GiB maps
 * millions of pages.
 */
export const PAGE = 4096;

export const PTE_P = 0x1;
export const PTE_RW = 0x2;
export const PTE_US = 0x4;
export const PTE_A = 0x20;
export const PTE_D = 0x40;
export const PTE_TRANSITION = 0x800;
/** Kernel data page: present, writable, accessed, dirty (NX set in the high half). */
export const KERNEL_DATA = PTE_P | PTE_RW | PTE_A | PTE_D;
export const USER_DATA = KERNEL_DATA | PTE_US;
const NX_HI = 0x80000000;

export interface PageStore {
  /** The bytes of an explicitly built page (page tables, structures), if any. */
  get(pfn: number): Uint8Array | undefined;
  set(pfn: number, page: Uint8Array): void;
}

export interface VaIndices {
  pml4: number;
  pdpt: number;
  pd: number;
  pt: number;
}

export function vaIndices(va: bigint): VaIndices {
  return {
    pml4: Number((va >> 39n) & 0x1ffn),
    pdpt: Number((va >> 30n) & 0x1ffn),
    pd: Number((va >> 21n) & 0x1ffn),
    pt: Number((va >> 12n) & 0x1ffn),
  };
}

/** Canonical VA from indices (sign-extends bit 47). */
export function vaFromIndices(i: VaIndices, offset = 0): bigint {
  let va = (BigInt(i.pml4) << 39n) | (BigInt(i.pdpt) << 30n) | (BigInt(i.pd) << 21n) | (BigInt(i.pt) << 12n) | BigInt(offset);
  if (i.pml4 >= 0x100) va |= 0xffff000000000000n;
  return va;
}

function words(page: Uint8Array): Uint32Array {
  return new Uint32Array(page.buffer, page.byteOffset, PAGE / 4);
}

export function readEntry(page: Uint8Array, index: number): { pfn: number; lo: number; hi: number } {
  const w = words(page);
  const lo = w[index * 2]!;
  const hi = w[index * 2 + 1]!;
  return { lo, hi, pfn: (hi & 0xfffff) * 0x100000 + (lo >>> 12) };
}

export function writeEntry(page: Uint8Array, index: number, pfn: number, flags: number, nx: boolean): void {
  const w = words(page);
  w[index * 2] = (((pfn % 0x100000) << 12) | (flags & 0xfff)) >>> 0;
  w[index * 2 + 1] = (Math.floor(pfn / 0x100000) & 0xfffff) | (nx ? NX_HI : 0);
}

/** One address space: a PML4 and everything under it. */
export class AddressSpace {
  /** Cache of the last page table used, for sequential mapping. */
  private lastKey = -1;
  private lastPt: Uint8Array | undefined;

  constructor(
    readonly pml4Pfn: number,
    private readonly store: PageStore,
    private readonly allocTable: () => number,
    /** Directory entries get U/S when true (user half). */
    private readonly user: (pml4Index: number) => boolean = (i) => i < 0x100,
  ) {
    if (!store.get(pml4Pfn)) store.set(pml4Pfn, new Uint8Array(PAGE));
  }

  get pml4(): Uint8Array {
    return this.store.get(this.pml4Pfn)!;
  }

  /** Installs the self-reference entry Windows uses to reach its own page tables. */
  setSelfMap(index: number): void {
    writeEntry(this.pml4, index, this.pml4Pfn, KERNEL_DATA, true);
  }

  private child(table: Uint8Array, index: number, pml4Index: number): Uint8Array {
    const e = readEntry(table, index);
    if (e.lo & PTE_P) return this.store.get(e.pfn)!;
    const pfn = this.allocTable();
    const page = new Uint8Array(PAGE);
    this.store.set(pfn, page);
    writeEntry(table, index, pfn, PTE_P | PTE_RW | PTE_A | (this.user(pml4Index) ? PTE_US : 0), false);
    return page;
  }

  private ptFor(i: VaIndices): Uint8Array {
    const key = ((i.pml4 * 512 + i.pdpt) * 512 + i.pd) >>> 0;
    if (key === this.lastKey && this.lastPt) return this.lastPt;
    const pdpt = this.child(this.pml4, i.pml4, i.pml4);
    const pd = this.child(pdpt, i.pdpt, i.pml4);
    const pt = this.child(pd, i.pd, i.pml4);
    this.lastKey = key;
    this.lastPt = pt;
    return pt;
  }

  /** Maps `pfns` at consecutive pages from `va`. `flags` without P makes transition/invalid PTEs. */
  mapPages(va: bigint, pfns: ArrayLike<number>, flags: number, nx = true): void {
    const i = vaIndices(va);
    for (let k = 0; k < pfns.length; k++) {
      writeEntry(this.ptFor(i), i.pt, pfns[k]!, flags, nx);
      if (++i.pt === 512) {
        i.pt = 0;
        if (++i.pd === 512) {
          i.pd = 0;
          if (++i.pdpt === 512) {
            i.pdpt = 0;
            i.pml4++;
          }
        }
      }
    }
  }

  /** True when the page table covering `va` exists (mapping there needs no new table). */
  hasTableFor(va: bigint): boolean {
    const i = vaIndices(va);
    let table = this.pml4;
    for (const idx of [i.pml4, i.pdpt, i.pd]) {
      const e = readEntry(table, idx);
      if (!(e.lo & PTE_P)) return false;
      table = this.store.get(e.pfn)!;
    }
    return true;
  }

  /** Walks the tables like a reader (valid entries only). Returns the PFN or undefined. */
  translatePfn(va: bigint): number | undefined {
    const i = vaIndices(va);
    let table = this.pml4;
    for (const idx of [i.pml4, i.pdpt, i.pd]) {
      const e = readEntry(table, idx);
      if (!(e.lo & PTE_P)) return undefined;
      const next = this.store.get(e.pfn);
      if (!next) return undefined;
      table = next;
    }
    const e = readEntry(table, i.pt);
    return e.lo & PTE_P ? e.pfn : undefined;
  }

  /** Copies PML4 entries [from, to) of another space (the shared kernel half). */
  copyEntries(other: AddressSpace, from: number, to: number): void {
    this.pml4.set(other.pml4.subarray(from * 8, to * 8), from * 8);
  }
}
