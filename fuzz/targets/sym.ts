/**
 * Breakpad .sym files: indexBreakpadSym (the symbols reader's entry for arbitrary bytes), stats, and
 * lookups (functions, lines, inlines, publics), STACK WIN and STACK CFI rules at addresses taken from
 * the input's own records and at boundary addresses. Seeds: the shared corpus
 * (/work/shared/corpus/symbols, read in place; absent → a note) cut to the head, a middle slice and
 * the tail of each file (all record kinds, small inputs), and a generated file with every record kind.
 * Numbers in the text are replaced by boundary values as text (fuzz/mutate.ts).
 */
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { MemorySource } from '../../src/core/bytes/memory-source.js';
import { Diagnostics } from '../../src/core/diagnostics.js';
import { indexBreakpadSym } from '../../src/core/symbols/breakpad/index.js';
import { corpusRoot } from '../../test/helpers/corpus.js';
import { Accessors } from '../drive.js';
import type { FuzzTarget, RunOutcome, Seed } from '../types.js';

const corpus = `${corpusRoot}symbols/`;
const LINES = 120;

function symFiles(dir: string): string[] {
  const out: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    const p = join(dir, name);
    if (statSync(p).isDirectory()) out.push(...symFiles(p));
    else if (name.endsWith('.sym')) out.push(p);
  }
  return out;
}

/** The first, a middle and the last LINES lines: every record kind a file has, in a small input. */
function cut(text: string): string {
  const lines = text.split('\n');
  if (lines.length <= 3 * LINES) return text;
  const mid = Math.floor(lines.length / 2);
  return [...lines.slice(0, LINES), ...lines.slice(mid, mid + LINES), ...lines.slice(-LINES)].join('\n');
}

const GENERATED = [
  'MODULE Linux x86_64 D2554CDB926136C4B9766A086583B9B50 crash',
  'INFO CODE_ID DB4C55D23689C4619B766A086583B9B5',
  'FILE 0 /src/crash.c',
  'FILE 1 /src/inl.h',
  'INLINE_ORIGIN 0 inlined_fn',
  'FUNC 1000 40 0 main',
  'INLINE 0 12 1 0 1010 8',
  '1000 10 10 0',
  '1010 8 3 1',
  '1018 28 11 0',
  'FUNC m 1040 20 8 helper',
  '1040 20 20 0',
  'PUBLIC 1060 0 public_fn',
  'PUBLIC m 1070 4 other',
  'STACK CFI INIT 1000 40 .cfa: $rsp 8 + .ra: .cfa -8 + ^',
  'STACK CFI 1001 .cfa: $rsp 16 + $rbp: .cfa -16 + ^',
  'STACK CFI 1004 .cfa: $rbp 16 +',
  'STACK WIN 4 1040 20 4 0 8 0 0 0 1 $T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ =',
  'STACK WIN 0 1060 10 0 0 0 0 0 0 0',
  '',
].join('\n');

async function seeds(): Promise<{ seeds: Seed[]; notes: string[] }> {
  const out: Seed[] = [];
  const notes: string[] = [];
  if (existsSync(corpus)) for (const f of symFiles(corpus)) out.push({ name: f.slice(corpus.length), bytes: new TextEncoder().encode(cut(readFileSync(f, 'utf8'))), fields: [], text: true });
  else notes.push(`corpus not found at ${corpus}: the generated seed only`);
  out.push({ name: 'generated:every record kind', bytes: new TextEncoder().encode(GENERATED), fields: [], text: true });
  return { seeds: out, notes };
}

/** Addresses named by the input's own FUNC / PUBLIC / STACK records (first few), as numbers. */
function addressesIn(input: Uint8Array): number[] {
  const text = new TextDecoder().decode(input.subarray(0, 64 * 1024));
  const out: number[] = [];
  for (const m of text.matchAll(/^(?:FUNC(?: m)?|PUBLIC(?: m)?|STACK CFI INIT|STACK WIN \w+) ([0-9a-fA-F]{1,16})/gm)) {
    const v = Number.parseInt(m[1]!, 16);
    if (Number.isSafeInteger(v)) out.push(v, v + 1, v + 0x10);
    if (out.length >= 48) break;
  }
  return out;
}

async function drive(input: Uint8Array): Promise<RunOutcome> {
  const a = new Accessors();
  const sym = await indexBreakpadSym(new MemorySource(input, 'fuzz input'), new Diagnostics());
  sym.stats();
  for (const at of [...addressesIn(input), 0, 1, 0xffffffff, 2 ** 32, Number.MAX_SAFE_INTEGER]) {
    await a.try(() => sym.lookup(at));
    await a.try(() => sym.stackWin(at));
    await a.try(() => sym.cfiRules(at));
  }
  return { accessorErrors: a.errors };
}

export const target: FuzzTarget = {
  name: 'sym',
  description: 'Breakpad .sym files: index, stats, lookups with lines and inlines, STACK WIN and STACK CFI rules',
  seeds,
  run: drive,
};
