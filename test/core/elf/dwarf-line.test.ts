import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { DwarfReader } from '../../../src/core/elf/dwarf-reader.js';
import { LineTable } from '../../../src/core/elf/dwarf-line.js';
import { ElfSymbolTable } from '../../../src/core/elf/symtab.js';
import { compileC, libcDebugFile, openElf, run, SAMPLE_C } from '../../helpers/c-program.js';
import { gccSkip, NO_32_BIT } from '../../helpers/target.js';

/** Every byte of every function in the program: our file:line against addr2line's (without discriminators). */
async function compareWithAddr2line(path: string, maxAddresses = 4000): Promise<number> {
  const elf = await openElf(path);
  const lines = (await LineTable.fromElf(elf))!;
  assert.deepEqual(lines.problems, []);
  const syms = await ElfSymbolTable.read(elf);
  const addresses: bigint[] = [];
  for (const s of syms.symbols) for (let a = s.address; a < s.address + s.size && addresses.length < maxAddresses; a++) addresses.push(a);
  const out = run('addr2line', ['-e', path, ...addresses.map((a) => '0x' + a.toString(16))]).trim().split('\n');
  assert.equal(out.length, addresses.length);
  let known = 0;
  addresses.forEach((a, i) => {
    const want = out[i]!.replace(/ \(discriminator \d+\)$/, '');
    const mine = lines.lookup(a);
    const got = mine ? `${mine.file}:${mine.line}` : '??:0';
    if (want.startsWith('??:')) return; // addr2line knows no line there (padding): nothing to compare
    assert.equal(got, want, `0x${a.toString(16)}`);
    known++;
  });
  return known;
}

describe('.debug_line against addr2line', { skip: gccSkip }, () => {
  for (const v of [2, 3, 4, 5]) {
    it(`DWARF ${v}, 64- and 32-bit: every byte of every function`, async (t) => {
      assert.ok((await compareWithAddr2line(compileC('sample', SAMPLE_C, ['-O2', `-gdwarf-${v}`])!)) > 100);
      const p = compileC('sample', SAMPLE_C, ['-m32', '-O2', `-gdwarf-${v}`]);
      if (!p) return t.skip(NO_32_BIT);
      assert.ok((await compareWithAddr2line(p)) > 100);
    });
  }
  it("libc's debug file (DWARF 5, compressed, .debug_line_str): start_thread's lines", async (t) => {
    const p = libcDebugFile();
    if (!p) return t.skip('libc6-dbg not installed');
    const elf = await openElf(p);
    const lines = (await LineTable.fromElf(elf))!;
    const st = (await ElfSymbolTable.read(elf)).symbols.find((s) => s.name === 'start_thread')!;
    const addrs = Array.from({ length: 40 }, (_, i) => st.address + BigInt(i * 7));
    const out = run('addr2line', ['-e', p, ...addrs.map((a) => '0x' + a.toString(16))]).trim().split('\n');
    addrs.forEach((a, i) => {
      const mine = lines.lookup(a)!;
      // addr2line joins a relative DW_AT_comp_dir twice ("./nptl/./nptl/x.c"); compare line and base name.
      const [file, line] = out[i]!.replace(/ \(discriminator \d+\)$/, '').split(':');
      assert.equal(mine.line, Number(line), `0x${a.toString(16)}`);
      assert.equal(mine.file.split('/').pop(), file!.split('/').pop());
    });
  });
});

describe('.debug_line on hostile input', () => {
  it('truncated units, bad versions, zero line_range: problems, not exceptions', () => {
    const cases: [number[], RegExp][] = [
      [[0xff, 0xff, 0xff, 0x7f], /runs past/],
      [[4, 0, 0, 0, 9, 0, 0, 0], /version 9/],
      // v4 header with line_range 0
      [[16, 0, 0, 0, 4, 0, 10, 0, 0, 0, 1, 1, 1, 0xfb, 0, 13, 0, 0, 0, 0], /line_range is 0/],
    ];
    for (const [bytes, re] of cases) {
      const t = LineTable.parse(new Uint8Array(bytes), { addressSize: 8 });
      assert.equal(t.rowCount, 0);
      assert.match(t.problems.join('\n'), re);
    }
  });
  it('random bytes: only DumpErrors (as problems), bounded', () => {
    let seed = 7;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let round = 0; round < 500; round++) {
      const b = new Uint8Array(64 + (round % 200));
      for (let i = 0; i < b.length; i++) b[i] = rnd();
      b[0] = b.length - 4;
      b[1] = b[2] = b[3] = 0;
      b[4] = 2 + (round % 4);
      b[5] = 0;
      LineTable.parse(b, { addressSize: 8 });
    }
  });
  it('LEB128 longer than 16 bytes is an error, not a loop', () => {
    const r = new DwarfReader(new Uint8Array(40).fill(0x80), 0x100, 'test');
    assert.throws(() => r.uleb(), /LEB128 longer than 16 bytes/);
  });
});
