/**
 * Synthetic .sym texts, one concern each, with the answers Breakpad's BasicSourceLineResolver gives
 * (worked out from its rules: exclusive FUNC/line ranges kept in file order, PUBLIC bounded by the
 * nearest FUNC below, INLINE chains with call sites shifted one level out, CFI deltas applied in
 * address order with the last record per address winning).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { module, provider } from './helpers.js';

const base = 0x10000n;
const at = (rel: number) => base + BigInt(rel);
const SYM = '/syms/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.sym';

const kinds = `MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 app.pdb
INFO CODE_ID 5A9832E52D000 app.exe
FILE 0 a.c
FILE 1 b.h
FILE 2 c.h
INLINE_ORIGIN 0 inlined_outer
INLINE_ORIGIN 1 inlined_inner
FUNC 1000 100 0 outer_function
1000 10 10 0
1010 20 31 2
1030 d0 12 0
INLINE 0 11 0 0 1010 40
INLINE 1 21 1 1 1018 8 1040 4
FUNC m 2000 10 8 folded
2000 10 20 0
PUBLIC 1800 4 public_after_outer
PUBLIC m 2100 0 folded_public
PUBLIC 2050 0 public in the gap
STACK CFI INIT 1000 100 .cfa: $rsp 8 + .ra: .cfa -8 + ^
STACK CFI 1001 .cfa: $rsp 16 + $rbp: .cfa -16 + ^
STACK CFI 1004 .cfa: $rbp 16 +
`;

describe('every record kind', () => {
  const { p, diagnostics } = provider({ [SYM]: kinds });
  const m = module();

  test('FUNC with a line record; size, parameter size, line base', async () => {
    assert.deepEqual(await p.lookup(m, at(0x1005)), {
      function: 'outer_function',
      functionBase: at(0x1000),
      functionSize: 0x100n,
      parameterSize: 0,
      source: 'breakpad',
      file: 'a.c',
      line: 10,
      lineBase: at(0x1000),
    });
    assert.equal(p.status(m), 'loaded');
  });

  test('INLINE nesting: innermost first, each at the position inside it; the outer frame at the outermost call site', async () => {
    const s = await p.lookup(m, at(0x1019));
    assert.equal(s?.function, 'outer_function');
    assert.deepEqual([s?.file, s?.line, s?.lineBase], ['a.c', 11, at(0x1010)]);
    assert.deepEqual(s?.inlines, [
      { function: 'inlined_inner', file: 'c.h', line: 31, functionBase: at(0x1018) },
      { function: 'inlined_outer', file: 'b.h', line: 21, functionBase: at(0x1010) },
    ]);
    // The inner inline's second range.
    const s2 = await p.lookup(m, at(0x1041));
    assert.deepEqual(s2?.inlines, [
      { function: 'inlined_inner', file: 'a.c', line: 12, functionBase: at(0x1040) },
      { function: 'inlined_outer', file: 'b.h', line: 21, functionBase: at(0x1010) },
    ]);
    assert.deepEqual([s2?.file, s2?.line], ['a.c', 11]);
    // Only the outer inline.
    const s3 = await p.lookup(m, at(0x1048));
    assert.deepEqual(s3?.inlines, [{ function: 'inlined_outer', file: 'a.c', line: 12, functionBase: at(0x1010) }]);
    assert.deepEqual([s3?.file, s3?.line], ['a.c', 11]);
    // No inline.
    const s4 = await p.lookup(m, at(0x1060));
    assert.equal(s4?.inlines, undefined);
    assert.deepEqual([s4?.file, s4?.line], ['a.c', 12]);
  });

  test('FUNC m: isMultiple', async () => {
    const s = await p.lookup(m, at(0x2005));
    assert.equal(s?.function, 'folded');
    assert.equal(s?.isMultiple, true);
    assert.equal(s?.parameterSize, 8);
  });

  test('PUBLIC fallback: nearest at or below, unless a FUNC starts between them', async () => {
    const pub = await p.lookup(m, at(0x1900));
    assert.deepEqual(pub, { function: 'public_after_outer', functionBase: at(0x1800), parameterSize: 4, source: 'breakpad', isPublic: true });
    // 0x2010: nearest PUBLIC (0x1800) is below the FUNC at 0x2000 that ended: nothing.
    assert.equal(await p.lookup(m, at(0x2010)), undefined);
    const gap = await p.lookup(m, at(0x2060));
    assert.equal(gap?.function, 'public in the gap');
    assert.equal(gap?.functionBase, at(0x2050));
    const folded = await p.lookup(m, at(0x2200));
    assert.equal(folded?.function, 'folded_public');
    assert.equal(folded?.isMultiple, true);
    assert.equal(await p.lookup(m, at(0x500)), undefined, 'below every symbol');
    assert.equal(await p.lookup(m, base - 1n), undefined, 'below the module');
  });

  test('STACK CFI: INIT then deltas merged; register names without $', async () => {
    const r = async (rel: number) => {
      const u = await p.unwindInfo(m, at(rel));
      return u?.kind === 'cfi' ? u.rules : u;
    };
    assert.deepEqual(await r(0x1000), { '.cfa': 'rsp 8 +', '.ra': '.cfa -8 + ^' });
    assert.deepEqual(await r(0x1003), { '.cfa': 'rsp 16 +', '.ra': '.cfa -8 + ^', rbp: '.cfa -16 + ^' });
    assert.deepEqual(await r(0x10ff), { '.cfa': 'rbp 16 +', '.ra': '.cfa -8 + ^', rbp: '.cfa -16 + ^' });
    assert.equal(await r(0x1100), undefined);
  });

  test('no diagnostics for a well-formed file', () => {
    assert.deepEqual(diagnostics.list(), []);
  });
});

describe('overlaps and order', () => {
  test('overlapping and empty FUNCs: the first in the file wins, others are ignored with one diagnostic', async () => {
    const { p, diagnostics } = provider({
      [SYM]: `FUNC 1000 100 0 first
FUNC 1080 100 0 overlaps_first
FUNC 1100 10 0 adjacent
FUNC 1000 100 0 duplicate
FUNC 500 10 0 out_of_order_low
FUNC 1200 0 0 empty
FUNC 2080 100 0 earlier_in_file
FUNC 2000 100 0 lower_address_later_in_file
`,
    });
    const m = module();
    const name = async (rel: number) => (await p.lookup(m, at(rel)))?.function;
    assert.equal(await name(0x1090), 'first');
    assert.equal(await name(0x1105), 'adjacent');
    assert.equal(await name(0x1150), undefined);
    assert.equal(await name(0x505), 'out_of_order_low');
    // Breakpad keeps records in file order: 2080 came first, so 2000+100 (which overlaps it) is refused.
    assert.equal(await name(0x2090), 'earlier_in_file');
    assert.equal(await name(0x2050), undefined);
    assert.ok(diagnostics.list().some((d) => /4 FUNC record\(s\) empty or overlapping/.test(d)), diagnostics.list().join('\n'));
  });

  test('line records: overlapping and empty ones dropped, out-of-order ones kept', async () => {
    const { p } = provider({
      [SYM]: `FILE 0 x.c
FUNC 3000 40 0 f
3000 10 1 0
3008 10 2 0
3010 10 3 0
3020 0 4 0
3030 10 5 0
3020 10 6 0
`,
    });
    const line = async (rel: number) => (await p.lookup(module(), at(rel)))?.line;
    assert.equal(await line(0x3009), 1);
    assert.equal(await line(0x3018), 3);
    assert.equal(await line(0x3025), 6);
    assert.equal(await line(0x3035), 5);
  });

  test('CFI deltas: address order, last record per address, strays and deltas after a refused INIT', async () => {
    const { p } = provider({
      [SYM]: `STACK CFI INIT 4000 100 .cfa: $esp 4 + .ra: .cfa 4 - ^
STACK CFI 4010 .cfa: $esp 8 +
STACK CFI 4008 $ebp: .cfa 8 - ^
STACK CFI 4010 .cfa: $esp 12 +
STACK CFI INIT 5000 10 .cfa: $esp 4 +
STACK CFI 4020 .cfa: $esp 16 +
STACK CFI INIT 4080 10 .cfa: $esp 99 +
STACK CFI 4084 $ebx: .cfa 12 - ^
`,
    });
    const m = module();
    const r = async (rel: number) => {
      const u = await p.unwindInfo(m, at(rel));
      return u?.kind === 'cfi' ? u.rules : u;
    };
    const init = { '.cfa': 'esp 4 +', '.ra': '.cfa 4 - ^' };
    assert.deepEqual(await r(0x4007), init);
    assert.deepEqual(await r(0x4009), { ...init, ebp: '.cfa 8 - ^' });
    assert.deepEqual(await r(0x4010), { ...init, '.cfa': 'esp 12 +', ebp: '.cfa 8 - ^' });
    assert.deepEqual(await r(0x4030), { ...init, '.cfa': 'esp 16 +', ebp: '.cfa 8 - ^' });
    assert.deepEqual(await r(0x4090), { ...init, '.cfa': 'esp 16 +', ebp: '.cfa 8 - ^', ebx: '.cfa 12 - ^' });
    assert.deepEqual(await r(0x5005), { '.cfa': 'esp 4 +' });
  });

  test('STACK WIN: FrameData preferred over FPO; nested records give the innermost; partial overlap refused', async () => {
    const { p } = provider({
      [SYM]: `STACK WIN 0 7000 100 1 0 4 0 0 0 0 1
STACK WIN 4 7000 80 2 0 8 4 10 0 1 $T0 $ebp = $eip $T0 4 + ^ =
STACK WIN 4 7010 10 3 0 c 4 10 0 1 $T1 .raSearch =
STACK WIN 4 7070 20 4 0 c 4 10 0 1 $T2 .raSearch =
STACK WIN 4 6f00 200 5 0 0 0 0 0 1 $T3 .raSearch =
`,
    });
    const m = module();
    const w = async (rel: number) => {
      const u = await p.unwindInfo(m, at(rel));
      assert.ok(u?.kind === 'win');
      return u.record;
    };
    assert.equal((await w(0x7005)).programString, '$T0 $ebp = $eip $T0 4 + ^ =');
    assert.equal((await w(0x7015)).programString, '$T1 .raSearch =', 'innermost');
    assert.equal((await w(0x7075)).programString, '$T0 $ebp = $eip $T0 4 + ^ =', '7070+20 crosses 7000+80: refused');
    // 6f00+200 came last and holds 7000+80: it adopts it (ContainedRangeMap), and answers outside it.
    assert.equal((await w(0x6f10)).programString, '$T3 .raSearch =');
    assert.equal((await w(0x7085)).programString, '$T3 .raSearch =');
    const fpo = { ...(await w(0x7090)) };
    assert.equal(fpo.programString, '$T3 .raSearch =', 'type 4 wins over type 0 wherever it covers');
    const { p: p2 } = provider({ [SYM]: 'STACK WIN 0 7000 100 1 2 4 8 10 20 0 1\n' });
    const u = await p2.unwindInfo(m, at(0x7050));
    assert.deepEqual(u, {
      kind: 'win',
      source: 'breakpad',
      record: {
        type: 0,
        rva: 0x7000n,
        codeSize: 0x100,
        prologSize: 1,
        epilogSize: 2,
        parameterSize: 4,
        savedRegisterSize: 8,
        localSize: 0x10,
        maxStackSize: 0x20,
        allocatesBasePointer: true,
      },
    });
  });

  test('INLINE: old form (call file = the line record file), depth jumps dropped, unknown origin', async () => {
    const { p } = provider({
      [SYM]: `FILE 0 a.c
FILE 1 b.h
INLINE_ORIGIN 0 1 old form origin
FUNC 6000 100 0 g
6000 100 7 1
INLINE 0 50 0 6010 20
INLINE 2 60 0 9 6010 10
INLINE 1 70 0 9 6018 4
`,
    });
    const s = await p.lookup(module(), at(0x6019));
    assert.deepEqual(s?.inlines, [
      { function: '<name omitted>', file: 'b.h', line: 7, functionBase: at(0x6018) },
      { function: 'old form origin', file: 'a.c', line: 70, functionBase: at(0x6010) },
    ]);
    assert.deepEqual([s?.file, s?.line], ['b.h', 50]);
    const s2 = await p.lookup(module(), at(0x6012));
    assert.deepEqual(s2?.inlines, [{ function: 'old form origin', file: 'b.h', line: 7, functionBase: at(0x6010) }]);
  });

  test('a lone CR ends a line too (Breakpad splits on CR and LF)', async () => {
    const { p } = provider({ [SYM]: 'FILE 0 x.c\rFUNC 10 10 0 f\r10 10 3 0\r' });
    const s = await p.lookup(module(), at(0x15));
    assert.deepEqual([s?.function, s?.file, s?.line], ['f', 'x.c', 3]);
  });

  test('CRLF line ends, names with spaces, the first FILE of an id wins', async () => {
    const { p } = provider({ [SYM]: 'FILE 0 first.c\r\nFILE 0 second.c\r\nFUNC 10 10 0 operator new(unsigned long)\r\n10 10 3 0\r\n' });
    const s = await p.lookup(module(), at(0x15));
    assert.equal(s?.function, 'operator new(unsigned long)');
    assert.equal(s?.file, 'first.c');
  });
});
