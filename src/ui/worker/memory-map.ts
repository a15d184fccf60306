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

/**
 * Ranges (any order; empty ones dropped) → the arrays of MemoryMap, sorted by start (overlaps are
 * kept; the later range draws on top). The axis is computed in doubles: exact below 2^53, and for
 * page-aligned addresses above it; bigints only where exact addresses are shown. (Tens of thousands
 * of ranges: a bigint per step would be mostly garbage collection.)
 */
export function buildMemoryMap(space: MemoryMap['space'], kinds: string[], input: readonly MapRange[]): MemoryMap {
  const s0 = new Float64Array(input.length);
  const e0 = new Float64Array(input.length);
  const keep: number[] = [];
  let sorted = true;
  for (let i = 0; i < input.length; i++) {
    const r = input[i]!;
    if (r.end <= r.start) continue;
    s0[i] = Number(r.start);
    e0[i] = Number(r.end);
    if (keep.length && s0[i]! < s0[keep[keep.length - 1]!]!) sorted = false;
    keep.push(i);
  }
  const order = Uint32Array.from(keep);
  if (!sorted) order.sort((a, b) => s0[a]! - s0[b]! || a - b);
  const n = order.length;
  const start = new BigUint64Array(n);
  const end = new BigUint64Array(n);
  const kind = new Uint8Array(n);
  const captured = new Uint8Array(n);
  // Segments: the union of the ranges, in order.
  const segS: number[] = [];
  const segE: number[] = [];
  for (let i = 0; i < n; i++) {
    const o = order[i]!;
    const r = input[o]!;
    start[i] = r.start;
    end[i] = r.end;
    kind[i] = r.kind;
    captured[i] = r.captured ? 1 : 0;
    const last = segE.length - 1;
    if (last >= 0 && s0[o]! <= segE[last]!) {
      if (e0[o]! > segE[last]!) segE[last] = e0[o]!;
    } else {
      segS.push(s0[o]!);
      segE.push(e0[o]!);
    }
  }
  let mapped = 0;
  for (let j = 0; j < segS.length; j++) mapped += segE[j]! - segS[j]!;
  const gapCap = Math.max(4096, mapped * GAP_SHARE);
  const segAxis = new Float64Array(segS.length);
  let axis = 0;
  for (let j = 0; j < segS.length; j++) {
    if (j > 0) axis += Math.min(gapCap, segS[j]! - segE[j - 1]!);
    segAxis[j] = axis;
    axis += segE[j]! - segS[j]!;
  }
  const axisStart = new Float64Array(n);
  const axisEnd = new Float64Array(n);
  let j = 0;
  for (let i = 0; i < n; i++) {
    const o = order[i]!;
    while (j + 1 < segS.length && segS[j + 1]! <= s0[o]!) j++;
    axisStart[i] = segAxis[j]! + (s0[o]! - segS[j]!);
    axisEnd[i] = axisStart[i]! + (e0[o]! - s0[o]!);
  }
  const segStart = BigUint64Array.from(segS, (x) => BigInt(x));
  const segEnd = BigUint64Array.from(segE, (x) => BigInt(x));
  return { space, kinds, start, end, kind, captured, axisStart, axisEnd, axisLength: axis, segStart, segEnd, segAxis, notes: [] };
}

/** The buffers of a memory map, to transfer instead of copy. */
export function memoryMapBuffers(m: MemoryMap): ArrayBuffer[] {
  return [m.start, m.end, m.kind, m.captured, m.axisStart, m.axisEnd, m.segStart, m.segEnd, m.segAxis].map((a) => a.buffer as ArrayBuffer);
}
