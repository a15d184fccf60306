/**
 * Hostile and broken .sym input: every case ends in a result plus diagnostics (DumpError messages),
 * never another exception, with bounded work (caps on line length, errors, body sizes).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemorySource } from '../../../../src/core/bytes/memory-source.js';
import { DumpError } from '../../../../src/core/errors.js';
import { Rng } from '../../../../src/core/machine/rng.js';
import { BreakpadSymLimits } from '../../../../src/core/symbols/breakpad/limits.js';
import { scanLines } from '../../../../src/core/symbols/breakpad/text.js';
import { module, provider, symText } from './helpers.js';

const SYM = '/syms/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.sym';

describe('hostile .sym text', () => {
  test('malformed hex in FUNC: diagnostic, its line records are orphans, status corrupt, the rest still used', async () => {
    const { p, diagnostics } = provider({ [SYM]: 'FUNC 10zz 10 0 bad\n10 10 1 0\nFUNC 100 10 0 good\n' });
    const m = module();
    assert.equal((await p.lookup(m, m.base + 0x105n))?.function, 'good');
    assert.equal(await p.lookup(m, m.base + 0x15n), undefined);
    assert.equal(p.status(m), 'corrupt');
    const d = diagnostics.list().join('\n');
    assert.match(d, /malformed FUNC record \(bytes 0x0-0x12\)/);
    assert.match(d, /line data without a FUNC/);
  });

  test('malformed records of every kind are diagnostics naming their byte range', async () => {
    const text = [
      'FILE x a.c',
      'FUNC 10',
      'PUBLIC 1g 0 p',
      'STACK CFI INIT 10',
      'STACK CFI zz .cfa: $esp 4 +',
      'STACK WIN 9 0 0 0 0 0 0 0 0 0 0',
      'STACK FOO 1',
      'INLINE_ORIGIN -5 f',
      'INLINE 0 1 0 10 10',
      'MODULE', // no space after it: not a MODULE record, so line data without a FUNC
    ].join('\n');
    const { sym, diagnostics } = await symText(text);
    // 10 records, one line each; the malformed INLINE_ORIGIN is reported but, as in Breakpad, not counted.
    assert.equal(diagnostics.list().length, 10, diagnostics.list().join('\n'));
    assert.equal(sym.errors, 9);
    for (const d of diagnostics.list()) assert.match(d, /\(bytes 0x[0-9a-f]+-0x[0-9a-f]+\)$/);
    assert.equal(await sym.lookup(0x10), undefined);
  });

  test('a malformed INLINE record: reported, not corrupt (Breakpad keeps INLINE errors apart)', async () => {
    const { p, diagnostics } = provider({ [SYM]: 'INLINE_ORIGIN 0 f\nFUNC 10 10 0 f\n10 10 1 0\nINLINE 0 1 0 0 zz 4\n' });
    const m = module();
    const s = await p.lookup(m, m.base + 0x10n);
    assert.equal(s?.function, 'f');
    assert.equal(s?.inlines, undefined);
    assert.equal(p.status(m), 'loaded');
    assert.match(diagnostics.list().join('\n'), /malformed INLINE record/);
  });

  test('a malformed line record found lazily counts as corrupt too', async () => {
    const { p, diagnostics } = provider({ [SYM]: 'FUNC 10 10 0 f\n10 zz 1 0\n' });
    const m = module();
    const s = await p.lookup(m, m.base + 0x10n);
    assert.equal(s?.function, 'f');
    assert.equal(s?.line, undefined);
    assert.equal(p.status(m), 'corrupt');
    assert.match(diagnostics.list().join('\n'), /malformed line record/);
  });

  test('addresses of 2^53 and more: refused per record, not a crash', async () => {
    const { sym, diagnostics } = await symText('FUNC 20000000000000 10 0 huge\nPUBLIC ffffffffffffffff 0 max\nFUNC 10 10 0 f\n');
    assert.equal((await sym.lookup(0x10))?.name, 'f');
    assert.equal(sym.errors, 2, diagnostics.list().join('\n'));
  });

  test('a giant line is skipped with a diagnostic; records after it are indexed', async () => {
    const giant = 'FUNC 10 10 0 ' + 'x'.repeat(BreakpadSymLimits.maxLineBytes + 10);
    const { sym, diagnostics } = await symText(`${giant}\nFUNC 100 10 0 after\n${giant}`);
    assert.equal((await sym.lookup(0x100))?.name, 'after');
    assert.equal(await sym.lookup(0x10), undefined);
    assert.equal(diagnostics.list().filter((d) => /is longer than/.test(d)).length, 2);
  });

  test('giant lines spanning several chunks: byte ranges exact, the next line found', async () => {
    const g = 3 * BreakpadSymLimits.maxLineBytes + 5;
    const text = `FUNC 10 10 0 a\n${'y'.repeat(g)}\nFUNC 100 10 0 b\n${'z'.repeat(g)}`;
    const { sym, diagnostics } = await symText(text);
    assert.equal((await sym.lookup(0x100))?.name, 'b');
    assert.equal((await sym.lookup(0x10))?.name, 'a');
    const ranges = diagnostics.list().map((d) => /\(bytes (0x[0-9a-f]+)-(0x[0-9a-f]+)\)/.exec(d)!.slice(1).map(Number));
    const second = 15 + g + 1 + 16;
    assert.deepEqual(ranges, [
      [15, 15 + g],
      [second, second + g],
    ]);
  });

  test('more than 100 malformed records: indexing stops, as Breakpad bails', async () => {
    const text = 'junk line\n'.repeat(150) + 'FUNC 10 10 0 late\n';
    const { sym, diagnostics } = await symText(text);
    assert.equal(await sym.lookup(0x10), undefined);
    assert.ok(diagnostics.list().some((d) => /the rest of the file is ignored/.test(d)));
    assert.ok(diagnostics.list().length <= 110);
  });

  test('20,000 STACK WIN records in descending order (the worst order) index in bounded work', async () => {
    const lines: string[] = [];
    for (let i = 20000; i > 0; i--) lines.push(`STACK WIN 4 ${(i * 16).toString(16)} 10 0 0 0 0 0 0 1 $T${i} =`);
    const { sym } = await symText(lines.join('\n'));
    assert.equal((await sym.stackWin(16 * 1234 + 3))?.programString, '$T1234 =');
    assert.equal(sym.stats().stackWin, 20000);
  });

  test('a FUNC body interrupted by 40 MB of other records is capped', async () => {
    const filler = 'STACK CFI INIT 0 1 .cfa: $esp 4 +\n'.repeat(Math.ceil((BreakpadSymLimits.maxFunctionBodyBytes + 1e6) / 34));
    const { sym, diagnostics } = await symText(`FUNC 10 100 0 f\n10 10 1 0\n${filler}20 10 2 0\n`);
    assert.equal((await sym.lookup(0x10))?.line, 1);
    assert.equal((await sym.lookup(0x20))?.line, undefined, 'the line record past the cap is ignored');
    assert.ok(diagnostics.list().some((d) => /function body longer than/.test(d)));
  });

  test('random bytes and random mutations of a valid file: a result or a DumpError, never another exception', async () => {
    const valid = new TextEncoder().encode(
      'MODULE Linux x86_64 0123456789ABCDEF0123456789ABCDEF1 app\nFILE 0 a.c\nINLINE_ORIGIN 0 i\nFUNC 1000 100 0 f\n1000 10 1 0\nINLINE 0 1 0 0 1000 10\nPUBLIC 2000 0 p\nSTACK CFI INIT 1000 100 .cfa: $rsp 8 +\nSTACK CFI 1004 .cfa: $rsp 16 +\nSTACK WIN 4 1000 10 0 0 0 0 0 0 1 $T0 =\n',
    );
    const r = new Rng(1234);
    const next = () => r.u32();
    for (let round = 0; round < 300; round++) {
      let bytes: Uint8Array;
      if (round % 2 === 0) {
        bytes = new Uint8Array(next() % 400);
        for (let i = 0; i < bytes.length; i++) bytes[i] = round % 4 === 0 ? next() & 0xff : ' 0123456789abcdefFUNCPUBLICSTACKWININLINE\n'.charCodeAt(next() % 43);
      } else {
        bytes = valid.slice();
        for (let k = 0; k < 1 + (next() % 8); k++) bytes[next() % bytes.length] = next() & 0xff;
      }
      try {
        const { sym } = await symText(bytes);
        for (let k = 0; k < 20; k++) {
          const a = next() % 0x3000;
          await sym.lookup(a);
          await sym.cfiRules(a);
          await sym.stackWin(a);
        }
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
      }
    }
  });
});

describe('scanLines', () => {
  test('lines across chunk boundaries, CR, empty lines, no final newline', async () => {
    const text = 'alpha\r\n\nbeta gamma\r\r\ndelta\n\n\nepsilon\rzeta';
    const bytes = new TextEncoder().encode(text);
    for (const chunk of [1, 2, 3, 7, 64]) {
      const seen: [string, number][] = [];
      await scanLines(
        new MemorySource(bytes),
        (buf, s, e, off) => {
          seen.push([new TextDecoder().decode(buf.subarray(s, e)), off]);
        },
        () => assert.fail('no giant line here'),
        0,
        bytes.length,
        chunk,
      );
      assert.deepEqual(
        seen,
        [
          ['alpha', 0],
          ['beta gamma', 8],
          ['delta', 21],
          ['epsilon', 29],
          ['zeta', 37],
        ],
        `chunk ${chunk}`,
      );
    }
  });
});
