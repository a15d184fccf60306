import { CLASS_CODE, NOT_RAM, type PageClass } from './page-class.js';

/** Consecutive PFNs [first, first + count). */
export interface PfnRun {
  first: number;
  count: number;
}

/** Where page bytes come from: a modeled machine, or the page data of a source dump. */
export interface PageReader {
  readPage(pfn: number, into: Uint8Array): void | Promise<void>;
  readPages?(firstPfn: number, count: number, into: Uint8Array): void | Promise<void>;
}

/** What the kernel writer takes (structurally the contract's `PhysicalPages`). */
export interface SelectedPages {
  readonly pageCount: number;
  pfns(): Iterable<number>;
  readPage(pfn: number, into: Uint8Array): void | Promise<void>;
  readPages?(firstPfn: number, count: number, into: Uint8Array): void | Promise<void>;
  /** The selection as runs (for size computation and reports). */
  readonly runs: readonly PfnRun[];
}

export function countRuns(runs: readonly PfnRun[]): number {
  let n = 0;
  for (const r of runs) n += r.count;
  return n;
}

/**
 * The PFNs a rule keeps: those whose class byte is kept by `keep` (a 256-entry table), limited to
 * `available` runs (the pages a source dump actually holds; default: every PFN of `classes`).
 */
export function selectRuns(classes: Uint8Array, keep: Uint8Array, available?: readonly PfnRun[]): PfnRun[] {
  const out: PfnRun[] = [];
  const scan = available ?? [{ first: 0, count: classes.length }];
  for (const a of scan) {
    const end = Math.min(a.first + a.count, classes.length);
    let start = -1;
    for (let pfn = a.first; pfn < end; pfn++) {
      const k = keep[classes[pfn]!] === 1;
      if (k && start < 0) start = pfn;
      else if (!k && start >= 0) {
        push(out, start, pfn - start);
        start = -1;
      }
    }
    if (start >= 0) push(out, start, end - start);
  }
  return out;
}

function push(out: PfnRun[], first: number, count: number): void {
  const last = out[out.length - 1];
  if (last && last.first + last.count === first) last.count += count;
  else out.push({ first, count });
}

/**
 * Keeps at most `maxPages` of `runs`, taking whole priority tiers of classes first (e.g. kernel
 * pages before user pages), and the lowest PFNs of the tier that does not fit whole.
 */
export function limitRuns(classes: Uint8Array, runs: readonly PfnRun[], tiers: readonly (readonly PageClass[])[], maxPages: number): PfnRun[] {
  const tierOf = new Uint8Array(256).fill(255);
  tiers.forEach((t, i) => t.forEach((c) => (tierOf[CLASS_CODE[c]] = i)));
  const perTier = new Float64Array(tiers.length + 1);
  for (const r of runs) for (let p = r.first; p < r.first + r.count; p++) perTier[Math.min(tierOf[classes[p]!]!, tiers.length)]!++;
  let budget = maxPages;
  const fullTiers = new Uint8Array(256);
  let partialTier = -1;
  let partialLeft = 0;
  for (let t = 0; t <= tiers.length; t++) {
    if (perTier[t]! <= budget) {
      budget -= perTier[t]!;
      fullTiers[t] = 1;
    } else {
      partialTier = t;
      partialLeft = budget;
      break;
    }
  }
  const out: PfnRun[] = [];
  for (const r of runs) {
    for (let p = r.first; p < r.first + r.count; p++) {
      const c = classes[p]!;
      const t = Math.min(tierOf[c]!, tiers.length);
      let k = fullTiers[t] === 1 && c !== NOT_RAM;
      if (!k && t === partialTier && partialLeft > 0) {
        k = true;
        partialLeft--;
      }
      if (k) push(out, p, 1);
    }
  }
  return out;
}

/** Presents runs of PFNs and a page source as the writer's page provider. */
export function pagesOf(runs: readonly PfnRun[], reader: PageReader): SelectedPages {
  return {
    runs,
    pageCount: countRuns(runs),
    *pfns() {
      for (const r of runs) for (let p = r.first; p < r.first + r.count; p++) yield p;
    },
    readPage: (pfn, into) => reader.readPage(pfn, into),
    readPages: reader.readPages
      ? (first, count, into) => reader.readPages!(first, count, into)
      : async (first, count, into) => {
          for (let i = 0; i < count; i++) await reader.readPage(first + i, into.subarray(i * 4096, (i + 1) * 4096));
        },
  };
}

/** Per-class page counts of a selection. */
export function classCountsOf(classes: Uint8Array, runs: readonly PfnRun[]): Partial<Record<PageClass, number>> {
  const counts = new Float64Array(256);
  for (const r of runs) for (let p = r.first; p < r.first + r.count; p++) counts[classes[p]!]!++;
  const out: Partial<Record<PageClass, number>> = {};
  for (const [name, code] of Object.entries(CLASS_CODE) as [PageClass, number][]) if (counts[code]) out[name] = counts[code]!;
  return out;
}
