/** The file-system FileOpener: regular files only, and a FIFO never blocks it. */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { fileSystemOpener, openSymbolProvider } from '../../../src/node/symbols/index.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-symbols-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('fileSystemOpener', () => {
  test('a regular file opens; missing paths, directories and paths under a file give undefined', async () => {
    writeFileSync(join(dir, 'a.sym'), 'FUNC 10 10 0 f\n');
    const src = await fileSystemOpener.open(join(dir, 'a.sym'));
    assert.equal(src?.size, 15);
    assert.equal(new TextDecoder().decode(await src!.read(0, 4)), 'FUNC');
    await src!.close?.();
    assert.equal(await fileSystemOpener.open(join(dir, 'none.sym')), undefined);
    assert.equal(await fileSystemOpener.open(dir), undefined);
    assert.equal(await fileSystemOpener.open(join(dir, 'a.sym', 'x')), undefined);
    symlinkSync(join(dir, 'a.sym'), join(dir, 'link.sym'));
    const viaLink = await fileSystemOpener.open(join(dir, 'link.sym'));
    assert.equal(viaLink?.size, 15, 'a symlink to a regular file is followed');
    await viaLink!.close?.();
  });

  test('a FIFO gives undefined at once (no writer needed)', { skip: process.platform === 'win32' && 'no FIFOs' }, async () => {
    const fifo = join(dir, 'fifo.sym');
    const r = spawnSync('mkfifo', [fifo]);
    if (r.status !== 0) return assert.fail(`mkfifo failed: ${r.stderr}`);
    assert.equal(await fileSystemOpener.open(fifo), undefined);
  });

  test('openSymbolProvider finds <dir>/<debug file>/<id>/<name>.sym and closes it', async () => {
    const id = 'AAAABBBBCCCCDDDDEEEEFFFF000011112';
    mkdirSync(join(dir, 'syms', 'lib.so', id), { recursive: true });
    writeFileSync(join(dir, 'syms', 'lib.so', id, 'lib.so.sym'), `MODULE Linux x86_64 ${id} lib.so\nPUBLIC 100 0 exported\n`);
    const d = new Diagnostics();
    const p = openSymbolProvider([join(dir, 'empty'), join(dir, 'syms')], d);
    const m = { base: 0x7f0000000000n, size: 0x1000n, codeFile: '/usr/lib/lib.so', debugFile: 'lib.so', debugId: id };
    assert.equal((await p.lookup(m, m.base + 0x180n))?.function, 'exported');
    assert.equal(p.status(m), 'loaded');
    await p.close();
    assert.deepEqual(d.list(), []);
  });
});
