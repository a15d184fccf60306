import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { ModuleIndex } from '../../../src/core/unwind/modules.js';
import { walkStack } from '../../../src/core/unwind/walker.js';
import { RegionMemory, StackImage, TableSymbols, module } from '../../fixtures/stack-fixture.js';

const app = module('app', 0x400000n, 0x10000n);
const lib = module('libc.so', 0x7f0000000000n, 0x100000n);
const modules = new ModuleIndex([lib, app]);
const fns = () =>
  new Map([
    [
      app,
      [
        { name: 'main', start: 0x401000n, size: 0x100n },
        { name: 'foo', start: 0x401100n, size: 0x100n, inlines: [{ function: 'inlined_helper', file: 'a.c', line: 7 }] },
        { name: 'bar', start: 0x401200n, size: 0x100n },
      ],
    ],
  ]);
const BASE = 0x7ffe0000n;

function walk(img: StackImage, registers: Record<string, bigint>, extra: Partial<Parameters<typeof walkStack>[0]> = {}) {
  return walkStack({ arch: 'amd64', registers, memory: new RegionMemory([img.stack]), modules, stack: img.stack, os: 'linux', ...extra });
}

describe('amd64 walker', () => {
  test('frame-pointer chain: return addresses, rsp/rbp per frame, symbols looked up inside the call', async () => {
    const img = new StackImage(BASE, 0x400, 8)
      .word(0x110, BASE + 0x200n).word(0x118, 0x401150n)
      .word(0x200, BASE + 0x300n).word(0x208, 0x401050n)
      .word(0x300, 0n).word(0x308, 0n);
    const s = await walk(img, { rip: 0x401250n, rsp: BASE + 0x100n, rbp: BASE + 0x110n }, { symbols: new TableSymbols(fns()) });
    assert.deepEqual(s.frames.map((f) => [f.instruction, f.trust, f.symbol?.function]), [
      [0x401250n, 'context', 'bar'],
      [0x401150n, 'frame_pointer', 'foo'],
      [0x401050n, 'frame_pointer', 'main'],
    ]);
    assert.deepEqual(s.frames[1]!.registers, { rip: 0x401150n, rsp: BASE + 0x120n, rbp: BASE + 0x200n });
    assert.deepEqual(s.frames[2]!.registers, { rip: 0x401050n, rsp: BASE + 0x210n, rbp: BASE + 0x300n });
    assert.deepEqual(s.frames[1]!.inlines, [{ function: 'inlined_helper', file: 'a.c', line: 7 }]);
    assert.equal(s.end, 'no-caller');
  });

  test('a return address at a function start is looked up at address − 1 (the previous function)', async () => {
    const img = new StackImage(BASE, 0x400, 8).word(0x110, BASE + 0x200n).word(0x118, 0x401100n).word(0x200, 0n);
    const s = await walk(img, { rip: 0x401250n, rsp: BASE + 0x100n, rbp: BASE + 0x110n }, { symbols: new TableSymbols(fns()) });
    assert.equal(s.frames[1]!.instruction, 0x401100n);
    assert.equal(s.frames[1]!.symbol?.function, 'main');
  });

  test('STACK CFI rules: .cfa/.ra/rbx evaluated, callee-saved rbp passed through', async () => {
    const img = new StackImage(BASE, 0x400, 8).word(0x100, 0x401150n).word(0x110, 0x77n).word(0x118, 0x401050n);
    const symbols = new TableSymbols(fns(), [
      { start: 0x401200n, end: 0x401300n, info: { kind: 'cfi', source: 'model', rules: { '.cfa': 'rsp 8 +', '.ra': '.cfa -8 + ^' } } },
      { start: 0x401100n, end: 0x401200n, info: { kind: 'cfi', source: 'model', rules: { '.cfa': '$rsp 24 +', '.ra': '.cfa -8 + ^', rbx: '.cfa -16 + ^' } } },
    ]);
    const s = await walk(img, { rip: 0x401210n, rsp: BASE + 0x100n, rbp: 0x1234n, rbx: 1n, rax: 5n }, { symbols });
    assert.deepEqual(s.frames.map((f) => f.trust), ['context', 'cfi', 'cfi']);
    assert.deepEqual(s.frames[1]!.registers, { rip: 0x401150n, rsp: BASE + 0x108n, rbp: 0x1234n, rbx: 1n });
    assert.deepEqual(s.frames[2]!.registers, { rip: 0x401050n, rsp: BASE + 0x120n, rbp: 0x1234n, rbx: 0x77n });
  });

  test('malformed CFI rules: a diagnostic, then the frame pointer is used; never an exception', async () => {
    const img = new StackImage(BASE, 0x400, 8).word(0x110, BASE + 0x200n).word(0x118, 0x401150n).word(0x200, 0n);
    const diagnostics = new Diagnostics();
    for (const bad of ['rsp +', 'rsp 8 + 9', 'rsp 0 /', 'rsp 3 @', 'rsp ?', '']) {
      const symbols = new TableSymbols(fns(), [{ start: 0x401200n, end: 0x401300n, info: { kind: 'cfi', source: 'model', rules: { '.cfa': bad, '.ra': '.cfa -8 + ^' } } }]);
      const s = await walk(img, { rip: 0x401250n, rsp: BASE + 0x100n, rbp: BASE + 0x110n }, { symbols, diagnostics });
      assert.equal(s.frames[1]!.trust, 'frame_pointer', bad);
      assert.equal(s.frames[1]!.instruction, 0x401150n);
    }
    assert.equal(diagnostics.items.length, 6);
    assert.match(diagnostics.items[0]!, /STACK CFI rules at 0x401250 are malformed \('\+' needs two operands\)/);
  });

  test('stack scan: with symbols loaded, words outside known functions are skipped', async () => {
    const img = new StackImage(BASE, 0x400, 8).word(0x100, 0x401f00n).word(0x108, 0x12345n).word(0x110, 0x401150n);
    const regs = { rip: 0x401210n, rsp: BASE + 0x100n, rbp: 0n };
    const withSyms = await walk(img, regs, { symbols: new TableSymbols(fns()) });
    assert.deepEqual(withSyms.frames.slice(1).map((f) => [f.instruction, f.trust, f.registers.rsp]), [[0x401150n, 'scan', BASE + 0x118n]]);
    // Without symbols any address inside a module will do (the first candidate wins).
    const without = await walk(img, regs);
    assert.deepEqual(without.frames[1]!.instruction, 0x401f00n);
  });

  test('a cyclic rbp chain ends (sp must grow) within a few frames', async () => {
    const img = new StackImage(BASE, 0x400, 8)
      .word(0x110, BASE + 0x200n).word(0x118, 0x401150n)
      .word(0x200, BASE + 0x110n).word(0x208, 0x401050n);
    const s = await walk(img, { rip: 0x401250n, rsp: BASE + 0x100n, rbp: BASE + 0x110n });
    assert.ok(s.frames.length < 10, `${s.frames.length} frames`);
    for (let i = 1; i < s.frames.length; i++) assert.ok(s.frames[i]!.registers.rsp! > s.frames[i - 1]!.registers.rsp!);
  });

  test('a stack of a million candidate words stays bounded (scan length, frame cap)', async () => {
    const words = 1 << 20;
    const junk = new StackImage(BASE, words * 8, 8);
    for (let i = 0; i < words; i++) junk.word(i * 8, 0x401301n + BigInt(i % 0xc000)); // inside app, outside every function (also at − 1)
    const symbols = new TableSymbols(fns());
    const s = await walk(junk, { rip: 0x401210n, rsp: BASE, rbp: 0n }, { symbols });
    assert.equal(s.frames.length, 1);
    assert.equal(s.end, 'no-caller');
    assert.ok(symbols.lookups <= 161, `${symbols.lookups} lookups`);

    const valid = new StackImage(BASE, words * 8, 8);
    for (let i = 0; i < words; i++) valid.word(i * 8, 0x401150n); // every word a plausible return address
    const diagnostics = new Diagnostics();
    const capped = await walk(valid, { rip: 0x401210n, rsp: BASE, rbp: 0n }, { symbols: new TableSymbols(fns()), diagnostics, label: 'thread 1' });
    assert.equal(capped.frames.length, 1024);
    assert.equal(capped.end, 'frame-cap');
    assert.deepEqual(diagnostics.items, ['thread 1: stopped after 1024 frames (the frame cap)']);
    const small = await walk(valid, { rip: 0x401210n, rsp: BASE, rbp: 0n }, { limits: { maxFrames: 5 } });
    assert.equal(small.frames.length, 5);
  });

  test('no stack memory: frame 0 only, memory-missing with a diagnostic', async () => {
    const diagnostics = new Diagnostics();
    const s = await walkStack({ arch: 'amd64', registers: { rip: 0x401210n, rsp: BASE, rbp: BASE }, memory: new RegionMemory([]), modules, diagnostics });
    assert.equal(s.frames.length, 1);
    assert.equal(s.end, 'memory-missing');
    assert.equal(diagnostics.items.length, 1);
  });

  test('Windows: no rbp chain (as Breakpad); the context frame returns to the word at rsp, then scans', async () => {
    const img = new StackImage(BASE, 0x400, 8)
      .word(0x100, 0x401150n) // at rsp: the leaf's return address
      .word(0x110, BASE + 0x200n).word(0x118, 0x401050n) // an rbp frame record Windows code need not keep
      .word(0x140, 0x401058n); // what a scan finds above it
    const s = await walk(img, { rip: 0x401250n, rsp: BASE + 0x100n, rbp: BASE + 0x110n, rbx: 9n }, { os: 'windows', symbols: new TableSymbols(fns()) });
    assert.deepEqual(s.frames[1]!.registers, { rip: 0x401150n, rsp: BASE + 0x108n, rbp: BASE + 0x110n, rbx: 9n });
    assert.deepEqual(s.frames.slice(1).map((f) => [f.instruction, f.trust]), [
      [0x401150n, 'scan'],
      [0x401050n, 'scan'],
      [0x401058n, 'scan'],
    ]);
  });
});
