import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { MemorySink } from '../../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import type { DumpError } from '../../../src/core/errors.js';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { writeKernelDump, type KernelDumpSpec } from '../../../src/core/kernel/writer.js';
import { runCli } from '../../helpers/cli.js';
import * as F from '../../fixtures/kernel-fixture.js';

const m = F.buildMachine();
const GUID = '11223344-5566-7788-99AA-BBCCDDEEFF00';
const guidBytes = new Uint8Array([0x44, 0x33, 0x22, 0x11, 0x66, 0x55, 0x88, 0x77, 0x99, 0xaa, 0xbb, 0xcc, 0xdd, 0xee, 0xff, 0x00]);
const blobData = new TextEncoder().encode('DriverLog payload');
const fixture = F.buildTriage(m, [F.dumpBlob([{ guid: guidBytes, data: blobData }, { guid: new Uint8Array(16), data: new Uint8Array(0) }])]);

function triageSpec(): KernelDumpSpec {
  const p = F.triageParts();
  return {
    ...F.specBase(),
    dumpType: 4,
    triage: {
      stack: { topOfStack: F.TRIAGE_STACK_TOP, bytes: p.stack },
      drivers: F.DRIVERS.map((d) => ({ base: d.base, size: d.size, name: d.name, fullName: d.full, entryPoint: d.base + 0x1000n })),
      unloadedDrivers: F.UNLOADED,
      prcb: p.prcb,
      process: p.process,
      thread: p.thread,
      debuggerData: p.kdbg,
      dataBlocks: p.blocks,
    },
    secondaryData: [
      { guid: GUID, data: blobData },
      { guid: '00000000-0000-0000-0000-000000000000', data: new Uint8Array(0) },
    ],
  };
}

