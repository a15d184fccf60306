/**
 * Hostile stacks and unwind data: seeded random stack bytes, registers and rule strings for every
 * architecture. The walker must return (never throw), stay under its bounds, and keep sp growing.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { Rng } from '../../../src/core/machine/rng.js';
import type { UnwindInfo } from '../../../src/core/symbols/types.js';
import { ModuleIndex } from '../../../src/core/unwind/modules.js';
import type { WalkEnd } from '../../../src/core/unwind/types.js';
import { walkStack } from '../../../src/core/unwind/walker.js';
import { RegionMemory, StackImage, TableSymbols, module } from '../../fixtures/stack-fixture.js';

const TOKENS = ['+', '-', '*', '/', '%', '@', '^', '=', '.cfa', '.ra', '.undef', '$T0', '$eip', '$esp', '$ebp', 'rsp', 'sp', 'x30', 'esp', 'ebp', 'rbp', '.raSearch', '.cbParams', '8', '-8', '16', '0', '4', '0x10', '?', 'pc'];
const ENDS: WalkEnd[] = ['end-of-stack', 'frame-cap', 'no-progress', 'memory-missing', 'no-caller', 'no-context', 'limit'];
const ARCHES = [
  { arch: 'amd64', word: 8, pc: 'rip', sp: 'rsp', fp: 'rbp' },
  { arch: 'x86', word: 4, pc: 'eip', sp: 'esp', fp: 'ebp' },
  { arch: 'arm64', word: 8, pc: 'pc', sp: 'sp', fp: 'x29' },
  { arch: 'arm', word: 4, pc: 'pc', sp: 'sp', fp: 'r11' },
] as const;

describe('walker on hostile input', () => {
  test('random stacks, registers and rule strings: a result within bounds, never an exception', async () => {
    const random = new Rng(0x5eed); // seeded: a failure replays
    const next = () => random.u32();
    const app = module('app', 0x10000n, 0x10000n);
    const modules = new ModuleIndex([app]);
    const base = 0x20000n;
    for (let i = 0; i < 400; i++) {
      const a = ARCHES[i % ARCHES.length]!;
      const img = new StackImage(base, 0x1000, a.word);
      for (let o = 0; o < 0x1000; o += a.word) {
        const r = next() % 4;
        // Words that point into the stack, into the module, or anywhere.
        const v = r === 0 ? base + BigInt(next() % 0x1000) : r === 1 ? 0x10000n + BigInt(next() % 0x10000) : BigInt(next());
        img.word(o, v);
      }
      const rule = () => Array.from({ length: 1 + (next() % 6) }, () => TOKENS[next() % TOKENS.length]!).join(' ');
      const info: UnwindInfo =
        a.arch === 'x86' && next() % 2
          ? { kind: 'win', source: 'breakpad', record: { type: next() % 2 ? 4 : 0, rva: 0n, codeSize: 0x10000, prologSize: 0, epilogSize: 0, parameterSize: next() % 64, savedRegisterSize: next() % 64, localSize: next() % 256, maxStackSize: 0, programString: next() % 3 ? rule() + ' =' : undefined, allocatesBasePointer: next() % 2 === 0 } }
          : { kind: 'cfi', source: 'model', rules: { '.cfa': rule(), '.ra': rule(), [a.fp]: rule() } };
      const symbols = new TableSymbols(new Map([[app, [{ name: 'f', start: 0x10000n, size: 0x8000n }]]]), [{ start: 0x10000n, end: 0x20000n, info }]);
      const registers = { [a.pc]: 0x10000n + BigInt(next() % 0x10000), [a.sp]: base + BigInt(next() % 0x1000), [a.fp]: base + BigInt(next() % 0x1000) };
      const diagnostics = new Diagnostics();
      const s = await walkStack({ arch: a.arch, registers, memory: new RegionMemory([img.stack]), modules, stack: img.stack, symbols, diagnostics, limits: { maxFrames: 64 } });
      assert.ok(s.frames.length >= 1 && s.frames.length <= 64, `${i}: ${s.frames.length} frames`);
      assert.ok(ENDS.includes(s.end), `${i}: end ${s.end}`);
      for (let k = 1; k < s.frames.length; k++) {
        const sp = s.frames[k]!.registers[a.sp]!;
        const prev = s.frames[k - 1]!.registers[a.sp]!;
        assert.ok(sp >= prev, `${i}: frame ${k} sp went down`);
        assert.ok(s.frames[k]!.instruction >= 4096n, `${i}: frame ${k} pc in the first page`);
      }
    }
  });
});
