import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { ModuleIndex } from '../../../src/core/unwind/modules.js';
import { walkStack } from '../../../src/core/unwind/walker.js';
import { RegionMemory, StackImage, TableSymbols, module } from '../../fixtures/stack-fixture.js';

const app = module('app', 0x10000n, 0x10000n);
const modules = new ModuleIndex([app]);
const BASE = 0xbe000000n;
const fns = () => new Map([[app, [{ name: 'main', start: 0x11000n, size: 0x100n }, { name: 'foo', start: 0x11100n, size: 0x100n }]]]);

function walk(img: StackImage, registers: Record<string, bigint>, extra: Partial<Parameters<typeof walkStack>[0]> = {}) {
  return walkStack({ arch: 'arm', registers, memory: new RegionMemory([img.stack]), modules, stack: img.stack, os: 'linux', ...extra });
}

describe('arm walker', () => {
  test('STACK CFI: .cfa, .ra and r7 from the stack; r4 passed through', async () => {
    const img = new StackImage(BASE, 0x200, 4).word(0x18, 0x77n).word(0x1c, 0x11051n);
    const symbols = new TableSymbols(fns(), [{ start: 0x11100n, end: 0x11200n, info: { kind: 'cfi', source: 'model', rules: { '.cfa': 'sp 32 +', '.ra': '.cfa -4 + ^', r7: '.cfa -8 + ^' } } }]);
    const s = await walk(img, { pc: 0x11120n, sp: BASE, r7: 1n, r4: 4n, r11: 0n, fp: 0n }, { symbols });
    assert.deepEqual([s.frames[1]!.instruction, s.frames[1]!.trust], [0x11051n, 'cfi']);
    assert.equal(s.frames[1]!.registers.sp, BASE + 0x20n);
    assert.equal(s.frames[1]!.registers.r7, 0x77n);
    assert.equal(s.frames[1]!.registers.r4, 4n);
    assert.equal(s.frames[1]!.symbol?.function, 'main'); // looked up at pc − 2
  });

  test('r7 frame records only on iOS; elsewhere a scan', async () => {
    const img = new StackImage(BASE, 0x200, 4).word(0x40, 0n).word(0x44, 0x11051n).word(0x08, 0x11151n);
    const regs = { pc: 0x11120n, sp: BASE, r7: BASE + 0x40n };
    const ios = await walk(img, regs, { os: 'ios' });
    assert.deepEqual([ios.frames[1]!.instruction, ios.frames[1]!.trust, ios.frames[1]!.registers.sp], [0x11051n, 'frame_pointer', BASE + 0x48n]);
    const linux = await walk(img, regs, { symbols: new TableSymbols(fns()) });
    assert.deepEqual([linux.frames[1]!.instruction, linux.frames[1]!.trust, linux.frames[1]!.registers.sp], [0x11151n, 'scan', BASE + 0x0cn]);
  });
});
