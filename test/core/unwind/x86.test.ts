import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import type { StackWinRecord } from '../../../src/core/symbols/types.js';
import { ModuleIndex } from '../../../src/core/unwind/modules.js';
import { walkStack } from '../../../src/core/unwind/walker.js';
import { RegionMemory, StackImage, TableSymbols, module } from '../../fixtures/stack-fixture.js';

const app = module('app.exe', 0x400000n, 0x10000n);
const modules = new ModuleIndex([app]);
const BASE = 0x12f000n;
const fns = (g: { parameterSize?: number } = {}) =>
  new Map([
    [
      app,
      [
        { name: 'main', start: 0x401000n, size: 0x100n },
        { name: 'F', start: 0x401100n, size: 0x100n },
        { name: 'G', start: 0x401200n, size: 0x100n, ...g },
      ],
    ],
  ]);

function win(over: Partial<StackWinRecord>): StackWinRecord {
  return { type: 4, rva: 0n, codeSize: 0x100, prologSize: 0, epilogSize: 0, parameterSize: 0, savedRegisterSize: 0, localSize: 0, maxStackSize: 0, allocatesBasePointer: false, ...over };
}

function walk(img: StackImage, registers: Record<string, bigint>, extra: Partial<Parameters<typeof walkStack>[0]> = {}) {
  return walkStack({ arch: 'x86', registers, memory: new RegionMemory([img.stack]), modules, stack: img.stack, os: 'windows', ...extra });
}

