import assert from 'node:assert/strict';
import { copyFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { Diagnostics } from '../../../../src/core/diagnostics.js';
import { ElfSymbolTable } from '../../../../src/core/elf/symtab.js';
import { ElfSymbolProvider } from '../../../../src/core/symbols/elf/elf-provider.js';
import type { CodeModule } from '../../../../src/core/symbols/types.js';
import { compileC, openElf, run, SAMPLE_C, tempDir } from '../../../helpers/c-program.js';
import { fsOpener } from '../../../helpers/fs-opener.js';
import { gccSkip, NO_32_BIT } from '../../../helpers/target.js';

async function moduleFor(path: string, base: bigint, codeFile = path): Promise<CodeModule> {
  const elf = await openElf(path);
  const id = (await elf.buildId())!;
  return { base, size: 0x100000n, codeFile, buildId: id, format: 'elf' };
}

const hex = (b: Uint8Array) => Buffer.from(b).toString('hex');

/** Link-time address of a function, from readelf. */
async function linkAddress(path: string, name: string): Promise<bigint> {
  const s = (await ElfSymbolTable.read(await openElf(path))).symbols.find((x) => x.name === name);
  assert.ok(s, `${name} in ${path}`);
  return s.address;
}

describe('ElfSymbolProvider', { skip: gccSkip }, () => {
  it('PIE with -g at its own path: names, lines as addr2line, CFI from .eh_frame', async () => {
    const bin = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    const base = 0x555555554000n;
    const m = await moduleFor(bin, base);
    const p = new ElfSymbolProvider(fsOpener(), { systemDebugDirectory: false });
    assert.equal(p.status(m), 'not-tried');
    const mid = await linkAddress(bin, 'mid');
    const info = (await p.lookup(m, base + mid + 4n))!;
    assert.equal(p.status(m), 'loaded');
    assert.equal(info.function, 'mid');
    assert.equal(info.functionBase, base + mid);
    assert.equal(info.source, 'elf-symtab');
    const [file, line] = run('addr2line', ['-e', bin, '0x' + (mid + 4n).toString(16)]).trim().replace(/ \(discriminator \d+\)$/, '').split(':');
    assert.equal(info.file, file);
    assert.equal(info.line, Number(line));
    const elf = await openElf(bin);
    const start = await p.unwindInfo(m, base + elf.entry);
    assert.deepEqual(start, { kind: 'cfi', rules: { '.cfa': 'rsp 8 +', '.ra': '0' }, source: 'eh_frame' });
    assert.equal(await p.lookup(m, base - 1n), undefined, 'outside the module');
  });

  it('stripped binary + debug file by build id in a given directory (both layouts): local names come back', async () => {
    const full = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    const dir = join(tempDir(), 'provider-debug');
    const stripped = join(dir, 'sample-stripped');
    mkdirSync(dir, { recursive: true });
    run('objcopy', ['--only-keep-debug', full, join(dir, 'sample.debug')]);
    run('objcopy', ['--strip-all', full, stripped]);
    const m = await moduleFor(stripped, 0x7f0000000000n);
    const id = hex(m.buildId!);
    for (const layout of [join(dir, 'flat', id.slice(0, 2)), join(dir, 'tree', '.build-id', id.slice(0, 2))]) {
      mkdirSync(layout, { recursive: true });
      copyFileSync(join(dir, 'sample.debug'), join(layout, `${id.slice(2)}.debug`));
    }
    for (const debugDir of [join(dir, 'flat'), join(dir, 'tree')]) {
      const opener = fsOpener();
      const p = new ElfSymbolProvider(opener, { debugDirectories: [debugDir], systemDebugDirectory: false });
      const leaf = await linkAddress(full, 'leaf');
      const info = (await p.lookup(m, m.base + leaf + 2n))!;
      assert.equal(info.function, 'leaf', debugDir);
      assert.ok(info.line && info.file?.endsWith('sample.c'));
      // CFI: the binary's .eh_frame (the debug file's is NOBITS).
      const u = (await p.unwindInfo(m, m.base + leaf))!;
      assert.equal(u.kind === 'cfi' && u.source, 'eh_frame');
      assert.equal(p.status(m), 'loaded');
      assert.ok(opener.asked.includes(stripped), 'the module path was tried');
    }
    // Without the debug file only .dynsym remains: no name for a static function.
    const bare = new ElfSymbolProvider(fsOpener(), { systemDebugDirectory: false });
    assert.equal(await bare.lookup(m, m.base + (await linkAddress(full, 'leaf'))), undefined);
  });

  it('a file at the module path with another build id is not used (status missing, diagnostic)', async () => {
    const bin = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    const other = compileC('other', SAMPLE_C.replace('a[3]', 'a[4]'), ['-O2', '-g'])!;
    const m = { ...(await moduleFor(bin, 0x1000000n)), codeFile: other };
    const diagnostics = new Diagnostics();
    const p = new ElfSymbolProvider(fsOpener(), { systemDebugDirectory: false, diagnostics });
    assert.equal(await p.lookup(m, m.base + (await linkAddress(bin, 'main'))), undefined);
    assert.equal(p.status(m), 'missing');
    assert.match(diagnostics.list().join('\n'), /is not the module's/);
  });

  it('32-bit non-PIE: link addresses equal runtime addresses (first PT_LOAD at 0x8048000)', async (t) => {
    const bin = compileC('sample', SAMPLE_C, ['-m32', '-O2', '-g', '-no-pie']);
    if (!bin) return t.skip(NO_32_BIT);
    const m = await moduleFor(bin, 0x8048000n);
    const p = new ElfSymbolProvider(fsOpener(), { systemDebugDirectory: false });
    const main = await linkAddress(bin, 'main');
    assert.equal((await p.lookup(m, main + 1n))?.function, 'main');
    const u = await p.unwindInfo(m, main);
    assert.deepEqual(u, { kind: 'cfi', rules: { '.cfa': 'esp 4 +', '.ra': '.cfa -4 + ^' }, source: 'eh_frame' });
  });

  it('a corrupt debug file with the right build id: status corrupt, diagnostic, no exception', async () => {
    const full = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    const dir = join(tempDir(), 'provider-corrupt');
    const m = await moduleFor(full, 0x400000n, '/nonexistent/sample');
    const id = hex(m.buildId!);
    mkdirSync(join(dir, id.slice(0, 2)), { recursive: true });
    const bytes = new Uint8Array(readFileSync(full));
    // Keep the notes (build id) but point the section header table past the end.
    new DataView(bytes.buffer).setBigUint64(40, BigInt(bytes.length + 64), true);
    writeFileSync(join(dir, id.slice(0, 2), `${id.slice(2)}.debug`), bytes);
    const diagnostics = new Diagnostics();
    const p = new ElfSymbolProvider(fsOpener(), { debugDirectories: [dir], systemDebugDirectory: false, diagnostics });
    assert.equal(await p.lookup(m, 0x401000n), undefined);
    assert.equal(await p.unwindInfo(m, 0x401000n), undefined);
    assert.equal(p.status(m), 'corrupt');
    assert.match(diagnostics.list().join('\n'), /section header 0 \(64 bytes at 0x[0-9a-f]+\) runs past the end/);
  });

  it('no build id: not tried, nothing opened', async () => {
    const opener = fsOpener();
    const p = new ElfSymbolProvider(opener, {});
    const m: CodeModule = { base: 0x1000n, size: 0x1000n, codeFile: '/bin/true' };
    assert.equal(await p.lookup(m, 0x1800n), undefined);
    assert.equal(p.status(m), 'not-tried');
    assert.deepEqual(opener.asked, []);
  });
});
