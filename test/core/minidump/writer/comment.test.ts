import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySink } from '../../../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../../../src/core/bytes/memory-source.js';
import { formatMinidumpSummary, summarizeMinidump } from '../../../../src/core/minidump/summary.js';
import { captureProcess } from '../../../../src/node/capture/capture.js';
import { FakeProcess } from '../../../fixtures/fake-process.js';

/**
 * CommentStreamA (10) and CommentStreamW (11) as the writer lays them out (checked with literal
 * offsets: the directory at the header's RVA, 12-byte entries), and as `info` shows them.
 */
test('a capture with a comment: CommentStreamA (Latin-1 + NUL) and CommentStreamW (UTF-16LE + 2-byte NUL); info shows it', async () => {
  const text = 'dumpkit monitor: CPU 93% >= 80% over 1 s (sample 3) — ünïcode ✓';
  const sink = new MemorySink();
  await captureProcess(new FakeProcess(), () => sink, { variety: 'mini', memAvailable: 1 << 30, snapshot: 'copy', comment: text });
  const b = sink.toBytes();
  const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
  const streams = new Map<number, { size: number; rva: number }>();
  for (let i = 0; i < v.getUint32(8, true); i++) {
    const o = v.getUint32(12, true) + i * 12;
    streams.set(v.getUint32(o, true), { size: v.getUint32(o + 4, true), rva: v.getUint32(o + 8, true) });
  }
  const w = streams.get(11)!;
  assert.equal(w.size, text.length * 2 + 2);
  assert.equal(new TextDecoder('utf-16le').decode(b.subarray(w.rva, w.rva + w.size - 2)), text);
  assert.deepEqual([...b.subarray(w.rva + w.size - 2, w.rva + w.size)], [0, 0]);
  const a = streams.get(10)!;
  assert.equal(a.size, text.length + 1);
  assert.equal(b[a.rva + a.size - 1], 0);
  assert.equal(String.fromCharCode(...b.subarray(a.rva, a.rva + 8)), 'dumpkit ');
  assert.equal(b[a.rva + text.indexOf('—')], 0x3f, 'a character above U+00FF becomes ? in the ANSI copy');
  assert.equal(b[a.rva + text.indexOf('ü')], 0xfc, 'Latin-1 kept');

  const summary = await summarizeMinidump(new MemorySource(b, 'comment.dmp'));
  assert.equal(summary.comment, text, 'info --json: the UTF-16 comment');
  assert.match(formatMinidumpSummary(summary as unknown as Record<string, unknown>), /^Comment: dumpkit monitor: CPU 93% >= 80%/m);
});

test('no comment given: neither comment stream is written', async () => {
  const sink = new MemorySink();
  await captureProcess(new FakeProcess(), () => sink, { variety: 'mini', memAvailable: 1 << 30, snapshot: 'copy' });
  const summary = await summarizeMinidump(new MemorySource(sink.toBytes(), 'plain.dmp'));
  assert.equal(summary.comment, undefined);
  assert.ok(!summary.streams.some((s) => s.type === 10 || s.type === 11));
});