describe('small memory dumps (DumpType 4)', () => {
  it('reads the fixture: drivers, unloaded drivers, stack, blocks, KDBG, secondary data', async () => {
    const d = await KernelDump.open(new MemorySource(fixture));
    assert.equal(d.dumpType, 4);
    assert.equal(d.physical, undefined);
    const tr = d.triage!;
    assert.deepEqual(
      tr.drivers.map((x) => [x.name, x.base, x.size]),
      F.DRIVERS.map((x) => [x.name, x.base, x.size]),
    );
    assert.deepEqual(
      tr.unloadedDrivers.map((u) => u.name),
      ['dam.sys', 'dump_storpor'],
    );
    assert.equal(tr.unloadedDrivers[0]!.start, F.UNLOADED[0]!.start);
    const top = await d.readVirtual(F.TRIAGE_STACK_TOP + 0x10n, 8);
    assert.equal(new DataView(top.buffer, top.byteOffset).getBigUint64(0, true), F.TRIAGE_STACK_TOP + 0x10n);
    assert.deepEqual(await d.readVirtual(F.TRIAGE_BLOCK_VA, 7), new Uint8Array([1, 2, 3, 4, 5, 6, 7]));
    const kd = await d.debuggerData();
    assert.equal(kd?.kernBase, F.KERN_BASE);
    assert.deepEqual(
      (await d.modules()).map((x) => x.name),
      ['ntoskrnl.exe', 'hal.dll', 'disk.sys'],
    );
    assert.equal(d.secondaryData?.records.length, 2);
    assert.equal(d.secondaryData?.records[0]!.guid, GUID);
    assert.deepEqual(await d.source.read(d.secondaryData!.records[0]!.offset, blobData.length), blobData);
    assert.deepEqual(d.diagnostics.list(), []);
    assert.equal(d.header.miniDumpFields, 0xd7f);
  });

  it('refuses memory outside the stored blocks with the limit message', async () => {
    const d = await KernelDump.open(new MemorySource(fixture));
    await assert.rejects(d.readVirtual(F.KERN_BASE, 2), (e: DumpError) => e.code === 'LIMIT' && /only the listed memory blocks/.test(e.message));
    await assert.rejects(d.readVirtual(F.KERN_BASE, 2, { dtb: 0x1000n }), { code: 'LIMIT' });
    assert.throws(() => d.requirePhysical(), { code: 'LIMIT' });
    const z = await d.readVirtual(F.TRIAGE_BLOCK_VA - 4n, 8, { ignoreMissing: true });
    assert.deepEqual(z, new Uint8Array([0, 0, 0, 0, 1, 2, 3, 4]));
    assert.match(d.limits()[0]!, /^small memory dump: no physical memory; only the listed memory blocks \(2 data blocks\) and the crashing thread's stack/);
  });

  it('the writer produces the same file as the independent fixture, and it reads back', async () => {
    const sink = new MemorySink();
    const r = await writeKernelDump(sink, triageSpec());
    const bytes = sink.toBytes();
    assert.equal(r.bytes, bytes.length);
    assert.equal(bytes.length, fixture.length);
    for (let i = 0; i < bytes.length; i++) if (bytes[i] !== fixture[i]) assert.fail(`first difference at 0x${i.toString(16)}`);
    const d = await KernelDump.open(new MemorySource(bytes));
    assert.deepEqual(
      (await d.modules()).map((x) => [x.name, x.base, x.size]),
      F.DRIVERS.map((x) => [x.name, x.base, x.size]),
    );
    assert.deepEqual(await d.triage!.stack(), F.triageParts().stack);
  });

  it('rejects hostile counts and offsets', async () => {
    const a = fixture.slice();
    new DataView(a.buffer).setUint32(0x2034, 0x7fffffff, true);
    await assert.rejects(KernelDump.open(new MemorySource(a)), { code: 'COUNT_TOO_LARGE' });
    const b = fixture.slice();
    new DataView(b.buffer).setUint32(0x2028, 0x7fffff00, true);
    await assert.rejects(KernelDump.open(new MemorySource(b)), (e: DumpError) => e.code === 'OUT_OF_BOUNDS' && /call stack/.test(e.message));
    const c = fixture.slice();
    new DataView(c.buffer).setBigUint64(0x20d0, 1n << 40n, true);
    await assert.rejects(KernelDump.open(new MemorySource(c)), { code: 'COUNT_TOO_LARGE' });
  });

  it('dumpkit info --json on a small dump', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dumpkit-triage-'));
    const file = join(dir, 'Mini112226-01.dmp');
    writeFileSync(file, fixture);
    const r = runCli(['info', file, '--json']);
    assert.equal(r.status, 0, r.stderr);
    const s = JSON.parse(r.stdout);
    assert.equal(s.dumpType, 4);
    assert.equal(s.dumpTypeName, 'DUMP_TYPE_TRIAGE');
    assert.equal(s.physicalPages, 0);
    assert.deepEqual(
      s.modules.map((x: { name: string }) => x.name),
      ['ntoskrnl.exe', 'hal.dll', 'disk.sys'],
    );
    assert.deepEqual(s.secondaryData, [
      { guid: GUID, size: blobData.length },
      { guid: '00000000-0000-0000-0000-000000000000', size: 0 },
    ]);
    assert.match(s.limits[0], /small memory dump/);
    assert.deepEqual(s.triage, {
      processName: 'notepad.exe',
      pid: 0x1234,
      tid: 0x5678,
      stack: { base: '0x' + F.TRIAGE_STACK_TOP.toString(16), size: 0x1118 },
      unloadedDrivers: F.UNLOADED.map((u) => ({ name: u.name.slice(0, 12), start: '0x' + u.start.toString(16), end: '0x' + u.end.toString(16) })),
      dataBlocks: 2,
      dataBlockRanges: [
        { va: '0xfffff78000000000', size: 7 },
        { va: '0x' + (F.KERN_BASE + 0x1000n).toString(16), size: 48 },
      ],
    });
    const rd = runCli(['read', file, '--va', '0x' + F.KERN_BASE.toString(16)]);
    assert.equal(rd.status, 2);
    assert.match(rd.stderr, /LIMIT: VA 0xfffff80412600000 is not in this small memory dump/);
  });
});
