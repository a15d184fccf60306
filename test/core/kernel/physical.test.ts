import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySink } from '../../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { DumpError } from '../../../src/core/errors.js';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { writeKernelDump, type KernelDumpSpec, type PhysicalPages } from '../../../src/core/kernel/writer.js';
import * as F from '../../fixtures/kernel-fixture.js';

const machine = F.buildMachine();

async function open(bytes: Uint8Array): Promise<KernelDump> {
  return KernelDump.open(new MemorySource(bytes, 'fixture.dmp'));
}

async function assertPagesMatch(d: KernelDump, kind: 'full' | 'kernel'): Promise<void> {
  const want = F.presentPfns(machine, kind);
  const phys = d.requirePhysical();
  assert.equal(phys.presentPages, want.length);
  assert.deepEqual([...phys.pfns()], want);
  for (const pfn of want) assert.deepEqual(await phys.readPage(pfn), machine.pages.get(pfn), `PFN ${pfn}`);
  await assert.rejects(phys.readPage(F.ABSENT_PFN), (e: DumpError) => e.code === 'ADDRESS_NOT_IN_DUMP' && /PFN 0x301/.test(e.message));
}

function pagesFor(kind: 'full' | 'kernel', withReadPages: boolean): PhysicalPages {
  const pfns = F.presentPfns(machine, kind);
  const p: PhysicalPages = {
    pageCount: pfns.length,
    pfns: () => pfns,
    readPage: (pfn, into) => into.set(machine.pages.get(pfn)!),
  };
  if (withReadPages) {
    return { ...p, readPages: (first, count, into) => { for (let i = 0; i < count; i++) into.set(machine.pages.get(first + i)!, i * 0x1000); } };
  }
  return p;
}

export function specFor(dumpType: 1 | 5 | 6, pages: PhysicalPages): KernelDumpSpec {
  return {
    ...F.specBase(),
    dumpType,
    pages,
  };
}

describe('kernel physical layer (fixture dumps)', () => {
  it('reads DumpType 1 header fields and every page', async () => {
    const d = await open(F.buildType1(machine));
    assert.equal(d.dumpType, 1);
    assert.equal(d.machine, 'amd64');
    assert.equal(d.directoryTableBase, F.KERNEL_DTB);
    assert.equal(d.header.directoryTableBase, F.KERNEL_DTB | 2n);
    assert.equal(d.header.minorVersion, F.BUILD);
    assert.equal(d.header.bugCheckCode, F.BUGCHECK.code);
    assert.deepEqual(d.header.bugCheckParameters, [...F.BUGCHECK.parameters]);
    assert.equal(d.header.kdDebuggerDataBlock, F.KDBG_VA);
    assert.equal(d.header.numberProcessors, 2);
    assert.equal(d.header.attributes, undefined, 'PAGE filler reads as not set');
    assert.equal(d.header.comment, undefined);
    assert.equal(d.header.exception?.code, 0x80000003);
    assert.equal(d.header.exception?.address, F.RIP);
    assert.equal(d.header.systemTime, 0x01dc5e0e12345678n);
    assert.equal(d.header.systemUpTime, 0x12345n);
    const ctx = d.context();
    assert.equal(ctx.pc, F.RIP);
    assert.equal(ctx.sp, F.RSP);
    assert.equal(ctx.registers.Rax, 0x1111n);
    await assertPagesMatch(d, 'full');
  });

  for (const [type, sig, aligned] of [
    [5, 'FDMP', true],
    [5, 'SDMP', false],
    [6, 'SDMP', true],
    [6, 'FDMP', false],
  ] as const) {
    it(`reads DumpType ${type} ${sig} bitmap with ${aligned ? 'aligned' : 'unaligned'} FirstPage`, async () => {
      const d = await open(F.buildBitmap(machine, { dumpType: type, signature: sig, aligned }));
      assert.equal(d.dumpType, type);
      assert.equal(d.bitmapSignature, sig);
      await assertPagesMatch(d, type === 5 ? 'full' : 'kernel');
      assert.equal(d.diagnostics.list().some((m) => /not page aligned/.test(m)), !aligned);
    });
  }

  it('runs() gives maximal PFN runs whose file offsets hold the pages', async () => {
    for (const bytes of [F.buildType1(machine), F.buildBitmap(machine, { dumpType: 5, aligned: false })]) {
      const d = await open(bytes);
      const runs = [...d.requirePhysical().runs()];
      const pfns = F.presentPfns(machine, 'full');
      assert.equal(runs.reduce((s, r) => s + r.count, 0), pfns.length);
      for (let i = 1; i < runs.length; i++) assert.ok(runs[i]!.firstPfn > runs[i - 1]!.firstPfn + runs[i - 1]!.count, 'runs are maximal and ascending');
      for (const r of runs) {
        for (let k = 0; k < r.count; k++) {
          const off = r.fileOffset + k * 0x1000;
          assert.deepEqual(bytes.subarray(off, off + 0x1000), machine.pages.get(r.firstPfn + k));
        }
      }
    }
  });

  it('reads across page boundaries and zero-fills missing pages on request', async () => {
    const d = await open(F.buildBitmap(machine, { dumpType: 6 }));
    const phys = d.requirePhysical();
    const pa = (0x200n << 12n) + 0xff8n;
    const got = await phys.read(pa, 16);
    assert.deepEqual(got.subarray(0, 8), machine.pages.get(0x200)!.subarray(0xff8));
    assert.deepEqual(got.subarray(8), machine.pages.get(0x201)!.subarray(0, 8));
    await assert.rejects(phys.read(BigInt(F.ABSENT_PFN) << 12n, 4), { code: 'ADDRESS_NOT_IN_DUMP' });
    assert.deepEqual(await phys.read(BigInt(F.ABSENT_PFN) << 12n, 4, { ignoreMissing: true }), new Uint8Array(4));
  });
});

