/** The symbol file location rules (Breakpad's SimpleSymbolSupplier) and the provider's status. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { symbolFileComponents, symbolFilePaths } from '../../../../src/core/symbols/breakpad/symbol-path.js';
import { module, provider } from './helpers.js';

describe('symbol file paths', () => {
  test('PDB names lose .pdb (any case); ELF debug files that are full paths use their base name', () => {
    assert.deepEqual(symbolFilePaths(module({ debugFile: 'test_app.pdb', debugId: '5A9832E5287241C1838ED98914E9B7FF1' }), ['/s', '/t/'], '/'), [
      '/s/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym',
      '/t/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym',
    ]);
    assert.deepEqual(symbolFilePaths(module({ debugFile: '/breakpad/examples/target/crash_linux', debugId: 'D2554CDB926136C4B9766A086583B9B50' }), ['/s'], '/'), [
      '/s/crash_linux/D2554CDB926136C4B9766A086583B9B50/crash_linux.sym',
    ]);
    assert.deepEqual(symbolFilePaths(module({ debugFile: 'C:\\build\\Foo.PDB' }), ['C:\\syms'], '\\'), ['C:\\syms\\Foo.PDB\\0123456789ABCDEF0123456789ABCDEF1\\Foo.sym']);
    assert.deepEqual(symbolFileComponents(module({ debugFile: 'libc.so.6' })), { debugFile: 'libc.so.6', debugId: '0123456789ABCDEF0123456789ABCDEF1', fileName: 'libc.so.6.sym' });
    // Breakpad strips ".pdb" only when something precedes it.
    assert.equal((symbolFileComponents(module({ debugFile: '.pdb' })) as { fileName: string }).fileName, '.pdb.sym');
  });

  test('no debug file: the code file (rust-minidump); no id, or names that leave the directory: none', () => {
    assert.equal((symbolFileComponents(module({ debugFile: undefined, codeFile: 'C:\\mingw\\app.exe' })) as { fileName: string }).fileName, 'app.exe.sym');
    assert.ok('missing' in symbolFileComponents(module({ debugId: undefined })));
    assert.ok('missing' in symbolFileComponents(module({ debugFile: '/x/..' })));
    assert.ok('missing' in symbolFileComponents(module({ debugId: '../../etc' })));
    assert.deepEqual(symbolFilePaths(module({ debugId: '' }), ['/s'], '/'), []);
  });
});

describe('provider status and search order', () => {
  const text = 'MODULE windows x86 0123456789ABCDEF0123456789ABCDEF1 app.pdb\nFUNC 10 10 0 f\n';
  test('not-tried, then loaded from the first directory holding the file', async () => {
    const { p, opener } = provider({ '/b/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.sym': text }, ['/a', '/b', '/c']);
    const m = module();
    assert.equal(p.status(m), 'not-tried');
    assert.equal((await p.lookup(m, m.base + 0x10n))?.function, 'f');
    assert.equal(p.status(m), 'loaded');
    await p.lookup(m, m.base + 0x11n);
    assert.deepEqual(opener.opened, ['/a/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.sym', '/b/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.sym'], 'found once, not again');
  });

  test('concurrent first lookups open and index the file once', async () => {
    const { p, opener } = provider({ '/syms/app.pdb/0123456789ABCDEF0123456789ABCDEF1/app.sym': text });
    const m = module();
    const got = await Promise.all([0x10n, 0x11n, 0x12n, 0x13n].map((a) => p.lookup(m, m.base + a)));
    assert.deepEqual(
      got.map((s) => s?.function),
      ['f', 'f', 'f', 'f'],
    );
    assert.equal(opener.opened.length, 1);
  });

  test('missing file: missing; MODULE id that disagrees: a MISMATCH diagnostic, still used', async () => {
    const other = module({ debugId: 'FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0' });
    const { p, diagnostics } = provider({ '/syms/app.pdb/FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0/app.sym': text });
    assert.equal((await p.lookup(other, other.base + 0x10n))?.function, 'f');
    assert.equal(p.status(other), 'loaded');
    assert.match(diagnostics.list().join('\n'), /MODULE record names debug id 0123456789ABCDEF0123456789ABCDEF1, but the module's is FFFFFFFFFFFFFFFFFFFFFFFFFFFFFFFF0/);
    const absent = module({ debugFile: 'nothing.pdb' });
    assert.equal(await p.lookup(absent, absent.base), undefined);
    assert.equal(await p.unwindInfo(absent, absent.base), undefined);
    assert.equal(p.status(absent), 'missing');
  });
});
