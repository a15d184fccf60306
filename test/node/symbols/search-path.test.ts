/** --symbols DIR and DUMPKIT_SYMBOLS read like _NT_SYMBOL_PATH (local directories only). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { symbolSearchPath } from '../../../src/node/symbols/search-path.js';

describe('symbolSearchPath', () => {
  test('CLI directories first, in order, then the environment', () => {
    assert.deepEqual(symbolSearchPath(['/a', '/b'], '/c;/d'), ['/a', '/b', '/c', '/d']);
    assert.deepEqual(symbolSearchPath([], undefined), []);
    assert.deepEqual(symbolSearchPath(['/a'], ''), ['/a']);
  });

  test('srv*CACHE*URL and cache*DIR give their local directories; URLs are ignored with a diagnostic', () => {
    const d = new Diagnostics();
    const dirs = symbolSearchPath(
      ['/cli'],
      'srv*C:\\symcache*https://msdl.microsoft.com/download/symbols; cache*/var/cache/syms ;/plain;https://example.com/syms;srv*https://only.remote/x;symsrv*symsrv.dll*D:\\store*http://s/y;/plain',
      d,
    );
    assert.deepEqual(dirs, ['/cli', 'C:\\symcache', '/var/cache/syms', '/plain', 'D:\\store']);
    const msgs = d.list();
    assert.equal(msgs.length, 4, msgs.join('\n'));
    for (const url of ['https://msdl.microsoft.com/download/symbols', 'https://example.com/syms', 'https://only.remote/x', 'http://s/y']) {
      assert.ok(msgs.some((m) => m.includes(url) && /local directories only/.test(m)), url);
    }
  });

  test('SRV and CACHE in any case; srv with several local stores; cache* alone is reported', () => {
    const d = new Diagnostics();
    assert.deepEqual(symbolSearchPath([], 'SRV*/down*/mid*https://x/y;CACHE*/c;cache*', d), ['/down', '/mid', '/c']);
    assert.match(d.list().join('\n'), /default cache/);
  });
});
