import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { forkExcluded, parseMaps } from '../../../src/core/linux/maps.js';
import { planMemory, subtractIntervals } from '../../../src/core/minidump/varieties.js';

/** The variety rules on hand-written maps (no process needed). */
const MiB = 0x100000n;

function maps(lines: string[]): ReturnType<typeof parseMaps> {
  return parseMaps(lines.join('\n'));
}

const covers = (ranges: { address: bigint; size: number }[], a: bigint): boolean => ranges.some((r) => a >= r.address && a < r.address + BigInt(r.size));

describe('variety rules', () => {
  // Three private 300 MiB allocations of the same size make a 900 MiB "area" (> 512 MiB).
  const big = [0x100000000n, 0x200000000n, 0x300000000n];
  const m = maps([
    '00400000-00401000 r-xp 00000000 08:01 1 /bin/app',
    '00601000-00602000 rw-p 00001000 08:01 1 /bin/app',
    '01000000-01100000 rw-p 00000000 00:00 0 [heap]',
    ...big.map((b) => `${b.toString(16)}-${(b + 300n * MiB).toString(16)} rw-p 00000000 00:00 0 `),
    '7ffc00000000-7ffc00021000 rw-p 00000000 00:00 0 [stack]',
  ]);
  const pointer = big[1]! + 10n * MiB + 123n; // on the stack: points into the 3rd 4 MiB chunk of the 2nd allocation
  const threads = [{ id: 1, sp: 0x7ffc00020000n, registerValues: [0x400100n, 0x1000040n] }];
  const words = () => [pointer, 0x12n];

  test('full keeps every readable mapping; stacks go to MemoryList, not twice', () => {
    const { ranges } = planMemory('full', m, threads, words);
    for (const a of [0x400000n, 0x601000n, 0x1000000n, big[0]!, big[2]! + 299n * MiB]) assert.ok(covers(ranges, a), `0x${a.toString(16)}`);
    const stack = ranges.filter((r) => r.kind === 'stack');
    assert.equal(stack.length, 1);
    assert.equal(stack[0]!.address, 0x7ffc00020000n);
    const bulkOverStack = ranges.filter((r) => r.kind === 'bulk' && covers([r], 0x7ffc00020000n));
    assert.equal(bulkOverStack.length, 0, 'stack bytes are not also in Memory64List');
  });

  test('miniplus drops the unmodified image and the largest area over 512 MiB except the 4 MiB chunks stacks point into', () => {
    const { ranges, dropped } = planMemory('miniplus', m, threads, words);
    assert.equal(dropped.area, 900 * 1024 * 1024);
    assert.equal(dropped.keptChunks, 1);
    assert.ok(!covers(ranges, 0x400800n), 'r-xp image text dropped (but for the window around pc)');
    assert.ok(covers(ranges, 0x601000n), 'writable image data kept');
    assert.ok(covers(ranges, 0x1000000n), 'heap kept');
    assert.ok(!covers(ranges, big[0]!), 'area dropped');
    const chunk = big[1]! + 8n * MiB;
    assert.ok(covers(ranges, chunk) && covers(ranges, chunk + 4n * MiB - 1n), 'referenced 4 MiB chunk kept');
    assert.ok(!covers(ranges, chunk - 1n) && !covers(ranges, chunk + 4n * MiB), 'only that chunk');
  });

  test('mini keeps stacks (sp to the end of the mapping) and windows around register values', () => {
    const { ranges } = planMemory('mini', m, threads, words);
    assert.ok(covers(ranges, 0x7ffc00020000n) && covers(ranges, 0x7ffc00020fffn));
    assert.ok(covers(ranges, 0x1000040n) && covers(ranges, 0x1000000n + 0x13fn), 'window around a heap pointer');
    assert.ok(!covers(ranges, 0x1000000n + 0x200n), 'but not the heap');
    assert.ok(!covers(ranges, big[1]!), 'no bulk memory');
    assert.ok(ranges.every((r) => r.kind !== 'bulk'));
  });

  test('subtractIntervals', () => {
    assert.deepEqual(subtractIntervals([[0n, 100n]], [[10n, 20n], [50n, 60n]]), [[0n, 10n], [20n, 50n], [60n, 100n]]);
    assert.deepEqual(subtractIntervals([[0n, 100n]], [[0n, 100n]]), []);
  });
});

test('forkExcluded: mappings marked MADV_DONTFORK (dc) or MADV_WIPEONFORK (wf) in smaps VmFlags', () => {
  const smaps = [
    '55d0c0a00000-55d0c0a21000 rw-p 00000000 00:00 0                          [heap]',
    'Size:                132 kB',
    'Anonymous:             8 kB',
    'VmFlags: rd wr mr mw me ac sd ',
    '1a2b00000000-1a2b00040000 rw-p 00000000 00:00 0 ',
    'Size:                256 kB',
    'VmFlags: rd wr mr mw me dc nr sd ',
    '7f0000000000-7f0000010000 rw-p 00000000 00:00 0 ',
    'VmFlags: rd wr mr mw me ac wf ',
    '7ffd1000-7ffd2000 r--p 00000000 00:00 0                          [vvar]',
    'VmFlags: rd mr pf io de dd sd ',
  ].join('\n');
  assert.deepEqual(forkExcluded(smaps), [
    { start: 0x1a2b00000000n, end: 0x1a2b00040000n, flag: 'dc' },
    { start: 0x7f0000000000n, end: 0x7f0000010000n, flag: 'wf' },
  ]);
});
