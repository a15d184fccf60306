import assert from 'node:assert/strict';
import { chmodSync, mkdirSync, mkdtempSync, readdirSync, rmSync, statSync, symlinkSync, utimesSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { loadConfig, parseConfig, settingsFor, varietyOf } from '../../../src/node/handler/config.js';
import { appendLog, formatLogLine, parseLogLine, recentLog } from '../../../src/node/handler/crash-log.js';
import { applyDumpCount, dumpPaths, ensureFolder, safeName } from '../../../src/node/handler/dump-folder.js';
import { handlerPattern, looksLikeHandler } from '../../../src/node/handler/kernel-settings.js';
import { parseCrashArgs } from '../../../src/node/handler/core-handler.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-handler-config-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function refused(f: () => unknown, re: RegExp): void {
  assert.throws(f, (e: unknown) => e instanceof DumpError && e.code === 'INVALID_ARGUMENT' && re.test(e.message));
}

describe('handler configuration (WER LocalDumps keys)', () => {
  test('defaults are WER\'s where WER has one: DumpCount 10, DumpType 1 (mini)', () => {
    const c = loadConfig(join(dir, 'absent.json'));
    assert.equal(c.DumpCount, 10);
    assert.equal(c.DumpType, 1);
    assert.equal(varietyOf(c), 'mini');
    assert.equal(c.KeepCore, false);
    assert.equal(c.LogFile, `${c.DumpFolder}/dumpkit-handler.log`);
  });

  test('per-executable overrides sit over the top level, only for that executable', () => {
    const c = parseConfig({ DumpFolder: '/d', DumpType: 2, Applications: { 'my app': { DumpType: 'miniplus', DumpCount: 3, KeepCore: true } } }, 't');
    const app = settingsFor(c, 'my app');
    assert.deepEqual([app.DumpFolder, app.DumpType, app.DumpCount, app.KeepCore, app.application], ['/d', 'miniplus', 3, true, 'my app']);
    const other = settingsFor(c, 'other');
    assert.deepEqual([other.DumpType, other.DumpCount, other.KeepCore, other.application], [2, 10, false, undefined]);
    assert.equal(settingsFor(c, 'constructor').application, undefined, 'not an inherited property');
  });

  test('DumpType: 0 custom (CustomDumpFlags pick the variety), 1 mini, 2 full, "miniplus"', () => {
    assert.equal(varietyOf({ DumpType: 2, CustomDumpFlags: 0 }), 'full');
    assert.equal(varietyOf({ DumpType: 'miniplus', CustomDumpFlags: 0 }), 'miniplus');
    assert.equal(varietyOf({ DumpType: 0, CustomDumpFlags: 0x2 }), 'full'); // MiniDumpWithFullMemory
    assert.equal(varietyOf({ DumpType: 0, CustomDumpFlags: 0x200 }), 'miniplus'); // MiniDumpWithPrivateReadWriteMemory
    assert.equal(varietyOf({ DumpType: 0, CustomDumpFlags: 0x100 }), 'mini'); // MiniDumpWithProcessThreadData only
    refused(() => parseConfig({ DumpType: 3 }, 't'), /DumpType must be 0 \(custom\), 1 \(mini\), 2 \(full\) or "miniplus"/);
  });

  test('bad values are refused with the key named', () => {
    refused(() => parseConfig({ DumpCount: 0 }, 'f.json'), /f\.json: DumpCount must be an integer from 1/);
    refused(() => parseConfig({ DumpFolder: 'relative' }, 't'), /DumpFolder must be an absolute path/);
    refused(() => parseConfig({ Dumpfolder: '/x' }, 't'), /unknown key "Dumpfolder"/);
    refused(() => parseConfig({ Applications: { a: { MaxConcurrent: 3 } } }, 't'), /"MaxConcurrent" cannot be set per application/);
    refused(() => parseConfig({ Applications: { 'a/b': {} } }, 't'), /without a folder/);
    refused(() => parseConfig({ MaxConcurrent: 8, CorePipeLimit: 4 }, 't'), /CorePipeLimit \(4\) is below MaxConcurrent \(8\)/);
    writeFileSync(join(dir, 'bad.json'), '{ "DumpCount": ');
    refused(() => loadConfig(join(dir, 'bad.json')), /bad\.json: not JSON/);
  });
});

