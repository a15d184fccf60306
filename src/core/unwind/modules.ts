import type { CodeModule } from '../symbols/types.js';

/**
 * The loaded modules sorted by base address, for "which module holds this address" (binary search).
 * Overlapping modules (a module listed twice, or one mapped inside another's range) are kept: the
 * module starting last at or below the address that still covers it wins, so a small module mapped
 * inside a larger one is found.
 */
export class ModuleIndex {
  /** Modules in base-address order (ties: the input order). */
  readonly all: CodeModule[];
  /** Running maximum of `base + size` over `all`, to stop the backward search early. */
  private readonly maxEnd: bigint[];

  constructor(modules: CodeModule[]) {
    this.all = modules
      .map((m, i) => ({ m, i }))
      .sort((a, b) => (a.m.base < b.m.base ? -1 : a.m.base > b.m.base ? 1 : a.i - b.i))
      .map((x) => x.m);
    this.maxEnd = [];
    let max = 0n;
    for (const m of this.all) {
      const end = m.base + m.size;
      if (end > max) max = end;
      this.maxEnd.push(max);
    }
  }

  /** The module whose [base, base+size) holds `address`, or undefined. */
  at(address: bigint): CodeModule | undefined {
    const all = this.all;
    let lo = 0;
    let hi = all.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (all[mid]!.base <= address) lo = mid + 1;
      else hi = mid;
    }
    for (let i = lo - 1; i >= 0 && this.maxEnd[i]! > address; i--) {
      const m = all[i]!;
      if (address < m.base + m.size) return m;
    }
    return undefined;
  }

  /** One past the highest address any module covers (0 when there are none). */
  get end(): bigint {
    return this.maxEnd.length ? this.maxEnd[this.maxEnd.length - 1]! : 0n;
  }
}
