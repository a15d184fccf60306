import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DumpError } from '../../src/core/errors.js';
import { parseAddress, parseInteger, parseNumber } from '../../src/core/numbers.js';

const refused = (f: () => unknown, what: RegExp): void =>
  assert.throws(f, (e: unknown) => e instanceof DumpError && e.code === 'INVALID_ARGUMENT' && what.test(e.message));

test('numbers: decimal, 0x hex, WinDbg backtick form; nothing else', () => {
  assert.equal(parseNumber('4096'), 4096n);
  assert.equal(parseNumber('0x1000'), 4096n);
  assert.equal(parseNumber('0XfF'), 255n);
  assert.equal(parseNumber(' 12 '), 12n);
  assert.equal(parseAddress('fffff800`12345678'), 0xfffff80012345678n);
  assert.equal(parseAddress('0xfffff800`00000000'), 0xfffff80000000000n);
  assert.equal(parseAddress('0`00001000'), 0x1000n);
  assert.equal(parseAddress('0xffffffffffffffff'), 2n ** 64n - 1n);
  for (const bad of ['abc', '1e9', '0x', '', '-1', '+1', '1_000', '10h', '0x1g', 'fffff800`1234', '`12345678', '1.5', '0b101', 'Infinity', '12 34']) {
    refused(() => parseNumber(bad, '--x'), /--x .* is not a number: give decimal/);
  }
});

test('numbers: addresses above 2^64 - 1 and integers outside their range are refused', () => {
  refused(() => parseAddress('0x10000000000000000', '--pa'), /--pa .* above the largest allowed, 0xffffffffffffffff/);
  refused(() => parseAddress('18446744073709551616'), /above/);
  assert.equal(parseInteger('64', 'vms', 0, 64), 64);
  assert.equal(parseInteger('0x40', 'vms', 0, 64), 64);
  refused(() => parseInteger('65', 'vms', 0, 64), /vms must be an integer 0\.\.64/);
  refused(() => parseInteger('-1', 'vms', 0, 64), /got "-1"/);
  refused(() => parseInteger('abc', '--length', 1, 100), /--length must be an integer 1\.\.100/);
});
