import { findMapping, isCopyable, isFileBacked, type Mapping } from '../linux/maps.js';
import { MinidumpType } from './writer/constants.js';
import type { CpuRegisters } from './writer/model.js';

/**
 * The three dump varieties as data: which memory each keeps. Applied to a live process's
 * mappings by capture, and (same rules) when deriving a smaller dump from a larger one.
 */
export type Variety = 'full' | 'miniplus' | 'mini';
export const VARIETIES: readonly Variety[] = ['full', 'miniplus', 'mini'];

export interface VarietyRules {
  /** Header MINIDUMP_TYPE flags. */
  flags: bigint;
  /** Keep every copyable mapping (bulk memory). */
  bulk: boolean;
  /** Drop file-backed mappings whose pages are all still the file's (the debugger reads them from disk). */
  dropUnmodifiedImages: boolean;
  /** Drop the largest private area (sum of same-size anonymous mappings) above this many bytes… */
  largestAreaThreshold?: number;
  /** …except the chunks of this size that a thread stack or register points into. */
  keepChunkSize?: number;
  /** Bytes kept on each side of a register value that points into mapped memory. */
  registerWindow: number;
}

const MiB = 1024 * 1024;

export const VARIETY_RULES: Record<Variety, VarietyRules> = {
  full: {
    flags: MinidumpType.MiniDumpWithFullMemory | MinidumpType.MiniDumpWithFullMemoryInfo | MinidumpType.MiniDumpIgnoreInaccessibleMemory,
    bulk: true,
    dropUnmodifiedImages: false,
    registerWindow: 256,
  },
  miniplus: {
    flags:
      MinidumpType.MiniDumpWithPrivateReadWriteMemory |
      MinidumpType.MiniDumpWithPrivateWriteCopyMemory |
      MinidumpType.MiniDumpWithFullMemoryInfo |
      MinidumpType.MiniDumpIgnoreInaccessibleMemory,
    bulk: true,
    dropUnmodifiedImages: true,
    largestAreaThreshold: 512 * MiB,
    keepChunkSize: 4 * MiB,
    registerWindow: 256,
  },
  mini: {
    flags: MinidumpType.MiniDumpNormal | MinidumpType.MiniDumpWithIndirectlyReferencedMemory | MinidumpType.MiniDumpWithFullMemoryInfo,
    bulk: false,
    dropUnmodifiedImages: false,
    registerWindow: 256,
  },
};

export function parseVariety(text: string): Variety | undefined {
  return (VARIETIES as readonly string[]).includes(text) ? (text as Variety) : undefined;
}

export interface PlanThread {
  id: number;
  sp: bigint;
  /** Register values worth keeping memory around (general registers, pc). */
  registerValues: bigint[];
}

export interface PlannedRange {
  address: bigint;
  size: number;
  kind: 'stack' | 'small' | 'bulk';
}

/** Stack of each thread: from the stack pointer (page-aligned down) to the end of its mapping. */
export function stackRanges(mappings: Mapping[], threads: PlanThread[], pageSize = 4096n): Map<number, { address: bigint; size: number }> {
  const out = new Map<number, { address: bigint; size: number }>();
  for (const t of threads) {
    const m = findMapping(mappings, t.sp);
    if (!m || !isCopyable(m)) continue;
    let start = t.sp - (t.sp % pageSize);
    if (start < m.start) start = m.start;
    out.set(t.id, { address: start, size: Number(m.end - start) });
  }
  return out;
}

/**
 * The memory a variety keeps. `stackWords(tid)` yields the pointer-sized values on a thread's
 * captured stack (only miniplus needs them, to rescue chunks of the dropped area).
 */
