/**
 * Seeded mutation: input number `index` of a run is a pure function of (run seed, index, seeds), so
 * any input can be made again from its number (the runner does so for inputs that hang a worker).
 */
import { hash32, Rng } from '../src/core/machine/rng.js';
import type { Field, Seed } from './types.js';

export interface Mutant {
  bytes: Uint8Array;
  seed: string;
  /** What was done, in order ("u32 MINIDUMP_HEADER.NumberOfStreams=0xffffffff", "truncate 0x1234"…). */
  steps: string[];
}

const TWO53 = 2n ** 53n;
/** Boundary values written into fields (truncated to the field's width). */
const BOUNDARY: readonly bigint[] = [
  0n, 1n, 2n, 3n, 7n, 8n, 0x10n, 0x7fn, 0x80n, 0xffn, 0x100n, 0xfffn, 0x1000n, 0x1001n, 0x7fffn, 0x8000n, 0xffffn, 0x10000n,
  0x100000n, 0x7fffffffn, 0x80000000n, 0xfffffffen, 0xffffffffn, 0x100000000n, 0x100001000n,
  TWO53 - 0x1000n, TWO53 - 1n, TWO53, TWO53 + 1n, TWO53 + 0x1000n, 2n ** 52n, 0x7ffffffffffff000n,
  0x7fffffffffffffffn, 0x8000000000000000n, 0xfffffffffffff000n, 0xfffffffffffffffen, 0xffffffffffffffffn,
  0x4547415045474150n, // the PAGE filler of kernel dump headers
];

/** Values where 64-bit fields stop fitting a JavaScript number (2^53) or wrap (2^64): asked for more often. */
const WIDE: readonly bigint[] = [TWO53 - 0x1000n, TWO53 - 0x2000n, TWO53 - 1n, TWO53, TWO53 + 0x1000n, 0x8000000000000000n, 0xfffffffffffff000n, 0xffffffffffffffffn];

/**
 * Fields that place or size things (offsets, RVAs, counts, sizes, page numbers, table bases) decide
 * what a reader does next: they are picked four times as often as the others.
 */
const STRUCTURAL = /Rva|Size|Count|Number|First|Pages|Offset|DirectoryTableBase|BasePage|PageCount|DumpType|StartOfMemoryRange|Pfn|map|Entries/;

function pickField(rng: Rng, fields: readonly Field[]): Field {
  const weight = (f: Field): number => (STRUCTURAL.test(f.name) ? 4 : 1);
  let total = 0;
  for (const f of fields) total += weight(f);
  let r = rng.int(0, total - 1);
  for (const f of fields) if ((r -= weight(f)) < 0) return f;
  return fields[fields.length - 1]!;
}

function widthMask(size: number): bigint {
  return (1n << BigInt(size * 8)) - 1n;
}

function readField(b: Uint8Array, f: Field): bigint {
  let v = 0n;
  for (let i = f.size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[f.offset + i]!);
  return v;
}

function writeField(b: Uint8Array, f: Field, value: bigint): void {
  let v = value & widthMask(f.size);
  for (let i = 0; i < f.size; i++) {
    b[f.offset + i] = Number(v & 0xffn);
    v >>= 8n;
  }
}

const hexn = (v: bigint | number): string => `0x${v.toString(16)}`;

/** A value for a field: a boundary value, the file size (± a little), or the old value nudged. */
function fieldValue(rng: Rng, b: Uint8Array, f: Field): bigint {
  const old = readField(b, f);
  const r = rng.int(0, 9);
  if (r <= 1 && f.size === 8) return rng.pick(WIDE);
  if (r <= 5) return rng.pick(BOUNDARY);
  if (r === 6) return BigInt(b.length) + BigInt(rng.int(-16, 16));
  if (r === 7) return old + BigInt(rng.int(-4, 4));
  if (r === 8) return old ^ (1n << BigInt(rng.int(0, f.size * 8 - 1)));
  return old * BigInt(rng.pick([2, 16, 256, 4096]));
}

/** Offsets near fields and the start of the file are where parsers decide things: mutate there more. */
function hotOffset(rng: Rng, b: Uint8Array, fields: Field[]): number {
  if (b.length === 0) return 0;
  const r = rng.int(0, 3);
  if (r === 0 && fields.length) return Math.min(b.length - 1, pickField(rng, fields).offset + rng.int(0, 7));
  if (r === 1) return rng.int(0, Math.min(b.length, 0x3000) - 1);
  return rng.int(0, b.length - 1);
}

/** Boundary values as a text format writes them (hex without 0x, decimal, signed, empty). */
const TEXT_NUMBERS = ['0', '1', 'f', 'fff', '1000', '7fffffff', '80000000', 'ffffffff', '100000000', '1fffffffffffff', '20000000000000', '20000000000001', '7fffffffffffffff', '8000000000000000', 'ffffffffffffffff', '10000000000000000', '-1', '-80000000', '9007199254740993', '1e400', ''];
const enc = new TextEncoder();

