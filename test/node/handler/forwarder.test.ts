import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { parseForwarded } from '../../../src/node/handler/daemon.js';
import { compileForwarder } from '../../../src/node/handler/forwarder.js';
import { forwarderPattern, looksLikeHandler } from '../../../src/node/handler/kernel-settings.js';
import { gccSkip } from '../../helpers/target.js';

/** The resident path's pieces that need no root: the forwarder's compilation, its message, its pattern. */
const dir = mkdtempSync(join(tmpdir(), 'dk-fwd-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const paths = { socket: '/run/dumpkit/handler.sock', node: '/usr/bin/node', entry: '/opt/dk/bin/dumpkit.cjs', config: '', waitSeconds: 90 };

describe('the forwarder', () => {
  test('compiles with cc to a 0755 program; refuses in one line without a compiler, or with a path C cannot carry', { skip: gccSkip }, () => {
    const out = join(dir, 'dumpkit-core-forward');
    compileForwarder(out, paths);
    assert.equal(statSync(out).mode & 0o777, 0o755);
    assert.throws(() => compileForwarder(join(dir, 'x'), paths, '/nonexistent/cc'), (e: unknown) => e instanceof DumpError && e.code === 'REFUSED' && /no C compiler \(\/nonexistent\/cc\).*without --resident/.test(e.message));
    assert.throws(() => compileForwarder(join(dir, 'x'), { ...paths, entry: '/a"b' }), /printable ASCII paths without quotes/);
    assert.throws(() => compileForwarder(join(dir, 'x'), { ...paths, socket: `/${'s'.repeat(120)}` }), /past a Unix socket's 107/);
  });

  test('its message: DKF1, length, NUL-ended arguments; short and bad ones told apart', () => {
    const msg = (args: string[]): Buffer => {
      const body = Buffer.from(args.map((a) => a + '\0').join(''));
      const head = Buffer.alloc(8);
      head.write('DKF1');
      head.writeUInt32LE(body.length, 4);
      return Buffer.concat([head, body]);
    };
    const whole = msg(['4242', '4243', '11', '1764860000', 'my prog']);
    assert.deepEqual(parseForwarded(whole), { argv: ['4242', '4243', '11', '1764860000', 'my prog'] });
    assert.equal(parseForwarded(whole.subarray(0, 5)), 'short');
    assert.equal(parseForwarded(whole.subarray(0, whole.length - 1)), 'short');
    assert.equal(parseForwarded(Buffer.concat([whole, Buffer.from('x')])), 'bad');
    assert.equal(parseForwarded(Buffer.from('XXXX\0\0\0\0')), 'bad');
    const huge = Buffer.alloc(8);
    huge.write('DKF1');
    huge.writeUInt32LE(1 << 20, 4);
    assert.equal(parseForwarded(huge), 'bad', 'a length past the cap');
  });

  test('its pattern', () => {
    assert.equal(forwarderPattern('/usr/local/libexec/dumpkit-core-forward'), '|/usr/local/libexec/dumpkit-core-forward %P %i %s %t %e');
    assert.ok(looksLikeHandler(forwarderPattern('/usr/local/libexec/dumpkit-core-forward')));
    assert.throws(() => forwarderPattern('dumpkit-core-forward'), /absolute path/);
  });
});
