import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { ElfSymbolTable } from '../../../src/core/elf/symtab.js';
import { compileC, libcDebugFile, libcPath, openElf, run, SAMPLE_C } from '../../helpers/c-program.js';
import { gccSkip, NO_32_BIT } from '../../helpers/target.js';

/** FUNC/IFUNC symbols defined in a section, from `readelf -sW` (the .symtab when present, else .dynsym). */
function readelfFunctions(path: string, table: '.symtab' | '.dynsym'): { name: string; value: bigint; size: bigint }[] {
  const text = run('readelf', ['-sW', path]);
  const start = text.indexOf(`Symbol table '${table}'`);
  if (start < 0) return [];
  const end = text.indexOf("Symbol table '", start + 10);
  const out: { name: string; value: bigint; size: bigint }[] = [];
  for (const line of text.slice(start, end < 0 ? undefined : end).split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 8 || !/^\d+:$/.test(f[0]!) || (f[3] !== 'FUNC' && f[3] !== 'IFUNC') || f[6] === 'UND' || f[6] === 'ABS') continue;
    const value = BigInt('0x' + f[1]);
    if (value === 0n) continue;
    out.push({ name: f[7]!.replace(/@.*/, ''), value, size: f[2]!.startsWith('0x') ? BigInt(f[2]!) : BigInt(f[2]!) });
  }
  return out;
}

async function compare(path: string, table: '.symtab' | '.dynsym'): Promise<number> {
  const syms = await ElfSymbolTable.read(await openElf(path));
  const expected = readelfFunctions(path, table);
  assert.ok(expected.length > 0, `readelf lists functions in ${table}`);
  for (const e of expected) {
    const atStart = syms.lookup(e.value);
    assert.ok(atStart, `${e.name} at 0x${e.value.toString(16)}`);
    assert.equal(atStart.address, e.value);
    // Aliases share an address; the name must be one of the aliases readelf lists there.
    const aliases = expected.filter((x) => x.value === e.value).map((x) => x.name);
    assert.ok(aliases.includes(atStart.name), `${atStart.name} is one of ${aliases.join(', ')}`);
    if (e.size > 1n) assert.equal(syms.lookup(e.value + e.size - 1n)?.address, e.value, `last byte of ${e.name}`);
  }
  return expected.length;
}

describe('ELF function symbols against readelf -s', { skip: gccSkip }, () => {
  it('64-bit and 32-bit programs (.symtab): every function, first and last byte', async (t) => {
    assert.ok((await compare(compileC('sample', SAMPLE_C, ['-O2', '-g'])!, '.symtab')) >= 4);
    const p = compileC('sample', SAMPLE_C, ['-m32', '-O2', '-g']);
    if (!p) return t.skip(NO_32_BIT);
    assert.ok((await compare(p, '.symtab')) >= 4);
  });
  it('a stripped program keeps no local functions; its .dynsym alone is read', async () => {
    const p = compileC('sample', SAMPLE_C, ['-O2', '-s'])!;
    const syms = await ElfSymbolTable.read(await openElf(p));
    assert.equal(syms.symbols.find((s) => s.name === 'mid'), undefined);
    assert.ok(syms.symbols.every((s) => s.source === 'elf-dynsym'));
  });
  it("libc.so.6's .dynsym and its debug file's .symtab", async (t) => {
    if (!libcPath) return t.skip('no libc.so.6');
    assert.ok((await compare(libcPath, '.dynsym')) > 1000);
    const dbg = libcDebugFile();
    if (!dbg) return t.skip('libc6-dbg not installed');
    assert.ok((await compare(dbg, '.symtab')) > 2000);
  });
  it('an address past a sized function and before the next one has no symbol', async () => {
    const syms = await ElfSymbolTable.read(await openElf(compileC('sample', SAMPLE_C, ['-O2', '-g'])!));
    const gap = syms.symbols.find((s, i) => s.size > 0n && syms.symbols[i + 1] && syms.symbols[i + 1]!.address > s.address + s.size);
    assert.ok(gap, 'a padding gap between two functions');
    assert.equal(syms.lookup(gap.address + gap.size), undefined);
  });
});