describe('kernel writer, types 1/5/6', () => {
  for (const type of [1, 5, 6] as const) {
    for (const fast of [false, true]) {
      it(`round-trips DumpType ${type} (${fast ? 'readPages' : 'readPage'})`, async () => {
        const kind = type === 6 ? 'kernel' : 'full';
        const sink = new MemorySink();
        const r = await writeKernelDump(sink, specFor(type, pagesFor(kind, fast)));
        const bytes = sink.toBytes();
        assert.equal(r.bytes, bytes.length);
        const d = await open(bytes);
        assert.equal(d.dumpType, type);
        assert.equal(d.header.requiredDumpSpace, BigInt(bytes.length));
        assert.deepEqual(d.diagnostics.list(), []);
        await assertPagesMatch(d, kind);
        // byte-for-byte against the independent fixture after the main header
        const fixture = type === 1 ? F.buildType1(machine) : F.buildBitmap(machine, { dumpType: type, signature: type === 5 ? 'FDMP' : 'SDMP' });
        assert.equal(bytes.length, fixture.length);
        assert.deepEqual(bytes.subarray(0x2000), fixture.subarray(0x2000));
        // and the header fields both set
        for (const off of [0x0, 0x8, 0xc, 0x10, 0x18, 0x20, 0x28, 0x30, 0x34, 0x38, 0x40, 0x80, 0xf98, 0xfa0, 0xfa8, 0x1030]) {
          assert.deepEqual(bytes.subarray(off, off + 8), fixture.subarray(off, off + 8), `header +0x${off.toString(16)}`);
        }
        assert.deepEqual(bytes.subarray(0x348, 0x348 + 0x4d0), fixture.subarray(0x348, 0x348 + 0x4d0));
        assert.deepEqual(bytes.subarray(0xf00, 0xf98), fixture.subarray(0xf00, 0xf98));
        if (type === 1) assert.deepEqual(bytes.subarray(0x88, 0x348), fixture.subarray(0x88, 0x348));
      });
    }
  }

  it('merges more than 42 runs (kdmp-parser-rs reads at most 42), zero-filling the holes', async () => {
    const pfns = Array.from({ length: 100 }, (_, i) => i * 3);
    const pages: PhysicalPages = {
      pageCount: pfns.length,
      pfns: () => pfns,
      readPage: (pfn, into) => new DataView(into.buffer, into.byteOffset).setUint32(0, pfn + 1, true),
    };
    const sink = new MemorySink();
    await writeKernelDump(sink, specFor(1, pages));
    const d = await open(sink.toBytes());
    const v = new DataView(sink.toBytes().buffer);
    assert.equal(v.getUint32(0x88, true), 42);
    const phys = d.requirePhysical();
    for (const pfn of pfns) {
      const page = await phys.readPage(pfn);
      assert.equal(page[0]! | (page[1]! << 8), pfn + 1);
    }
    // a filled hole reads as zeros
    const hole = await phys.read(BigInt(1) << 12n, 16);
    assert.deepEqual(hole, new Uint8Array(16));
  });

  it('refuses an inconsistent MxCsr and unordered PFNs', async () => {
    const ctx = F.fixtureContext();
    ctx[0x118] = 0;
    await assert.rejects(writeKernelDump(new MemorySink(), { ...specFor(5, pagesFor('full', false)), context: ctx }), { code: 'INVALID_ARGUMENT' });
    const bad: PhysicalPages = { pageCount: 2, pfns: () => [5, 3], readPage: () => undefined };
    await assert.rejects(writeKernelDump(new MemorySink(), specFor(5, bad)), { code: 'INVALID_ARGUMENT' });
  });

  it('appends secondary data as a DumpBlob after the pages', async () => {
    const sink = new MemorySink();
    const data = new TextEncoder().encode('page classes!');
    await writeKernelDump(sink, { ...specFor(6, pagesFor('kernel', true)), secondaryData: [{ guid: '5D1A6B0E-2C3F-4E57-9A8B-6D756D706B74', data }] });
    const guid = new Uint8Array([0x0e, 0x6b, 0x1a, 0x5d, 0x3f, 0x2c, 0x57, 0x4e, 0x9a, 0x8b, 0x6d, 0x75, 0x6d, 0x70, 0x6b, 0x74]);
    const fixture = F.buildBitmap(machine, { dumpType: 6, extra: [F.dumpBlob([{ guid, data }])] });
    assert.deepEqual(sink.toBytes().subarray(0x2000), fixture.subarray(0x2000));
    const d = await open(sink.toBytes());
    assert.equal(d.secondaryData?.records.length, 1);
    assert.equal(d.secondaryData?.records[0]?.guid, '5D1A6B0E-2C3F-4E57-9A8B-6D756D706B74');
    assert.equal(d.secondaryData?.records[0]?.size, data.length);
  });
});

