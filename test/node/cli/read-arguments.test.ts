import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCliBatch } from '../../helpers/cli.js';
import * as F from '../../fixtures/kernel-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-read-args-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const file = join(dir, 'full5.dmp');
writeFileSync(file, F.buildBitmap(F.buildMachine(), { dumpType: 5 }));

test('read: numbers parse one documented way; addresses past the physical address space are one-line argument errors', () => {
  // a number expectation: the hex dump starts at that address and has that many bytes
  const cases: [string[], RegExp | [number, number]][] = [
    [['--pa', '0x1ad000', '--length', 'abc'], /INVALID_ARGUMENT: --length \(bytes\) must be an integer 1\.\.67108864 in decimal/],
    [['--pa', '0x1ad000', '--length', '1e9'], /INVALID_ARGUMENT: --length .*got "1e9"/],
    [['--pa', '1757184', '--length', '16'], [0x1ad000, 16]], // decimal (the PML4 page)
    [['--pa', '0x1ad010', '--length', '0x20'], [0x1ad010, 32]],
    [['--pa', '0`001ad000', '--length', '10'], [0x1ad000, 10]],
    [['--pa', 'abc'], /INVALID_ARGUMENT: --pa "abc" is not a number/],
    [['--pa', '0x20000000000000', '--length', '16'], /INVALID_ARGUMENT: physical address 0x20000000000000 .* beyond the 52-bit physical address space/],
    [['--pa', '0xfffffffffffff000', '--length', '16'], /INVALID_ARGUMENT: physical address 0xfffffffffffff000/],
    [['--pa', '18446744073709551616', '--length', '16'], /INVALID_ARGUMENT: --pa 18446744073709551616 is above the largest allowed/],
    [['--va', 'fffff804`12600000', '--dtb', '0x10000000000000000'], /INVALID_ARGUMENT: --dtb/],
  ];
  const runs = runCliBatch(cases.map(([args]) => ['read', file, ...args]));
  runs.forEach((r, i) => {
    const [args, expect] = cases[i]!;
    if (Array.isArray(expect)) {
      assert.equal(r.code, 0, `${args.join(' ')}: ${r.stderr}`);
      const lines = r.stdout.trim().split('\n');
      assert.equal(lines[0]!.slice(0, 16), expect[0].toString(16).padStart(16, '0'), r.stdout);
      const bytes = lines.reduce((n, l) => n + l.slice(18, 18 + 47).trim().split(/\s+/).length, 0);
      assert.equal(bytes, expect[1], r.stdout);
    } else {
      assert.equal(r.code, 2, `${args.join(' ')}: ${r.stderr}`);
      assert.match(r.stderr, expect, args.join(' '));
      assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
      assert.doesNotMatch(r.stderr, /internal error|safe integer/);
    }
  });
});