describe('handler pieces', () => {
  test('the pipe pattern: absolute paths, -- before the specifiers, %e last, within 127 bytes', () => {
    const p = handlerPattern('/usr/bin/node', '/opt/dk/bin/dumpkit.cjs', ['--config', '/etc/dk.json']);
    assert.equal(p, '|/usr/bin/node /opt/dk/bin/dumpkit.cjs handler core --config /etc/dk.json -- %P %i %s %t %e');
    assert.ok(looksLikeHandler(p));
    assert.ok(!looksLikeHandler('|/usr/lib/systemd/systemd-coredump %P %u %g %s %t %c %h'));
    refused(() => handlerPattern('node', '/x/dumpkit.cjs', []), /absolute path/);
    refused(() => handlerPattern('/usr/bin/node', '/my dir/dumpkit.cjs', []), /holds a space/);
    refused(() => handlerPattern('/usr/bin/node', `/${'x'.repeat(100)}/dumpkit.cjs`, []), /past the kernel's limit of 127/);
  });

  test('arguments: %P %i %s %t then %e\'s words (a name with spaces, or like an option)', () => {
    assert.deepEqual(parseCrashArgs(['12', '13', '11', '1700000000', 'Web', 'Content']), { pid: 12, tid: 13, signal: 11, time: 1700000000, name: 'Web Content' });
    assert.equal(parseCrashArgs(['12', 'x', '11', '1']), undefined);
    assert.equal(parseCrashArgs(['12', '13']), undefined);
  });

  test('dump names are WER\'s <exe>.<pid>.dmp, the next free one; odd characters become _', () => {
    assert.equal(safeName('my app/../x'), 'my_app_.._x');
    assert.equal(safeName('..'), '_', 'no hidden file and no parent folder');
    const first = dumpPaths(dir, 'app', 42);
    assert.deepEqual(first, { dump: join(dir, 'app.42.dmp'), core: join(dir, 'app.42.core') });
    writeFileSync(first.dump, '');
    assert.deepEqual(dumpPaths(dir, 'app', 42), { dump: join(dir, 'app.42 (2).dmp'), core: join(dir, 'app.42 (2).core') });
  });

  test('a folder others can write into, or a link, is refused (root\'s writes could be redirected)', () => {
    const open = join(dir, 'open');
    mkdirSync(open);
    chmodSync(open, 0o1777);
    assert.throws(() => ensureFolder(open), (e: unknown) => e instanceof DumpError && e.code === 'REFUSED' && /can be written by others \(owner \d+, mode 1777\)/.test(e.message));
    symlinkSync(join(dir, 'names'), join(dir, 'link'));
    mkdirSync(join(dir, 'names'), { recursive: true });
    assert.throws(() => ensureFolder(join(dir, 'link')), (e: unknown) => e instanceof DumpError && e.code === 'REFUSED' && /not a directory/.test(e.message));
    ensureFolder(join(dir, 'fresh', 'deeper'));
    assert.equal(statSync(join(dir, 'fresh', 'deeper')).mode & 0o777, 0o700);
  });

  test('DumpCount removes the oldest dumps (and their cores) past the count, nothing else', () => {
    const d = mkdtempSync(join(dir, 'count-'));
    for (let i = 0; i < 6; i++) {
      for (const ext of ['dmp', 'core']) {
        const p = join(d, `a.${100 + i}.${ext}`);
        writeFileSync(p, '');
        utimesSync(p, 1000 + i, 1000 + i);
      }
    }
    writeFileSync(join(d, 'dumpkit-handler.log'), '');
    writeFileSync(join(d, '.a.1.dmp.1.dumpkit-tmp'), '');
    const removed = applyDumpCount(d, 4);
    assert.deepEqual(removed.sort(), [join(d, 'a.100.dmp'), join(d, 'a.101.dmp')]);
    assert.deepEqual(readdirSync(d).sort(), ['.a.1.dmp.1.dumpkit-tmp', 'a.102.core', 'a.102.dmp', 'a.103.core', 'a.103.dmp', 'a.104.core', 'a.104.dmp', 'a.105.core', 'a.105.dmp', 'dumpkit-handler.log']);
    assert.deepEqual(applyDumpCount(d, 4), []);
  });

  test('log lines: key=value, quoted when needed, read back; the latest ones', () => {
    const line = formatLogLine(new Date(0), { pid: 5, exe: 'my app', error: 'a "b" c', skip: undefined });
    assert.equal(line, '1970-01-01T00:00:00.000Z pid=5 exe="my app" error="a \\"b\\" c"\n');
    assert.deepEqual(parseLogLine(line.trimEnd()), { time: '1970-01-01T00:00:00.000Z', fields: { pid: '5', exe: 'my app', error: 'a "b" c' } });
    const log = join(dir, 'h.log');
    for (let i = 0; i < 5; i++) appendLog(log, new Date(i * 1000), { pid: i });
    assert.deepEqual(recentLog(log, 2).map((l) => l.fields.pid), ['3', '4']);
    assert.deepEqual(recentLog(join(dir, 'none.log'), 2), []);
  });
});
