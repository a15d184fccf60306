import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DumpError } from '../../src/core/errors.js';
import { FileSink, nextFreeName } from '../../src/node/file-sink.js';

/** How every dump file is written: a temporary name, mode 0600, renamed when complete, never over a file unless asked. */
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-sink-'));
after(() => rmSync(dir, { recursive: true, force: true }));

describe('FileSink', () => {
  test('written under a temporary name, 0600, then renamed; reserved bytes at the end count in the length', async () => {
    const path = join(dir, 'a.dmp');
    const sink = FileSink.create(path);
    await sink.write(new Uint8Array([1, 2, 3, 4]));
    const at = await sink.reserve(4096); // to be written by someone else, here partly
    assert.equal(at, 4);
    writeSync(sink.descriptor, new Uint8Array([9]), 0, 1, at); // as the snapshot child does, at its offset
    assert.ok(existsSync(sink.tempPath) && !existsSync(path), 'only the temporary file exists before commit');
    assert.equal(statSync(sink.tempPath).mode & 0o777, 0o600);
    assert.equal(sink.commit(), path);
    assert.ok(!existsSync(sink.tempPath));
    const bytes = readFileSync(path);
    assert.equal(bytes.length, 4100, 'the file is as long as the sink, though the reserved tail was never written');
    assert.deepEqual([...bytes.subarray(0, 5)], [1, 2, 3, 4, 9]);
    assert.equal(bytes[4100 - 1], 0);
    assert.equal(statSync(path).mode & 0o777, 0o600);
  });

  test('--sync: the same file, fsynced before the rename', async () => {
    const path = join(dir, 'b.dmp');
    const sink = FileSink.create(path);
    await sink.write(new Uint8Array(10).fill(7));
    sink.commit({ sync: true });
    assert.deepEqual([...readFileSync(path)], new Array(10).fill(7));
  });

  test('never replaces a file unless asked, even one that appears while writing', async () => {
    const path = join(dir, 'c.dmp');
    writeFileSync(path, 'keep');
    assert.throws(() => FileSink.create(path), (e: unknown) => e instanceof DumpError && e.code === 'REFUSED');
    const racing = join(dir, 'd.dmp');
    const sink = FileSink.create(racing);
    await sink.write(new Uint8Array([1]));
    writeFileSync(racing, 'appeared meanwhile');
    assert.throws(() => sink.commit(), (e: unknown) => e instanceof DumpError && e.code === 'REFUSED');
    assert.equal(readFileSync(racing, 'utf8'), 'appeared meanwhile');
    assert.ok(!readdirSync(dir).some((f) => f.includes('d.dmp') && f.endsWith('.dumpkit-tmp')), 'temporary file removed');
    const over = FileSink.create(path, { overwrite: true });
    await over.write(new Uint8Array([5]));
    over.commit();
    assert.deepEqual([...readFileSync(path)], [5]);
    assert.equal(nextFreeName(path), join(dir, 'c (2).dmp'));
  });

  test('abort removes the temporary file', async () => {
    const sink = FileSink.create(join(dir, 'e.dmp'));
    await sink.write(new Uint8Array([1]));
    sink.abort();
    assert.ok(!existsSync(sink.tempPath) && !existsSync(join(dir, 'e.dmp')));
  });
});
