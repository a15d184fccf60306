/**
 * The debugger's own look at x64 page tables: every level of one translation (`!pte`, `!vtop`)
 * and the mapped stretches of a range (what `s` searches in a kernel dump), skipping whole
 * 512 GiB / 1 GiB / 2 MiB areas whose upper entry is not present. Reads table pages through the
 * dump's physical memory; the translation rules are those of src/core/kernel/virtual.ts.
 */
import { DumpError } from '../errors.js';
import type { PhysicalMemory } from '../kernel/physical.js';

export const X64_LEVELS = ['PXE', 'PPE', 'PDE', 'PTE'] as const;
const SHIFTS = [39n, 30n, 21n, 12n] as const;
const FRAME_MASK = 0x000ffffffffff000n;

export interface PageLevel {
  /** WinDbg's name of the level (PXE = PML4E, PPE = PDPTE, PDE, PTE). */
  name: (typeof X64_LEVELS)[number];
  index: number;
  /** Physical address of the entry. */
  entryPa: bigint;
  /** The entry, or undefined when its table page is not in the dump. */
  entry: bigint | undefined;
  /** Present bit set (or a transition PTE at the last level). */
  valid: boolean;
  /** This entry maps a large page (1 GiB or 2 MiB). */
  large: boolean;
}

export interface PageWalk {
  va: bigint;
  levels: PageLevel[];
  /** Physical address the walk reached, when it did. */
  pa?: bigint;
  pageSize?: number;
  transition?: boolean;
  /** Why it stopped short, when it did. */
  failure?: string;
}

async function entryAt(physical: PhysicalMemory, pa: bigint): Promise<bigint | undefined> {
  if (!physical.hasPage(Number(pa >> 12n))) return undefined;
  const b = await physical.read(pa, 8);
  return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
}

/** Walks the four x64 levels for `va` from the table base `dtb`, recording each entry. */
export async function walkX64(physical: PhysicalMemory, dtb: bigint, va: bigint): Promise<PageWalk> {
  const walk: PageWalk = { va, levels: [] };
  let table = dtb & FRAME_MASK;
  for (let level = 0; level < 4; level++) {
    const index = Number((va >> SHIFTS[level]!) & 0x1ffn);
    const entryPa = table + BigInt(index * 8);
    const entry = await entryAt(physical, entryPa);
    const name = X64_LEVELS[level]!;
    if (entry === undefined) {
      walk.levels.push({ name, index, entryPa, entry, valid: false, large: false });
      walk.failure = `the ${name} table page at PA ${entryPa.toString(16)} is not in the dump`;
      return walk;
    }
    const present = (entry & 1n) !== 0n;
    const large = present && (level === 1 || level === 2) && (entry & 0x80n) !== 0n;
    const transition = !present && level === 3 && (entry & 0xc01n) === 0x800n;
    walk.levels.push({ name, index, entryPa, entry, valid: present || transition, large });
    if (!present && !transition) {
      walk.failure = `${name} ${entry.toString(16)} is not valid`;
      return walk;
    }
    const frame = entry & FRAME_MASK;
    if (level === 3 || large) {
      const size = 1n << SHIFTS[level]!;
      walk.pa = (frame & ~(size - 1n)) | (va & (size - 1n));
      walk.pageSize = Number(size);
      walk.transition = transition;
      return walk;
    }
    table = frame;
  }
  return walk;
}

export interface MappedRun {
  va: bigint;
  pa: bigint;
  size: bigint;
}

const CANON_HIGH = 0xffff800000000000n;

/** Canonical form of a 48-bit index-derived address. */
function canonical(va: bigint): bigint {
  return va & 0x0000800000000000n ? va | CANON_HIGH : va;
}

/**
 * Mapped pages of [start, end) whose physical page is in the dump, merged into runs where both
 * addresses are contiguous. Calls `tick` now and then so the caller can yield or stop.
 */
export async function* mappedRunsX64(
  physical: PhysicalMemory,
  dtb: bigint,
  start: bigint,
  end: bigint,
  tick: () => Promise<void>,
): AsyncGenerator<MappedRun> {
  let run: MappedRun | undefined;
  let steps = 0;
  async function* visit(table: bigint, level: number, base: bigint): AsyncGenerator<MappedRun> {
    const span = 1n << SHIFTS[level]!;
    if (!physical.hasPage(Number(table >> 12n))) return;
    const page = await physical.read(table, 4096);
    const dv = new DataView(page.buffer, page.byteOffset, 4096);
    for (let i = 0; i < 512; i++) {
      const lo = canonical(base + BigInt(i) * span);
      const hi = lo + span;
      if (hi <= start || lo >= end) continue;
      if (++steps % 4096 === 0) await tick();
      const e = dv.getBigUint64(i * 8, true);
      const present = (e & 1n) !== 0n;
      const transition = !present && level === 3 && (e & 0xc01n) === 0x800n;
      if (!present && !transition) continue;
      const frame = e & FRAME_MASK;
      if (level === 3 || ((level === 1 || level === 2) && (e & 0x80n) !== 0n)) {
        // a leaf: keep the part in the dump, page by page
        for (let off = 0n; off < span; off += 4096n) {
          const va = lo + off;
          if (va + 4096n <= start || va >= end) continue;
          const pa = (frame & ~(span - 1n)) + off;
          if (!physical.hasPage(Number(pa >> 12n))) continue;
          if (run && run.va + run.size === va && run.pa + run.size === pa) run.size += 4096n;
          else {
            if (run) yield run;
            run = { va, pa, size: 4096n };
          }
        }
        continue;
      }
      yield* visit(frame, level + 1, lo & 0x0000ffffffffffffn);
    }
  }
  if (start >= end) return;
  yield* visit(dtb & FRAME_MASK, 0, 0n);
  if (run) yield run;
}

/** The page-table entry flags as WinDbg's `!pte` prints them (`-G-DA--KWEV`). */
export function pteFlags(e: bigint, large: boolean): string {
  const bit = (n: number): boolean => ((e >> BigInt(n)) & 1n) !== 0n;
  return [
    '-', // copy-on-write (software bit, not modelled)
    bit(8) ? 'G' : '-',
    large ? 'L' : '-',
    bit(6) ? 'D' : '-',
    bit(5) ? 'A' : '-',
    bit(4) ? 'N' : '-',
    bit(3) ? 'T' : '-',
    bit(2) ? 'U' : 'K',
    bit(1) ? 'W' : 'R',
    bit(63) ? '-' : 'E',
    bit(0) ? 'V' : '-',
  ].join('');
}

/** The self-map address of each level's entry for `va`, from the PTE base (KDBG PteBase). */
export function selfMapAddresses(pteBase: bigint, va: bigint): bigint[] {
  const mask = 0x7ffffffff8n;
  const pte = pteBase + ((va >> 9n) & mask);
  const pde = pteBase + ((pte >> 9n) & mask);
  const ppe = pteBase + ((pde >> 9n) & mask);
  const pxe = pteBase + ((ppe >> 9n) & mask);
  return [pxe, ppe, pde, pte];
}

export function requireX64(mode: string): void {
  if (mode !== 'x64') throw new DumpError('UNSUPPORTED', `the debugger walks x64 page tables here; this dump uses ${mode} paging`);
}