export function planMemory(
  variety: Variety,
  mappings: Mapping[],
  threads: PlanThread[],
  stackWords: (tid: number) => Iterable<bigint>,
  pageSize = 4096n,
): { ranges: PlannedRange[]; stacks: Map<number, { address: bigint; size: number }>; dropped: { area: number; keptChunks: number } } {
  const rules = VARIETY_RULES[variety];
  const stacks = stackRanges(mappings, threads, pageSize);
  const smallIntervals: [bigint, bigint][] = [];
  for (const s of stacks.values()) smallIntervals.push([s.address, s.address + BigInt(s.size)]);
  for (const t of threads) {
    for (const v of t.registerValues) {
      const m = findMapping(mappings, v);
      if (!m || !isCopyable(m)) continue;
      const w = BigInt(rules.registerWindow);
      const lo = v - w < m.start ? m.start : v - w;
      const hi = v + w > m.end ? m.end : v + w;
      smallIntervals.push([lo, hi]);
    }
  }
  const small = mergeIntervals(smallIntervals);
  const stackStarts = [...stacks.values()].map((s) => s.address);
  const ranges: PlannedRange[] = small.map(([a, b]) => ({
    address: a,
    size: Number(b - a),
    kind: stackStarts.some((s) => s >= a && s < b) ? 'stack' : 'small',
  }));
  const dropped = { area: 0, keptChunks: 0 };
  if (rules.bulk) {
    let keep = mappings.filter(isCopyable);
    if (rules.dropUnmodifiedImages) keep = keep.filter((m) => !(isFileBacked(m) && isUnmodified(m)));
    let bulk: [bigint, bigint][] = keep.map((m) => [m.start, m.end]);
    if (rules.largestAreaThreshold !== undefined && rules.keepChunkSize) {
      const area = largestPrivateArea(keep);
      if (area && area.total > rules.largestAreaThreshold) {
        const chunk = BigInt(rules.keepChunkSize);
        const rescued = new Set<bigint>();
        const inArea = (v: bigint): Mapping | undefined => {
          const m = findMapping(area.mappings, v);
          return m;
        };
        const consider = (v: bigint): void => {
          const m = inArea(v);
          if (m) rescued.add(m.start + ((v - m.start) / chunk) * chunk);
        };
        for (const t of threads) {
          for (const v of t.registerValues) consider(v);
          for (const v of stackWords(t.id)) consider(v);
        }
        const areaSet = new Set(area.mappings);
        bulk = keep.filter((m) => !areaSet.has(m)).map((m) => [m.start, m.end] as [bigint, bigint]);
        for (const c of rescued) {
          const m = inArea(c)!;
          bulk.push([c, c + chunk > m.end ? m.end : c + chunk]);
        }
        bulk.sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
        dropped.area = area.total;
        dropped.keptChunks = rescued.size;
      }
    }
    for (const [a, b] of subtractIntervals(bulk, small)) ranges.push({ address: a, size: Number(b - a), kind: 'bulk' });
  }
  ranges.sort((x, y) => (x.address < y.address ? -1 : x.address > y.address ? 1 : 0));
  return { ranges, stacks, dropped };
}

function isUnmodified(m: Mapping): boolean {
  if (m.anonymousBytes !== undefined) return m.anonymousBytes === 0;
  return m.perms[1] !== 'w';
}

/** ProcDump's "memory area": the sum of private allocations of the same size; the largest one. */
export function largestPrivateArea(mappings: Mapping[]): { size: bigint; total: number; mappings: Mapping[] } | undefined {
  const groups = new Map<bigint, Mapping[]>();
  for (const m of mappings) {
    if (isFileBacked(m) || m.perms[3] !== 'p' || m.perms[1] !== 'w') continue;
    if (m.path !== '' && m.path !== '[heap]') continue;
    const size = m.end - m.start;
    const g = groups.get(size) ?? [];
    g.push(m);
    groups.set(size, g);
  }
  let best: { size: bigint; total: number; mappings: Mapping[] } | undefined;
  for (const [size, ms] of groups) {
    const total = Number(size) * ms.length;
    if (!best || total > best.total) best = { size, total, mappings: ms };
  }
  return best;
}

export function mergeIntervals(iv: [bigint, bigint][]): [bigint, bigint][] {
  const s = iv.filter(([a, b]) => b > a).sort((x, y) => (x[0] < y[0] ? -1 : x[0] > y[0] ? 1 : 0));
  const out: [bigint, bigint][] = [];
  for (const [a, b] of s) {
    const last = out[out.length - 1];
    if (last && a <= last[1]) {
      if (b > last[1]) last[1] = b;
    } else out.push([a, b]);
  }
  return out;
}

/** `from` minus `holes`; both sorted and internally non-overlapping. */
export function subtractIntervals(from: [bigint, bigint][], holes: [bigint, bigint][]): [bigint, bigint][] {
  const out: [bigint, bigint][] = [];
  for (const [a0, b] of from) {
    let a = a0;
    for (const [ha, hb] of holes) {
      if (hb <= a || ha >= b) continue;
      if (ha > a) out.push([a, ha]);
      a = hb > a ? hb : a;
      if (a >= b) break;
    }
    if (a < b) out.push([a, b]);
  }
  return out;
}

/** Registers not worth keeping memory around (segment selectors, flags, the syscall number, TLS bases). */
const NOT_POINTERS = new Set(['cs', 'ss', 'ds', 'es', 'fs', 'gs', 'eflags', 'orig_rax', 'orig_eax', 'fs_base', 'gs_base', 'pstate', 'cpsr', 'fpsr', 'fpcr', 'tpidr_el0']);

/** A thread's register values that may point at memory worth keeping (PlanThread.registerValues). */
export function planRegisterValues(regs: CpuRegisters): bigint[] {
  return Object.entries(regs.gpr)
    .filter(([k]) => !NOT_POINTERS.has(k))
    .map(([, v]) => v);
}

/** The little-endian words (4 or 8 bytes) of a buffer, e.g. a captured stack for planMemory's stackWords. */
export function wordsOf(buf: Uint8Array, size: 4 | 8): bigint[] {
  const dv = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  const out: bigint[] = [];
  for (let o = 0; o + size <= buf.length; o += size) out.push(size === 8 ? dv.getBigUint64(o, true) : BigInt(dv.getUint32(o, true)));
  return out;
}
