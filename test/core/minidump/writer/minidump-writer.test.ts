import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemorySink } from '../../../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../../../src/core/bytes/memory-source.js';
import { DumpError } from '../../../../src/core/errors.js';
import { Minidump } from '../../../../src/core/minidump/minidump.js';
import { writeMinidump } from '../../../../src/core/minidump/writer/minidump-writer.js';
import { captureProcess } from '../../../../src/node/capture/capture.js';
import { FAKE_BUILD_ID, FAKE_THREADS, FakeProcess, fakeByte } from '../../../fixtures/fake-process.js';

/**
 * The writer end to end on a scripted process (no ptrace): the bytes are checked with literal
 * offsets from the Microsoft/Breakpad layouts, and with dumpkit's reader.
 */
async function captureFake(variety: 'full' | 'miniplus' | 'mini'): Promise<{ bytes: Uint8Array; fake: FakeProcess }> {
  const fake = new FakeProcess();
  const sink = new MemorySink();
  await captureProcess(fake, () => sink, { variety, memAvailable: 1 << 30, snapshot: 'copy' });
  return { bytes: sink.toBytes(), fake };
}

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** Stream directory by type, read with literal offsets (header 32 bytes, entries 12). */
function directory(b: Uint8Array): Map<number, { size: number; rva: number }> {
  const v = dv(b);
  assert.equal(v.getUint32(0, true), 0x504d444d, 'MDMP');
  assert.equal(v.getUint32(4, true) & 0xffff, 0xa793);
  const n = v.getUint32(8, true);
  const at = v.getUint32(12, true);
  const out = new Map<number, { size: number; rva: number }>();
  for (let i = 0; i < n; i++) {
    const o = at + i * 12;
    const type = v.getUint32(o, true);
    if (type !== 0) out.set(type, { size: v.getUint32(o + 4, true), rva: v.getUint32(o + 8, true) });
  }
  return out;
}

function str(b: Uint8Array, rva: number): string {
  const len = dv(b).getUint32(rva, true);
  return new TextDecoder('utf-16le').decode(b.subarray(rva + 4, rva + 4 + len));
}

/** A process with nothing but memory, for writer tests. */
const base = {
  timestamp: 0,
  flags: 0n,
  system: { arch: 'amd64' as const, processorLevel: 6, processorRevision: 0, processorCount: 1, csdVersion: '', vendorId: '', cpuidVersion: 0, cpuidFeatures: 0 },
  threads: [],
  modules: [],
  memoryInfo: [],
  linuxStreams: [],
};

