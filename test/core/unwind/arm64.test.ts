import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModuleIndex } from '../../../src/core/unwind/modules.js';
import { walkStack } from '../../../src/core/unwind/walker.js';
import { RegionMemory, StackImage, TableSymbols, module } from '../../fixtures/stack-fixture.js';

const app = module('app', 0x400000n, 0x10000n);
const modules = new ModuleIndex([app]);
const BASE = 0x16fd00000n;
const fns = () => new Map([[app, [{ name: 'main', start: 0x401000n, size: 0x100n }, { name: 'foo', start: 0x401100n, size: 0x100n }, { name: 'leaf', start: 0x401200n, size: 0x100n }]]]);

function walk(img: StackImage, registers: Record<string, bigint>, extra: Partial<Parameters<typeof walkStack>[0]> = {}) {
  return walkStack({ arch: 'arm64', registers, memory: new RegionMemory([img.stack]), modules, stack: img.stack, os: 'macos', ...extra });
}

describe('arm64 walker', () => {
  test('x29 frame records; pointer-authentication bits stripped from return addresses', async () => {
    const img = new StackImage(BASE, 0x400, 8)
      .word(0x100, BASE + 0x200n).word(0x108, 0x0012000000401150n)
      .word(0x200, 0n).word(0x208, 0x401050n);
    const s = await walk(img, { pc: 0x401250n, sp: BASE + 0xf0n, x29: BASE + 0x100n, fp: BASE + 0x100n, x30: 0x401154n, lr: 0x401154n }, { symbols: new TableSymbols(fns()) });
    assert.deepEqual(s.frames.map((f) => [f.instruction, f.trust, f.symbol?.function]), [
      [0x401250n, 'context', 'leaf'],
      [0x401150n, 'frame_pointer', 'foo'],
      [0x401050n, 'frame_pointer', 'main'],
    ]);
    assert.equal(s.frames[1]!.registers.sp, BASE + 0x110n);
    assert.equal(s.frames[1]!.registers.x30, 0x401050n);
  });

  test('CFI for a leaf: the return address is lr, sp unchanged (allowed only from the context frame)', async () => {
    const img = new StackImage(BASE, 0x400, 8).word(0x100, 0n).word(0x108, 0x401050n);
    const symbols = new TableSymbols(fns(), [{ start: 0x401200n, end: 0x401300n, info: { kind: 'cfi', source: 'model', rules: { '.cfa': 'sp 0 +', '.ra': 'x30' } } }]);
    const s = await walk(img, { pc: 0x401210n, sp: BASE + 0x100n, x29: BASE + 0x100n, fp: BASE + 0x100n, x30: 0x401150n, lr: 0x401150n, x19: 3n }, { symbols });
    assert.deepEqual(s.frames.map((f) => [f.instruction, f.trust]), [
      [0x401210n, 'context'],
      [0x401150n, 'cfi'],
      [0x401050n, 'frame_pointer'],
    ]);
    assert.equal(s.frames[1]!.registers.sp, BASE + 0x100n);
    assert.equal(s.frames[1]!.registers.x19, 3n);
    assert.equal(s.frames[1]!.registers.fp, BASE + 0x100n);
  });

  test('scan when there is no frame record', async () => {
    const img = new StackImage(BASE, 0x400, 8).word(0x10, 0x401150n);
    const s = await walk(img, { pc: 0x401210n, sp: BASE, x29: 0n, fp: 0n }, { symbols: new TableSymbols(fns()) });
    assert.deepEqual([s.frames[1]!.instruction, s.frames[1]!.trust, s.frames[1]!.registers.sp], [0x401150n, 'scan', BASE + 0x18n]);
  });
});
