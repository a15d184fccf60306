import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySource } from '../../src/core/bytes/memory-source.js';
import { StructView } from '../../src/core/bytes/struct-view.js';
import { detectFormat } from '../../src/core/detect.js';
import { DumpError } from '../../src/core/errors.js';
import { hex, toJson } from '../../src/core/hex.js';
import { parseAddress } from '../../src/core/numbers.js';

test('StructView reads little-endian fields and names the byte range when short', () => {
  const v = new StructView(Uint8Array.from([1, 2, 3, 4, 5, 6, 7, 8]), 0x100, 'TEST_STRUCT');
  assert.equal(v.u32(0), 0x04030201);
  assert.equal(v.u64(0), 0x0807060504030201n);
  assert.throws(
    () => v.u32(6),
    (e: unknown) => e instanceof DumpError && e.code === 'TRUNCATED' && /TEST_STRUCT/.test(e.message) && /0x106-0x10a/.test(e.message),
  );
});

test('MemorySource refuses reads past the end with TRUNCATED', async () => {
  const s = new MemorySource(new Uint8Array(10));
  await assert.rejects(s.read(8, 4), (e: unknown) => e instanceof DumpError && e.code === 'TRUNCATED');
  assert.equal((await s.read(2, 3)).length, 3);
});

test('detectFormat knows MDMP, PAGEDUMP, PAGEDU64 and rejects the rest', async () => {
  const enc = (t: string) => new MemorySource(new TextEncoder().encode(t.padEnd(16, '\0')));
  assert.equal(await detectFormat(enc('MDMP\x93\xa7')), 'minidump');
  assert.equal(await detectFormat(enc('PAGEDU64')), 'kernel64');
  assert.equal(await detectFormat(enc('PAGEDUMP')), 'kernel32');
  await assert.rejects(detectFormat(enc('ELF')), (e: unknown) => e instanceof DumpError && e.code === 'UNKNOWN_FORMAT');
});

test('hex/parseAddress/toJson follow the JSON address rule', () => {
  assert.equal(hex(0xfffff80000000000n), '0xfffff80000000000');
  assert.equal(parseAddress('fffff800`12345678'), 0xfffff80012345678n);
  assert.equal(parseAddress('0x10'), 16n);
  assert.equal(toJson({ a: 255n }, 0), '{"a":"0xff"}');
});
