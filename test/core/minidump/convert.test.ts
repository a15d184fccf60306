import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemorySink } from '../../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { DumpError } from '../../../src/core/errors.js';
import { convertMinidump } from '../../../src/core/minidump/convert.js';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { captureProcess } from '../../../src/node/capture/capture.js';
import { FAKE_THREADS, FakeProcess, fakeByte } from '../../fixtures/fake-process.js';

async function captured(variety: 'full' | 'miniplus' | 'mini'): Promise<Uint8Array> {
  const sink = new MemorySink();
  await captureProcess(new FakeProcess(), () => sink, { variety, memAvailable: 1 << 30, snapshot: 'copy' });
  return sink.toBytes();
}

async function convert(bytes: Uint8Array, to: 'miniplus' | 'mini'): Promise<Uint8Array> {
  const sink = new MemorySink();
  await convertMinidump(await Minidump.open(new MemorySource(bytes, 'src.dmp')), sink, to, new Diagnostics());
  return sink.toBytes();
}

describe('convertMinidump (full → miniplus → mini, same rules as capture)', () => {
  test('a converted dump keeps threads, contexts, stacks and modules and holds what a direct capture holds', async () => {
    const full = await captured('full');
    for (const to of ['miniplus', 'mini'] as const) {
      const out = await convert(full, to);
      const direct = await captured(to);
      assert.ok(out.length < full.length, `${to} is smaller than full`);
      const a = await Minidump.open(new MemorySource(out, `${to}.dmp`));
      const b = await Minidump.open(new MemorySource(direct, `${to}-direct.dmp`));
      const ranges = (d: Minidump) => d.memoryRanges().then((rs) => rs.map((r) => `${r.start.toString(16)}+${r.size.toString(16)}`).sort());
      assert.deepEqual(await ranges(a), await ranges(b), `${to}: same memory as a direct ${to} capture`);
      const ta = await a.threads();
      assert.deepEqual(ta.map((t) => t.threadId), FAKE_THREADS.map((t) => t.id));
      for (const [i, t] of ta.entries()) {
        const ctx = (await a.context(t.threadContext))!;
        assert.equal(ctx.pc, FAKE_THREADS[i]!.rip);
        assert.equal(ctx.sp, FAKE_THREADS[i]!.rsp);
        const stack = await a.readMemory(ctx.sp, 16);
        assert.deepEqual([...stack], Array.from({ length: 16 }, (_, k) => fakeByte(ctx.sp + BigInt(k))));
      }
      assert.deepEqual((await a.modules()).map((m) => m.name), ['/fake/bin/app']);
      assert.equal((await a.modules())[0]!.cvRecord?.kind, 'elf');
      assert.equal((await a.linuxMaps())?.length, 8);
    }
  });

  test('refuses to grow a dump', async () => {
    const mini = await captured('mini');
    await assert.rejects(
      async () => convertMinidump(await Minidump.open(new MemorySource(mini, 'mini.dmp')), new MemorySink(), 'miniplus', new Diagnostics()),
      (e: unknown) => e instanceof DumpError && e.code === 'REFUSED' && /grow/.test(e.message),
    );
  });
});
