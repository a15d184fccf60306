import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { DumpError } from '../../src/core/errors.js';
import { FileSource, readInputText } from '../../src/node/file-source.js';
import { runCliBatch } from '../helpers/cli.js';

/** Every input path (dumps, configs) refuses what is not a regular file before reading it, and caps text inputs. */
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-source-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const fifo = join(dir, 'pipe');
execFileSync('mkfifo', [fifo]);

test('a FIFO, a directory or /dev/zero is refused at once, without blocking in open', () => {
  for (const path of [fifo, dir, '/dev/zero']) {
    assert.throws(() => FileSource.open(path), (e: unknown) => e instanceof DumpError && e.code === 'IO' && /is not a regular file/.test(e.message), path);
    assert.throws(() => readInputText(path, 'config', 1024), (e: unknown) => e instanceof DumpError && e.code === 'IO' && /is not a regular file/.test(e.message), path);
  }
});

test('a text input over its cap is refused with its size, a missing one with a one-line IO error', () => {
  const big = join(dir, 'big.json');
  writeFileSync(big, ' '.repeat(2048));
  assert.throws(() => readInputText(big, 'config', 1024), (e: unknown) => e instanceof DumpError && e.code === 'COUNT_TOO_LARGE' && /2048 bytes.*1024/.test(e.message));
  assert.equal(readInputText(big, 'config', 4096).length, 2048);
  assert.throws(() => readInputText(join(dir, 'none.json'), 'config', 1024), (e: unknown) => e instanceof DumpError && e.code === 'IO' && /ENOENT/.test(e.message));
});

test('info, convert and crash --config on a FIFO or /dev/zero: a clear error, in bounded time', () => {
  const runs = runCliBatch(
    [
      ['info', fifo],
      ['convert', fifo, '--to', 'kernel', '-o', join(dir, 'out.dmp')],
      ['crash', 'workstation:256M', '--config', fifo, '--root', dir],
      ['crash', 'workstation:256M', '--config', '/dev/zero', '--root', dir],
    ],
    { timeoutMs: 60_000 },
  );
  for (const r of runs) {
    assert.equal(r.code, 1, `${r.args.join(' ')}: ${r.stderr}`);
    assert.match(r.stderr, /^dumpkit: IO: .* is not a regular file/, r.args.join(' '));
  }
});
