/** User memory of a modeled machine's processes and the rest of kernel pool, with the page tables that map them. */
import { CLASS_CODE, type PageClass } from '../varieties/page-class.js';
import { SYSTEM_PML4_PFN } from './layout.js';
import type { MachineState } from './builder-state.js';
import type { ModelProcess } from './model-types.js';
import { AddressSpace, KERNEL_DATA, PAGE, PTE_P, PTE_RW, PTE_TRANSITION, PTE_US, USER_DATA } from './paging.js';
import { hash32 } from './rng.js';

/** Software PTE protection field (bits 5..9) = MM_READWRITE (4). */
const MM_READWRITE_PROTECTION = 4 << 5;

/** Spreads the user page classes over the processes' address spaces (not System's). */
export function mapUserMemory(m: MachineState, spaces: { proc: ModelProcess; space: AddressSpace }[]): void {
  if (spaces.length === 0) return;
  // Shares: a few big processes, many small ones (deterministic weights).
  const weights = spaces.map(({ proc }, i) => (proc.name === 'explorer.exe' || proc.name === 'MsMpEng.exe' ? 8 : proc.name === 'vmmem' ? 6 : 1 + (hash32(m.seed, i, 7) % 4)));
  const totalW = weights.reduce((a, b) => a + b, 0);
  const split = (pfns: number[]): number[][] => {
    const out: number[][] = [];
    let at = 0;
    weights.forEach((w, i) => {
      const n = i === weights.length - 1 ? pfns.length - at : Math.floor((pfns.length * w) / totalW);
      out.push(pfns.slice(at, at + n));
      at += n;
    });
    return out;
  };
  // Page tables come from the back of user-private: leave room (1 table per 512 pages, ×1.1 + per-process overhead).
  const priv = m.buckets.get(CLASS_CODE['user-private'])!;
  const userTotal = priv.hi - priv.lo + m.bucketSize('user-image') + 2 * m.bucketSize('user-shared') + m.bucketSize('transition-pagefile');
  const reserve = Math.ceil(userTotal / 512) * 1.2 + spaces.length * 12;
  const privFree = Math.max(0, priv.hi - priv.lo - Math.ceil(reserve));
  const privPfns = Array.from(priv.arr.subarray(priv.lo, priv.lo + privFree));
  priv.lo += privFree;
  const privParts = split(privPfns);
  const imageParts = split(m.remaining('user-image'));
  const shared = m.remaining('user-shared');
  const transParts = split(m.remaining('transition-pagefile'));
  const sharedParts = split(shared);
  spaces.forEach(({ space }, i) => {
    const heap = 0x0000020000000000n + BigInt(hash32(m.seed, i, 11) % 0x1000) * 0x100000n;
    space.mapPages(heap, privParts[i]!, USER_DATA);
    // Transition PTEs (page-file-backed pages in transition): present bit clear, bit 11 set.
    space.mapPages(heap + BigInt(privParts[i]!.length + 16) * BigInt(PAGE), transParts[i]!, PTE_TRANSITION | MM_READWRITE_PROTECTION | PTE_RW | PTE_US, true);
    space.mapPages(0x00007ff600000000n + BigInt(i) * 0x10000000n, imageParts[i]!, PTE_P | PTE_US | 0x20, false);
    // Shared sections are mapped by this process and the next one.
    const s = sharedParts[i]!;
    space.mapPages(0x000001d000000000n, s, USER_DATA);
    spaces[(i + 1) % spaces.length]!.space.mapPages(0x000001e000000000n + BigInt(i) * 0x1000000n, s, USER_DATA);
  });
  // Reserved-but-unused user-private pages stay user-private (mapped into the last process).
  const left = m.remaining('user-private');
  const last = spaces[spaces.length - 1]!.space;
  mapWithOwnTables(m, last.pml4Pfn, 0x0000030000000000n, left, USER_DATA, 'user-page-table', 'user-private');
}

/**
 * Maps the last pages of a bucket at `va`, taking the page tables it needs out of those same
 * pages (from their end); reserved tables left over are mapped as ordinary pages after.
 * Returns the number of pages mapped as data.
 */
export function mapWithOwnTables(m: MachineState, pml4Pfn: number, va: bigint, pfns: number[], flags: number, tableClass: PageClass, dataClass: PageClass): number {
  if (pfns.length === 0) return 0;
  const reserve = pfns.splice(pfns.length - Math.min(pfns.length - 1, Math.ceil(pfns.length / 512) + 4));
  const space = new AddressSpace(pml4Pfn, m, () => {
    const pfn = reserve.pop();
    if (pfn === undefined) throw new Error('model: page-table reserve exhausted');
    m.classes[pfn] = CLASS_CODE[tableClass];
    return pfn;
  });
  space.mapPages(va, pfns, flags);
  let mapped = pfns.length;
  // Reserved pages not needed as tables stay data, mapped after (a table, if still needed, comes from the reserve's end).
  while (reserve.length > 0) {
    const at = va + BigInt(mapped * PAGE);
    if (reserve.length === 1 && !space.hasTableFor(at)) {
      m.classes[reserve.pop()!] = CLASS_CODE.free; // no room left for its page table: a free page
      break;
    }
    const pfn = reserve.shift()!;
    m.classes[pfn] = CLASS_CODE[dataClass];
    space.mapPages(at, [pfn], flags);
    mapped++;
  }
  return mapped;
}

/** Maps what is left of kernel pool after the structures, so every kernel page is reachable. */
export function mapPoolRest(m: MachineState, rest: number[]): void {
  const n = mapWithOwnTables(m, SYSTEM_PML4_PFN, m.poolMappedEnd, rest, KERNEL_DATA, 'kernel-page-table', 'kernel-pool');
  m.poolMappedEnd += BigInt(n * PAGE);
}
