// Builds the memory map the page draws: ranges sorted by start with a kind each, on an axis where
// long gaps between ranges are shortened (a 64-bit address space is mostly empty: drawn to scale, a
// process's 30,000 ranges would be a few pixels at both ends).
import type { MemoryMap } from './protocol.js';

export interface MapRange {
  start: bigint;
  end: bigint;
  kind: number;
  captured: boolean;
}

/** A gap longer than this share of the mapped bytes is drawn this long (but never longer than it is). */
const GAP_SHARE = 1 / 400;

/** Sorted, non-empty ranges → the arrays of MemoryMap (overlaps are kept; the later range draws on top). */
export function buildMemoryMap(space: MemoryMap['space'], kinds: string[], input: MapRange[]): MemoryMap {
  const ranges = input.filter((r) => r.end > r.start).sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const n = ranges.length;
  const start = new BigUint64Array(n);
  const end = new BigUint64Array(n);
  const kind = new Uint8Array(n);
  const captured = new Uint8Array(n);
  // Segments: the union of the ranges, in order.
  const segs: { start: bigint; end: bigint }[] = [];
  let mapped = 0;
  for (let i = 0; i < n; i++) {
    const r = ranges[i]!;
    start[i] = r.start;
    end[i] = r.end;
    kind[i] = r.kind;
    captured[i] = r.captured ? 1 : 0;
    const last = segs[segs.length - 1];
    if (last && r.start <= last.end) {
      if (r.end > last.end) last.end = r.end;
    } else segs.push({ start: r.start, end: r.end });
  }
  for (const s of segs) mapped += Number(s.end - s.start);
  const gapCap = Math.max(4096, mapped * GAP_SHARE);
  const segStart = new BigUint64Array(segs.length);
  const segEnd = new BigUint64Array(segs.length);
  const segAxis = new Float64Array(segs.length);
  let axis = 0;
  for (let j = 0; j < segs.length; j++) {
    const s = segs[j]!;
    if (j > 0) axis += Math.min(gapCap, Number(s.start - segs[j - 1]!.end));
    segStart[j] = s.start;
    segEnd[j] = s.end;
    segAxis[j] = axis;
    axis += Number(s.end - s.start);
  }
  const axisStart = new Float64Array(n);
  const axisEnd = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    while (j + 1 < segs.length && segStart[j + 1]! <= start[i]!) j++;
    axisStart[i] = segAxis[j]! + Number(start[i]! - segStart[j]!);
    axisEnd[i] = axisStart[i]! + Number(end[i]! - start[i]!);
  }
  return { space, kinds, start, end, kind, captured, axisStart, axisEnd, axisLength: axis, segStart, segEnd, segAxis };
}

/** The buffers of a memory map, to transfer instead of copy. */
export function memoryMapBuffers(m: MemoryMap): ArrayBuffer[] {
  return [m.start, m.end, m.kind, m.captured, m.axisStart, m.axisEnd, m.segStart, m.segEnd, m.segAxis].map((a) => a.buffer as ArrayBuffer);
}