describe('kernel reader on hostile input', () => {
  it('rejects a bitmap that runs past the end', async () => {
    const b = F.buildBitmap(machine, { dumpType: 5 });
    new DataView(b.buffer).setBigUint64(0x2030, 1n << 34n, true);
    await assert.rejects(open(b), (e: DumpError) => e.code === 'TRUNCATED' && /bitmap/.test(e.message));
  });
  it('rejects too many runs in a type 1 header', async () => {
    const b = F.buildType1(machine);
    new DataView(b.buffer).setUint32(0x88, 0xffff, true);
    await assert.rejects(open(b), { code: 'COUNT_TOO_LARGE' });
  });
  it('reports a truncated file and reads what is there', async () => {
    const b = F.buildBitmap(machine, { dumpType: 5 });
    const d = await open(b.subarray(0, b.length - 0x1000));
    assert.ok(d.diagnostics.list().some((m) => /truncated/.test(m)));
    const last = F.presentPfns(machine, 'full').at(-1)!;
    await assert.rejects(d.requirePhysical().readPage(last), { code: 'ADDRESS_NOT_IN_DUMP' });
    assert.deepEqual(await d.requirePhysical().read(BigInt(last) << 12n, 8, { ignoreMissing: true }), new Uint8Array(8));
  });
  it('opens a dump whose secondary data is damaged, with a diagnostic', async () => {
    const blob = F.dumpBlob([{ guid: new Uint8Array(16).fill(2), data: new Uint8Array(8) }]);
    new DataView(blob.buffer).setUint32(8, 0xffffff, true); // HeaderSize
    const d = await open(F.buildBitmap(machine, { dumpType: 6, extra: [blob] }));
    assert.equal(d.secondaryData, undefined);
    assert.ok(d.diagnostics.list().some((x) => /secondary data ignored: DumpBlob HeaderSize/.test(x)));
    await assertPagesMatch(d, 'kernel');
  });

  it('rejects a bad ValidDump', async () => {
    const b = F.buildType1(machine);
    b[4] = 0x41;
    await assert.rejects(open(b), { code: 'BAD_SIGNATURE' });
  });
});
