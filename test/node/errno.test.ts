import assert from 'node:assert/strict';
import { test } from 'node:test';
import { hostFile } from '../../src/node/capture/system.js';
import { onlyErrno } from '../../src/node/errno.js';

test('onlyErrno: a system error is returned, anything else (a bug) is rethrown', () => {
  const enoent = Object.assign(new Error('ENOENT: no such file'), { code: 'ENOENT' });
  assert.equal(onlyErrno(enoent), enoent);
  assert.throws(() => onlyErrno(new TypeError('x is undefined')), TypeError);
  assert.throws(() => onlyErrno('a string'), (e: unknown) => e === 'a string');
  assert.equal(hostFile('/no/such/file/for/dumpkit'), undefined, 'a missing host file is still just absent');
});
