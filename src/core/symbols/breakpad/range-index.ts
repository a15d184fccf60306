// Compact address indexes for records read from a .sym file: typed arrays of start addresses, ends
// and file offsets, built once after the scan, searched by binary search. Addresses are numbers
// (module-relative, checked < 2^53 by the parsers).

/** A growable column of float64 values (addresses and file offsets). */
export class Column {
  private data = new Float64Array(1024);
  length = 0;

  push(v: number): void {
    if (this.length === this.data.length) this.grow();
    this.data[this.length++] = v;
  }

  /** Grows by half (not double): the slack is what the index costs beyond its entries while indexing. */
  private grow(): void {
    const next = new Float64Array(Math.ceil(this.data.length * 1.5));
    next.set(this.data);
    this.data = next;
  }

  get(i: number): number {
    return this.data[i]!;
  }

  set(i: number, v: number): void {
    this.data[i] = v;
  }

  view(): Float64Array {
    return this.data.subarray(0, this.length);
  }

  /** The values in an array of their own size; the column is emptied (its buffer freed). */
  take(): Float64Array {
    const out = this.data.length === this.length ? this.data : this.data.slice(0, this.length);
    this.data = new Float64Array(0);
    this.length = 0;
    return out;
  }
}

/** Raw records in file order: start, size, file offset of the record, and one extra value (body end). */
export class RangeColumns {
  readonly start = new Column();
  readonly size = new Column();
  readonly offset = new Column();
  readonly extra = new Column();

  get length(): number {
    return this.start.length;
  }

  push(start: number, size: number, offset: number, extra = 0): number {
    this.start.push(start);
    this.size.push(size);
    this.offset.push(offset);
    this.extra.push(extra);
    return this.start.length - 1;
  }
}

/** Indices 0…n-1 ordered by (start ascending, then `tie`), stable; `sorted` says if file order already was. */
export function orderByStart(starts: Float64Array, tie?: (a: number, b: number) => number): { order: Uint32Array; sorted: boolean } {
  const n = starts.length;
  const order = new Uint32Array(n);
  let sorted = true;
  for (let i = 0; i < n; i++) {
    order[i] = i;
    if (i > 0 && starts[i]! < starts[i - 1]!) sorted = false;
  }
  if (!sorted || tie) order.sort((a, b) => starts[a]! - starts[b]! || (tie ? tie(a, b) : 0) || a - b);
  return { order, sorted };
}

/** Non-overlapping ranges in address order: the index of FUNC and STACK CFI INIT records. */
export class ExclusiveRanges {
  constructor(
    readonly start: Float64Array,
    /** Exclusive end (start + size). */
    readonly end: Float64Array,
    readonly offset: Float64Array,
    readonly extra: Float64Array,
    /** Raw indices (file order) of the records dropped because they overlapped a kept one or were empty. */
    readonly dropped: Uint32Array,
  ) {}

  get length(): number {
    return this.start.length;
  }

  /**
   * Breakpad's RangeMap rule (kExclusiveRanges), in file order: a record is kept unless it is empty
   * or overlaps one kept before it. For records in address order a sweep decides; otherwise a
   * prefix-maximum tree over the records in address order answers "does a kept record starting
   * below my end reach past my start?" in O(log n) per record.
   */
  static build(cols: RangeColumns): ExclusiveRanges {
    const starts = cols.start.view();
    const sizes = cols.size.view();
    const { order, sorted } = orderByStart(starts);
    const n = order.length;
    const kept = new Uint8Array(n);
    if (sorted) {
      let lastEnd = -1;
      for (let i = 0; i < n; i++) {
        if (sizes[i]! <= 0 || starts[i]! < lastEnd) continue;
        kept[i] = 1;
        lastEnd = starts[i]! + sizes[i]!;
      }
    } else {
      const rank = new Uint32Array(n); // position of each record in address order
      for (let k = 0; k < n; k++) rank[order[k]!] = k;
      const sortedStarts = new Float64Array(n);
      for (let k = 0; k < n; k++) sortedStarts[k] = starts[order[k]!]!;
      const tree = new PrefixMax(n);
      for (let i = 0; i < n; i++) {
        const s = starts[i]!;
        const e = s + sizes[i]!;
        if (sizes[i]! <= 0) continue;
        // Kept records that start before e (positions [0, p)); the one reaching furthest must end by s.
        const p = lastBelow(sortedStarts, e) + 1;
        if (tree.max(p) > s) continue;
        kept[i] = 1;
        tree.set(rank[i]!, e);
      }
    }
    const keep: number[] = [];
    const dropped: number[] = [];
    for (let k = 0; k < n; k++) (kept[order[k]!] ? keep : dropped).push(order[k]!);
    if (sorted && dropped.length === 0) {
      // The usual case (dump_syms writes in address order): the columns become the index, one at a
      // time, so the raw columns and the index never both exist whole.
      const start = cols.start.take();
      const end = cols.size.take();
      for (let k = 0; k < n; k++) end[k]! += start[k]!;
      return new ExclusiveRanges(start, end, cols.offset.take(), cols.extra.take(), new Uint32Array(0));
    }
    const m = keep.length;
    const start = new Float64Array(m);
    const end = new Float64Array(m);
    const offset = new Float64Array(m);
    const extra = new Float64Array(m);
    for (let k = 0; k < m; k++) {
      const i = keep[k]!;
      start[k] = starts[i]!;
      end[k] = starts[i]! + sizes[i]!;
      offset[k] = cols.offset.get(i);
      extra[k] = cols.extra.get(i);
    }
    return new ExclusiveRanges(start, end, offset, extra, Uint32Array.from(dropped.sort((a, b) => a - b)));
  }