describe('minidump writer on a scripted process', () => {
  test('full: header, threads with AMD64 contexts, stacks in MemoryList, the rest in Memory64List, modules with BpEL', async () => {
    const { bytes, fake } = await captureFake('full');
    assert.equal(fake.stopped, 1);
    assert.equal(fake.resumed >= 1, true, 'resumed');
    const v = dv(bytes);
    assert.equal(v.getBigUint64(24, true) & 0x2n, 0x2n, 'MiniDumpWithFullMemory flag');
    const dir = directory(bytes);
    for (const t of [3, 4, 5, 7, 9, 15, 16, 24, 0x47670009, 0x47670004, 0x47670006]) assert.ok(dir.has(t), `stream 0x${t.toString(16)}`);

    // SystemInfo: AMD64 (9), Linux (0x8201).
    const si = dir.get(7)!;
    assert.equal(v.getUint16(si.rva, true), 9);
    assert.equal(v.getUint32(si.rva + 20, true), 0x8201);

    // ThreadList: count, then 48-byte MINIDUMP_THREADs.
    const tl = dir.get(3)!;
    assert.equal(v.getUint32(tl.rva, true), 2);
    assert.equal(tl.size, 4 + 2 * 48);
    for (let i = 0; i < 2; i++) {
      const o = tl.rva + 4 + i * 48;
      const want = FAKE_THREADS[i]!;
      assert.equal(v.getUint32(o, true), want.id);
      assert.equal(v.getBigUint64(o + 16, true), 0x7f0000001000n + BigInt(want.id), 'Teb = fs_base');
      const stackStart = v.getBigUint64(o + 24, true);
      const stackSize = v.getUint32(o + 32, true);
      const stackRva = v.getUint32(o + 36, true);
      assert.equal(stackStart, want.rsp & ~0xfffn, 'stack starts at the page of sp');
      assert.equal(stackStart + BigInt(stackSize), want.id === 4242 ? 0x7ffc00021000n : 0x7f0000010000n, 'stack runs to the end of its mapping');
      for (const k of [0, 1, stackSize - 1]) assert.equal(bytes[stackRva + k], fakeByte(stackStart + BigInt(k)));
      assert.equal(v.getUint32(o + 40, true), 1232, 'AMD64 CONTEXT size');
      const c = v.getUint32(o + 44, true);
      assert.equal(v.getUint32(c + 0x30, true), 0x10000f);
      assert.equal(v.getUint32(c + 0x34, true), 0x1f80, 'MxCsr');
      assert.equal(v.getUint16(c + 0x38, true), 0x33, 'SegCs');
      assert.equal(v.getUint32(c + 0x44, true), 0x246, 'EFlags');
      assert.equal(v.getBigUint64(c + 0x78, true), want.rax, 'Rax');
      assert.equal(v.getBigUint64(c + 0x98, true), want.rsp, 'Rsp');
      assert.equal(v.getBigUint64(c + 0xa0, true), want.rsp + 0x40n, 'Rbp');
      assert.equal(v.getBigUint64(c + 0xf8, true), want.rip, 'Rip');
    }

    // Memory64List: u64 count, u64 BaseRva, then contiguous data in descriptor order.
    const m64 = dir.get(9)!;
    const n = Number(v.getBigUint64(m64.rva, true));
    assert.equal(m64.size, 16 + 16 * n);
    let at = Number(v.getBigUint64(m64.rva + 8, true));
    const covered: [bigint, bigint][] = [];
    for (let i = 0; i < n; i++) {
      const start = v.getBigUint64(m64.rva + 16 + i * 16, true);
      const size = Number(v.getBigUint64(m64.rva + 24 + i * 16, true));
      for (const k of [0, size >> 1, size - 1]) assert.equal(bytes[at + k], fakeByte(start + BigInt(k)), `byte ${k} of range 0x${start.toString(16)}`);
      covered.push([start, start + BigInt(size)]);
      at += size;
    }
    assert.equal(at, bytes.length, 'Memory64 data is last');
    const has = (a: bigint): boolean => covered.some(([s, e]) => a >= s && a < e);
    assert.ok(has(0x400000n) && has(0x1000000n) && has(0x10000000n), 'image, heap and file mapping in full');
    assert.ok(!has(0x7f0000010000n), 'guard page (---p) not captured');
    assert.ok(!has(0x7ffc00100000n), '[vvar] not captured');

    // ModuleList: /fake/bin/app over both of its mappings, with a BpEL CodeView record.
    const ml = dir.get(4)!;
    assert.equal(v.getUint32(ml.rva, true), 1, 'data.bin is not an ELF: not a module');
    const mo = ml.rva + 4;
    assert.equal(v.getBigUint64(mo, true), 0x400000n);
    assert.equal(v.getUint32(mo + 8, true), 0x2000);
    assert.equal(str(bytes, v.getUint32(mo + 20, true)), '/fake/bin/app');
    const cvSize = v.getUint32(mo + 76, true);
    const cvRva = v.getUint32(mo + 80, true);
    assert.equal(cvSize, 24);
    assert.deepEqual([...bytes.subarray(cvRva, cvRva + 4)], [0x4c, 0x45, 0x70, 0x42], "'LEpB'");
    assert.deepEqual([...bytes.subarray(cvRva + 4, cvRva + 24)], [...FAKE_BUILD_ID]);

    // ThreadNames: 12-byte entries {u32 tid, u64 rva}.
    const tn = dir.get(24)!;
    assert.equal(v.getUint32(tn.rva, true), 2);
    assert.equal(str(bytes, Number(v.getBigUint64(tn.rva + 4 + 4, true))), 'app');
    assert.equal(str(bytes, Number(v.getBigUint64(tn.rva + 16 + 4, true))), 'worker');

    // MiscInfo: 24 bytes, pid.
    const mi = dir.get(15)!;
    assert.equal(mi.size, 24);
    assert.equal(v.getUint32(mi.rva + 8, true), 4242);

    // dumpkit's reader agrees.
    const dump = await Minidump.open(new MemorySource(bytes, 'fake.dmp'));
    assert.deepEqual(dump.diagnostics.list(), []);
    const threads = await dump.threads();
    const ctx = (await dump.context(threads[1]!.threadContext))!;
    assert.equal(ctx.pc, 0x400456n);
    assert.equal(ctx.sp, 0x7f000000fe00n);
    assert.deepEqual([...(await dump.readMemory(0x1000800n, 4))], [0, 1, 2, 3].map((k) => fakeByte(0x1000800n + BigInt(k))));
  });

  test('mini: stacks and register windows only; miniplus drops the unmodified image', async () => {
    const mini = await captureFake('mini');
    const dm = await Minidump.open(new MemorySource(mini.bytes, 'mini.dmp'));
    assert.equal((await dm.memoryRanges()).length > 0, true);
    // The window around rax (0x1000800 in the heap) is there, the rest of the heap is not.
    assert.equal((await dm.readMemory(0x1000800n - 256n, 512)).length, 512);
    await assert.rejects(dm.readMemory(0x1000000n, 16), (e: unknown) => e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP');
    const dirMini = directory(mini.bytes);
    assert.ok(!dirMini.has(9), 'no Memory64List in a mini dump');

    const plus = await captureFake('miniplus');
    const dp = await Minidump.open(new MemorySource(plus.bytes, 'plus.dmp'));
    // No smaps in the fake: read-only/executable file mappings count as unmodified and are dropped.
    await assert.rejects(dp.readMemory(0x400000n, 16), (e: unknown) => e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP');
    assert.equal((await dp.readMemory(0x401000n, 16)).length, 16, 'writable image data kept');
    assert.equal((await dp.readMemory(0x1000000n, 16)).length, 16, 'heap kept');
    const full = await captureFake('full');
    assert.ok(full.bytes.length > plus.bytes.length && plus.bytes.length > mini.bytes.length);
  });

  test('refuses overlapping memory ranges and ranges that produce the wrong number of bytes', async () => {
    const range = (address: bigint, size: number) => ({ address, size, kind: 'bulk' as const, chunks: () => [new Uint8Array(size)] });
    await assert.rejects(writeMinidump({ ...base, memory: [range(0x1000n, 0x100), range(0x1080n, 0x100)] }, new MemorySink()), (e: unknown) => e instanceof DumpError && e.code === 'OVERLAP');
    const short = { address: 0x1000n, size: 0x100, kind: 'bulk' as const, chunks: () => [new Uint8Array(0x80)] };
    await assert.rejects(writeMinidump({ ...base, memory: [short] }, new MemorySink()), (e: unknown) => e instanceof DumpError && e.code === 'CAPTURE');
  });

  test('ranges that fill themselves (a snapshot writing its own memory) give the same file as streamed ones', async () => {
    const bytesOf = (address: bigint, size: number): Uint8Array => new Uint8Array(size).map((_, i) => Number((address + BigInt(i)) % 251n));
    const ranges = [
      { address: 0x10000n, size: 0x3000 },
      { address: 0x20000n, size: 0x1000 },
      { address: 0x7f0000000000n, size: 0x5000 },
    ];
    const streamed = new MemorySink();
    await writeMinidump({ ...base, memory: ranges.map((r) => ({ ...r, kind: 'bulk' as const, chunks: () => [bytesOf(r.address, r.size)] })) }, streamed);

    // A sink that can reserve space, and ranges that write their bytes at the offset they are given.
    class ReservingSink extends MemorySink {
      reserve(length: number): Promise<number> {
        return this.write(new Uint8Array(length)); // zeros until filled
      }
    }
    const sink = new ReservingSink();
    const fills: { address: bigint; at: number }[] = [];
    let progressed = 0;
    const memory = ranges.map((r) => ({
      ...r,
      kind: 'bulk' as const,
      chunks: (): Uint8Array[] => {
        throw new Error('chunks() must not be used when the range fills itself');
      },
      fill: async (at: number, progress: (n: number) => void): Promise<void> => {
        fills.push({ address: r.address, at });
        await sink.patch(at, bytesOf(r.address, r.size));
        progress(r.size);
      },
    }));
    const res = await writeMinidump({ ...base, memory }, sink, (done) => (progressed = done));
    assert.equal(fills.length, 3);
    assert.deepEqual(sink.toBytes(), streamed.toBytes(), 'byte-identical to the streamed file');
    assert.equal(progressed, 0x9000, 'progress counts the filled bytes');
    assert.equal(res.memoryBytes, 0x9000);
    // Memory64List (stream 9): BaseRva, then the ranges back to back; each fill got its range's offset.
    const dir = directory(sink.toBytes());
    const m64 = dir.get(9)!;
    const v = dv(sink.toBytes());
    let at = Number(v.getBigUint64(m64.rva + 8, true));
    for (const f of fills) {
      assert.equal(f.at, at);
      at += ranges.find((r) => r.address === f.address)!.size;
    }
  });
});

describe('LinuxDsoDebug (0x4767000A) as written, checked at Breakpad offsets and by the reader', () => {
  const debug64 = {
    version: 1,
    brk: 0x7ffff7fd5060n,
    ldbase: 0x7ffff7fc3000n,
    dynamic: 0x555555557de0n,
    dynamicSection: Uint8Array.from({ length: 3 * 16 }, (_, i) => i + 1),
    linkMap: [
      { addr: 0x555555554000n, name: '', ld: 0x555555557de0n },
      { addr: 0x7ffff7fc1000n, name: 'linux-vdso.so.1', ld: 0x7ffff7fc1440n },
      { addr: 0x7ffff7dd0000n, name: '/lib/x86_64-linux-gnu/libc.so.6', ld: 0x7ffff7fa2b60n },
      { addr: 0x7ffff7f00000n, name: '/opt/app/libé.so', ld: 0x7ffff7f03e00n },
      { addr: 0x7ffff7fc3000n, name: '/lib64/ld-linux-x86-64.so.2', ld: 0x7ffff7ffde40n },
    ],
  };

  /** The MINIDUMP_STRING at `rva`, checking its UTF-16 NUL terminator. */
  function terminatedString(b: Uint8Array, rva: number): string {
    const len = dv(b).getUint32(rva, true);
    assert.equal(dv(b).getUint16(rva + 4 + len, true), 0, `string at 0x${rva.toString(16)} ends with a UTF-16 NUL`);
    return str(b, rva);
  }

  test('64-bit: MDRawDebug64 (40 bytes, padding after dso_count), MDRawLinkMap64 (24 bytes each), dynamic section after the header', async () => {
    const sink = new MemorySink();
    await writeMinidump({ ...base, memory: [], linuxDsoDebug: debug64 }, sink);
    const b = sink.toBytes();
    const v = dv(b);
    const s = directory(b).get(0x4767000a)!;
    assert.ok(s, 'LinuxDsoDebug in the directory');
    assert.equal(s.size, 40 + 48);
    assert.equal(v.getUint32(s.rva, true), 1, 'version');
    const map = v.getUint32(s.rva + 4, true);
    assert.equal(v.getUint32(s.rva + 8, true), 5, 'dso_count');
    assert.equal(v.getUint32(s.rva + 12, true), 0, 'padding');
    assert.equal(v.getBigUint64(s.rva + 16, true), 0x7ffff7fd5060n, 'brk');
    assert.equal(v.getBigUint64(s.rva + 24, true), 0x7ffff7fc3000n, 'ldbase');
    assert.equal(v.getBigUint64(s.rva + 32, true), 0x555555557de0n, 'dynamic');
    assert.deepEqual(b.subarray(s.rva + 40, s.rva + 88), debug64.dynamicSection);
    debug64.linkMap.forEach((e, i) => {
      const o = map + i * 24;
      assert.equal(v.getBigUint64(o, true), e.addr, `link_map[${i}].addr`);
      assert.equal(v.getUint32(o + 12, true), 0, `link_map[${i}] padding`);
      assert.equal(v.getBigUint64(o + 16, true), e.ld, `link_map[${i}].ld`);
      assert.equal(terminatedString(b, v.getUint32(o + 8, true)), e.name, `link_map[${i}].name`);
    });

    const md = await Minidump.open(new MemorySource(b));
    assert.deepEqual(await md.linuxDsoDebug(), {
      version: 1,
      mapRva: map,
      dsoCount: 5,
      brk: debug64.brk,
      ldbase: debug64.ldbase,
      dynamic: debug64.dynamic,
      linkMap: debug64.linkMap,
      dynamicSection: debug64.dynamicSection,
    });
    assert.deepEqual(md.diagnostics.list(), []);
  });

  test('32-bit (x86): MDRawDebug32 (24 bytes), MDRawLinkMap32 (12 bytes each)', async () => {
    const debug32 = {
      version: 1,
      brk: 0xf7f28120n,
      ldbase: 0xf7f26000n,
      dynamic: 0x56625ee8n,
      dynamicSection: Uint8Array.from({ length: 3 * 8 }, (_, i) => 0xa0 + i),
      linkMap: [
        { addr: 0x56622000n, name: '', ld: 0x56625ee8n },
        { addr: 0xf7cea000n, name: '/lib/i386-linux-gnu/libc.so.6', ld: 0xf7f06d8cn },
        { addr: 0xf7f26000n, name: '/lib/ld-linux.so.2', ld: 0xf7f59f14n },
      ],
    };
    const sink = new MemorySink();
    await writeMinidump({ ...base, system: { ...base.system, arch: 'x86' }, memory: [], linuxDsoDebug: debug32 }, sink);
    const b = sink.toBytes();
    const v = dv(b);
    const s = directory(b).get(0x4767000a)!;
    assert.equal(s.size, 24 + 24);
    assert.equal(v.getUint32(s.rva, true), 1, 'version');
    const map = v.getUint32(s.rva + 4, true);
    assert.equal(v.getUint32(s.rva + 8, true), 3, 'dso_count');
    assert.equal(v.getUint32(s.rva + 12, true), 0xf7f28120, 'brk');
    assert.equal(v.getUint32(s.rva + 16, true), 0xf7f26000, 'ldbase');
    assert.equal(v.getUint32(s.rva + 20, true), 0x56625ee8, 'dynamic');
    assert.deepEqual(b.subarray(s.rva + 24, s.rva + 48), debug32.dynamicSection);
    debug32.linkMap.forEach((e, i) => {
      const o = map + i * 12;
      assert.equal(BigInt(v.getUint32(o, true)), e.addr, `link_map[${i}].addr`);
      assert.equal(terminatedString(b, v.getUint32(o + 4, true)), e.name, `link_map[${i}].name`);
      assert.equal(BigInt(v.getUint32(o + 8, true)), e.ld, `link_map[${i}].ld`);
    });
    const md = await Minidump.open(new MemorySource(b));
    const read32 = await md.linuxDsoDebug();
    assert.deepEqual(read32?.linkMap, debug32.linkMap);
    assert.deepEqual(read32?.dynamicSection, debug32.dynamicSection, 'the dynamic section after the 24-byte header');
  });

  test('an empty link_map list: dso_count 0, map 0; no LinuxDsoDebug without the record', async () => {
    const sink = new MemorySink();
    await writeMinidump({ ...base, memory: [], linuxDsoDebug: { ...debug64, linkMap: [] } }, sink);
    const b = sink.toBytes();
    const s = directory(b).get(0x4767000a)!;
    assert.equal(dv(b).getUint32(s.rva + 4, true), 0, 'map');
    assert.equal(dv(b).getUint32(s.rva + 8, true), 0, 'dso_count');
    assert.deepEqual((await (await Minidump.open(new MemorySource(b))).linuxDsoDebug())?.linkMap, []);

    const without = new MemorySink();
    await writeMinidump({ ...base, memory: [] }, without);
    assert.equal(directory(without.toBytes()).has(0x4767000a), false);
  });
});