/** Replaces the hex/decimal number token at or after a random offset by a boundary value; undefined when there is none. */
function replaceNumber(rng: Rng, b: Uint8Array): { bytes: Uint8Array; step: string } | undefined {
  const isNum = (c: number | undefined): boolean => c !== undefined && ((c >= 0x30 && c <= 0x39) || (c >= 0x61 && c <= 0x66) || (c >= 0x41 && c <= 0x46));
  let at = rng.int(0, Math.max(0, b.length - 1));
  while (at < b.length && !(isNum(b[at]) && !isNum(b[at - 1]) && (at === 0 || b[at - 1] === 0x20 || b[at - 1] === 0x0a))) at++;
  if (at >= b.length) return undefined;
  let end = at;
  while (isNum(b[end])) end++;
  const value = rng.pick(TEXT_NUMBERS);
  const v = enc.encode(value);
  const out = new Uint8Array(b.length - (end - at) + v.length);
  out.set(b.subarray(0, at));
  out.set(v, at);
  out.set(b.subarray(end), at + v.length);
  return { bytes: out, step: `number @0x${at.toString(16)} "${new TextDecoder().decode(b.subarray(at, end))}" -> "${value}"` };
}

function concat(a: Uint8Array, b: Uint8Array): Uint8Array {
  const out = new Uint8Array(a.length + b.length);
  out.set(a);
  out.set(b, a.length);
  return out;
}

/** Input `index` of a run seeded `runSeed` over `seeds` (round-robin over the seeds, 1–5 mutations). */
export function mutant(seeds: readonly Seed[], runSeed: number, index: number): Mutant {
  const rng = new Rng(hash32(runSeed, index, 0x6675));
  const base = seeds[index % seeds.length]!;
  let bytes: Uint8Array = base.bytes.slice();
  const fields = base.fields;
  const steps: string[] = [];
  const n = 1 + (rng.int(0, 7) === 0 ? rng.int(1, 4) : rng.int(0, 1));
  for (let k = 0; k < n; k++) {
    const live = fields.filter((f) => f.offset + f.size <= bytes.length);
    const r = rng.int(0, 99);
    const replaced = base.text && r < 40 ? replaceNumber(rng, bytes) : undefined;
    if (replaced) {
      bytes = replaced.bytes;
      steps.push(replaced.step);
    } else if (r < 40 && live.length) {
      const f = pickField(rng, live);
      const v = fieldValue(rng, bytes, f);
      writeField(bytes, f, v);
      steps.push(`u${f.size * 8} ${f.name} @${hexn(f.offset)} = ${hexn(v & widthMask(f.size))}`);
    } else if (r < 60 && bytes.length) {
      const at = hotOffset(rng, bytes, live);
      const bit = rng.int(0, 7);
      bytes[at]! ^= 1 << bit;
      steps.push(`flip bit ${bit} @${hexn(at)}`);
    } else if (r < 68 && bytes.length) {
      const at = hotOffset(rng, bytes, live);
      const len = Math.min(rng.pick([1, 2, 4, 8, 16]), bytes.length - at);
      const fill = rng.int(0, 2) === 0 ? rng.pick([0x00, 0xff, 0x7f, 0x80]) : -1;
      for (let i = 0; i < len; i++) bytes[at + i] = fill >= 0 ? fill : rng.u32() & 0xff;
      steps.push(`${fill >= 0 ? `fill ${hexn(fill)}` : 'random bytes'} x${len} @${hexn(at)}`);
    } else if (r < 80) {
      // truncation: at a field (inside a structure), near the end, or anywhere
      const t = rng.int(0, 2);
      const at = t === 0 && live.length ? pickField(rng, live).offset + rng.int(0, 8) : t === 1 ? bytes.length - rng.int(1, 4096) : rng.int(0, bytes.length);
      const cut = Math.max(0, Math.min(bytes.length, at));
      bytes = bytes.slice(0, cut);
      steps.push(`truncate to ${hexn(cut)}`);
    } else if (r < 92) {
      // splice: this input up to `at`, then another seed from `from` (same offset, or anywhere)
      const other = seeds[rng.int(0, seeds.length - 1)]!;
      const at = rng.int(0, bytes.length);
      const from = rng.int(0, 1) === 0 ? Math.min(at, other.bytes.length) : rng.int(0, other.bytes.length);
      bytes = concat(bytes.subarray(0, at), other.bytes.subarray(from, from + Math.max(0, 4 << 20)));
      steps.push(`splice ${hexn(at)} <- ${other.name} @${hexn(from)}`);
    } else if (bytes.length > 16) {
      // copy a block over another place of the same input (structures land where others are expected)
      const len = rng.pick([8, 16, 24, 32, 64, 256]);
      const from = rng.int(0, Math.max(0, bytes.length - len));
      const to = hotOffset(rng, bytes, live);
      bytes.copyWithin(to, from, from + len);
      steps.push(`copy ${len} bytes @${hexn(from)} -> @${hexn(to)}`);
    }
  }
  return { bytes, seed: base.name, steps };
}

/** Input `index` of a run: the given input (replay), or the mutant of the seeds. */
export function inputAt(d: { inputs?: Uint8Array[]; seeds: readonly Seed[]; runSeed: number }, index: number): Mutant {
  if (d.inputs) return { bytes: d.inputs[index]!, seed: d.seeds[index]?.name ?? `input ${index}`, steps: [] };
  return mutant(d.seeds, d.runSeed, index);
}