  /** Index of the last range starting at or below `address`, or -1. */
  nearestBelow(address: number): number {
    return lastAtOrBelow(this.start, address);
  }

  /** Index of the range holding `address`, or -1. */
  find(address: number): number {
    const i = lastAtOrBelow(this.start, address);
    return i >= 0 && address < this.end[i]! ? i : -1;
  }
}

/** Maximum over a prefix of positions, with point updates (values only grow from -1). */
class PrefixMax {
  private readonly size: number;
  private readonly tree: Float64Array;
  constructor(n: number) {
    let size = 1;
    while (size < n) size *= 2;
    this.size = size;
    this.tree = new Float64Array(2 * size).fill(-1);
  }
  set(pos: number, value: number): void {
    let i = pos + this.size;
    this.tree[i] = value;
    for (i >>= 1; i >= 1; i >>= 1) this.tree[i] = Math.max(this.tree[2 * i]!, this.tree[2 * i + 1]!);
  }
  /** Maximum over positions [0, end). */
  max(end: number): number {
    let best = -1;
    let lo = this.size;
    let hi = end + this.size;
    while (lo < hi) {
      if (lo & 1) best = Math.max(best, this.tree[lo++]!);
      if (hi & 1) best = Math.max(best, this.tree[--hi]!);
      lo >>= 1;
      hi >>= 1;
    }
    return best;
  }
}

/** Index of the last element < `value` in ascending `sorted`, or -1. */
function lastBelow(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! < value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/** Index of the last element <= `value` in ascending `sorted`, or -1. */
export function lastAtOrBelow(sorted: Float64Array, value: number): number {
  let lo = 0;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid]! <= value) lo = mid + 1;
    else hi = mid;
  }
  return lo - 1;
}

/**
 * Nested-or-disjoint ranges, built exactly as Breakpad's ContainedRangeMap builds them (used for
 * STACK WIN): records in file order; one inside a kept range goes into it, one holding kept ranges
 * adopts them, one that partially overlaps or equals a kept range is dropped. Lookup gives the
 * innermost range holding the address. Inserting out of address order splices arrays, so the work
 * is budgeted: past `maxWork` element moves the remaining records are dropped (`budgetExceeded`).
 */
export class NestedRanges {
  private readonly start: Float64Array;
  /** Inclusive high address, as Breakpad keys its maps. */
  private readonly high: Float64Array;
  readonly offset: Float64Array;
  readonly extra: Float64Array;
  private readonly top: number[] = [];
  private readonly children = new Map<number, number[]>();
  kept = 0;
  droppedCount = 0;
  budgetExceeded = false;

  private constructor(cols: RangeColumns, sizes: Float64Array) {
    this.start = cols.start.take();
    this.high = new Float64Array(this.start.length);
    for (let i = 0; i < this.start.length; i++) this.high[i] = this.start[i]! + sizes[i]! - 1;
    this.offset = cols.offset.take();
    this.extra = cols.extra.take();
  }

  static build(cols: RangeColumns, maxWork = 200_000_000): NestedRanges {
    const sizes = cols.size.take();
    const t = new NestedRanges(cols, sizes);
    let work = 0;
    for (let i = 0; i < sizes.length; i++) {
      if (sizes[i]! <= 0 || work > maxWork) {
        if (work > maxWork) t.budgetExceeded = true;
        t.droppedCount++;
        continue;
      }
      const w = t.store(i);
      if (w < 0) t.droppedCount++;
      else {
        t.kept++;
        work += w;
      }
    }
    return t;
  }

  /** First position in `level` whose range's high is >= `address`. */
  private lowerBound(level: number[], address: number): number {
    let lo = 0;
    let hi = level.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.high[level[mid]!]! < address) lo = mid + 1;
      else hi = mid;
    }
    return lo;
  }

  /** Inserts record i; returns the number of array elements moved, or -1 when Breakpad would refuse it. */
  private store(i: number): number {
    const base = this.start[i]!;
    const high = this.high[i]!;
    let level = this.top;
    for (;;) {
      const ib = this.lowerBound(level, base);
      let ih = this.lowerBound(level, high);
      if (ib === ih && ib < level.length && base >= this.start[level[ib]!]!) {
        const c = level[ib]!;
        if (this.start[c] === base && this.high[c] === high) return -1; // equal ranges are refused
        let kids = this.children.get(c);
        if (!kids) this.children.set(c, (kids = []));
        level = kids;
        continue;
      }
      const containsHigh = ih < level.length && high >= this.start[level[ih]!]!;
      if ((ib < level.length && base > this.start[level[ib]!]!) || (containsHigh && high < this.high[level[ih]!]!)) return -1;
      if (containsHigh) ih++;
      const adopted = level.splice(ib, ih - ib, i);
      if (adopted.length > 0) this.children.set(i, adopted);
      return level.length - ib + adopted.length;
    }
  }

  /** Index of the innermost range holding `address`, or -1. */
  find(address: number): number {
    let found = -1;
    let level: number[] | undefined = this.top;
    while (level) {
      const k = this.lowerBound(level, address);
      if (k >= level.length || address < this.start[level[k]!]!) break;
      found = level[k]!;
      level = this.children.get(found);
    }
    return found;
  }

  /** Bytes held (typed arrays and child lists, roughly). */
  bytes(): number {
    return this.start.length * 32 + this.kept * 8;
  }
}