describe('x86 walker', () => {
  test('ebp chain (no validation, as rust-minidump and Breakpad), ends at a null return address', async () => {
    const img = new StackImage(BASE, 0x400, 4).word(0x14, 0x401150n);
    img.word(0x10, BASE + 0x40n).word(0x40, BASE + 0x80n).word(0x44, 0x401050n).word(0x80, 0n).word(0x84, 0n);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: BASE + 0x10n });
    assert.deepEqual(s.frames.map((f) => [f.instruction, f.trust, f.registers.esp, f.registers.ebp]), [
      [0x401250n, 'context', BASE, BASE + 0x10n],
      [0x401150n, 'frame_pointer', BASE + 0x18n, BASE + 0x40n],
      [0x401050n, 'frame_pointer', BASE + 0x48n, BASE + 0x80n],
    ]);
    assert.equal(s.end, 'end-of-stack');
  });

  test('STACK WIN program string: $T0-based frame, trust cfi, ebx assigned by the program is kept', async () => {
    const img = new StackImage(BASE, 0x400, 4).word(0x10, BASE + 0x40n).word(0x14, 0x401150n).word(0x0c, 0x99n);
    const program = '$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + = $ebx $T0 4 - ^ =';
    const symbols = new TableSymbols(fns(), [{ start: 0x401200n, end: 0x401300n, info: { kind: 'win', source: 'breakpad', record: win({ programString: program }) } }]);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: BASE + 0x10n, ebx: 1n, esi: 2n }, { symbols });
    assert.deepEqual(s.frames[1]!.registers, { eip: 0x401150n, esp: BASE + 0x18n, ebp: BASE + 0x40n, ebx: 0x99n });
    assert.equal(s.frames[1]!.trust, 'cfi');
  });

  test('FPO record without a base pointer: eip at esp + locals + saved registers, ebp and ebx carried through', async () => {
    const img = new StackImage(BASE, 0x400, 4).word(0x0c, 0x401150n);
    const symbols = new TableSymbols(fns(), [{ start: 0x401200n, end: 0x401300n, info: { kind: 'win', source: 'breakpad', record: win({ type: 0, localSize: 8, savedRegisterSize: 4 }) } }]);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: 0x5555n, ebx: 7n }, { symbols });
    assert.deepEqual(s.frames[1]!.registers, { eip: 0x401150n, esp: BASE + 0x10n, ebp: 0x5555n, ebx: 7n });
    assert.equal(s.frames[1]!.trust, 'cfi');
  });

  test("FPO record allocating ebp: ebp from the saved-register area; the callee's parameter size moves .raSearchStart", async () => {
    // Frame 0 in G (a $T0 program, 8 bytes of parameters); frame 1 in F (FPO, allocates ebp).
    // F's esp after G returns points at G's 8 parameter bytes; then F's saved registers (8 bytes,
    // ebp saved at their lowest word… + 8 − 8), its 4 bytes of locals, then F's return address.
    const img = new StackImage(BASE, 0x400, 4)
      .word(0x10, BASE + 0x200n).word(0x14, 0x401150n) // G's frame: saved ebp, return into F
      .word(0x20, BASE + 0x300n) // F's saved ebp (esp1 + 8 + 8 − 8)
      .word(0x2c, 0x401050n); // F's return into main: esp1 + 8 + 8 + 4
    const program = '$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =';
    const symbols = new TableSymbols(fns(), [
      { start: 0x401200n, end: 0x401300n, info: { kind: 'win', source: 'breakpad', record: win({ programString: program, parameterSize: 8 }) } },
      { start: 0x401100n, end: 0x401200n, info: { kind: 'win', source: 'breakpad', record: win({ type: 0, savedRegisterSize: 8, localSize: 4, allocatesBasePointer: true }) } },
    ]);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: BASE + 0x10n }, { symbols });
    assert.deepEqual(s.frames[1]!.registers, { eip: 0x401150n, esp: BASE + 0x18n, ebp: BASE + 0x200n });
    assert.deepEqual(s.frames[2]!.registers, { eip: 0x401050n, esp: BASE + 0x30n, ebp: BASE + 0x300n });
    assert.deepEqual(s.frames.map((f) => f.trust), ['context', 'cfi', 'cfi']);
  });

  test('STACK WIN return address outside every module: rescanned above .raSearchStart (cfi_scan)', async () => {
    const img = new StackImage(BASE, 0x400, 4).word(0x00, 0xdead0000n).word(0x04, 0x77n).word(0x08, 0x401150n);
    const symbols = new TableSymbols(fns(), [{ start: 0x401200n, end: 0x401300n, info: { kind: 'win', source: 'breakpad', record: win({ type: 0 }) } }]);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: 0n }, { symbols });
    assert.deepEqual([s.frames[1]!.instruction, s.frames[1]!.registers.esp], [0x401150n, BASE + 0x0cn]);
  });

  test('malformed program string: diagnostic, then the ebp chain', async () => {
    const img = new StackImage(BASE, 0x400, 4).word(0x10, BASE + 0x40n).word(0x14, 0x401150n).word(0x40, 0n).word(0x44, 0n);
    const diagnostics = new Diagnostics();
    const symbols = new TableSymbols(fns(), [{ start: 0x401200n, end: 0x401300n, info: { kind: 'win', source: 'breakpad', record: win({ programString: '$eip $esp ^ = $esp $esp 4 + = %%' }) } }]);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: BASE + 0x10n }, { symbols, diagnostics });
    assert.equal(s.frames[1]!.trust, 'frame_pointer');
    assert.match(diagnostics.items[0]!, /STACK WIN program at 0x401250 is malformed/);
  });

  test('an ebp pointing at itself: the walk stops (no progress), no endless loop', async () => {
    const img = new StackImage(BASE, 0x400, 4).word(0x10, BASE + 0x10n).word(0x14, 0x401150n);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: BASE + 0x10n });
    assert.equal(s.frames.length, 2);
    assert.equal(s.end, 'no-progress');
  });

  test('scan: ebp recovered from just below the return address', async () => {
    const img = new StackImage(BASE, 0x400, 4).word(0x04, BASE + 0x80n).word(0x08, 0x401150n).word(0x80, 0n);
    const s = await walk(img, { eip: 0x401250n, esp: BASE, ebp: 0xffffff00n }, { symbols: new TableSymbols(fns()) });
    assert.deepEqual(s.frames[1]!.registers, { eip: 0x401150n, esp: BASE + 0x0cn, ebp: BASE + 0x80n });
    assert.equal(s.frames[1]!.trust, 'scan');
  });
});
