// The small dump (DumpType 4), derived from a kernel dump and made straight from a model: under
// 1 MB and still holding every item the rules list. Read back with the kernel reader; offsets of
// TRIAGE_DUMP64 written literally (notes §3.1).
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { formatKernelSummary, summarizeKernelDump } from '../../../src/core/kernel/summary.js';
import { Machine } from '../../../src/core/machine/machine.js';
import { decodePageClassBlob } from '../../../src/core/varieties/page-class-blob.js';
import { machineVirtual } from '../../../src/core/varieties/produce.js';
import { variety } from '../../../src/core/varieties/rules.js';
import { FileSource } from '../../../src/node/file-source.js';
import { writeFileSafely } from '../../../src/node/varieties/cli-util.js';
import { fromMachine, openVarietySource, planSource, writeFromSource } from '../../../src/node/varieties/variety-source.js';
import { Diagnostics } from '../../../src/core/diagnostics.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-small-'));
after(() => rmSync(dir, { recursive: true, force: true }));

async function checkSmall(path: string, m: Machine): Promise<void> {
  const size = statSync(path).size;
  assert.ok(size >= 64 * 1024 && size < 1024 * 1024, `small dump is ${size} bytes`);
  const file = readFileSync(path);
  const v = new DataView(file.buffer, file.byteOffset, file.byteLength);
  const source = FileSource.open(path);
  try {
    const d = await KernelDump.open(source);
    assert.equal(d.dumpType, 4);
    // Bug check code and parameters.
    assert.equal(d.header.bugCheckCode, m.bugCheck.code);
    assert.deepEqual(d.header.bugCheckParameters, m.bugCheck.parameters);
    // Processor context (header) = the crashing CPU's context.
    assert.deepEqual(new Uint8Array(file.subarray(0x348, 0x348 + 0x4d0)), m.crashContext);
    const t = 0x2000;
    const u32 = (off: number) => v.getUint32(off, true);
    const vm = machineVirtual(m);
    // PRCB copy of the crashing CPU: CurrentThread is the crashing thread.
    const prcbOff = u32(t + 0x1c);
    assert.equal(v.getBigUint64(prcbOff + 8, true), m.crashThread.ethread);
    // Thread and process copies.
    const threadOff = u32(t + 0x24);
    assert.deepEqual(new Uint8Array(file.subarray(threadOff, threadOff + 0x898)), await vm.read(m.crashThread.ethread, 0x898));
    assert.equal(v.getBigUint64(threadOff + 0x220, true), m.crashProcess.eprocess);
    const processOff = u32(t + 0x20);
    assert.equal(v.getBigUint64(processOff + 0x440, true), BigInt(m.crashProcess.pid));
    assert.equal(String.fromCharCode(...file.subarray(processOff + 0x5a8, processOff + 0x5a8 + m.crashProcess.name.slice(0, 14).length)), m.crashProcess.name.slice(0, 14));
    // Kernel stack: from RSP up to the thread's StackBase, bytes as in memory.
    const rsp = new DataView(m.crashContext.buffer).getBigUint64(0x98, true);
    assert.equal(v.getBigUint64(t + 0x48, true), rsp);
    const stackOff = u32(t + 0x28);
    const stackLen = u32(t + 0x2c);
    assert.equal(BigInt(stackLen), m.crashThread.stackBase - rsp);
    assert.deepEqual(new Uint8Array(file.subarray(stackOff, stackOff + stackLen)), await vm.read(rsp, stackLen));
    // Loaded drivers (kernel image first) and unloaded drivers.
    const tri = d.triage!;
    assert.deepEqual(tri.drivers.map((x) => x.name), m.modules.map((x) => x.name));
    assert.equal(tri.drivers[0]!.base, m.kernBase);
    assert.deepEqual(tri.unloadedDrivers.map((x) => x.name), m.unloadedDrivers.map((x) => x.name.slice(0, 12)));
    // Data blocks: the memory the crashing context references, readable by VA as in a Windows small
    // dump — the thread and process objects, the KPRCB, the pages registers and stack values point into.
    const blocks = tri.regions.filter((r) => r.what === 'data block');
    assert.ok(blocks.length >= 4, `${blocks.length} data blocks`);
    const blockBytes = blocks.reduce((n, r) => n + r.size, 0);
    assert.ok(blockBytes >= 64 * 1024, `${blockBytes} bytes of data blocks`);
    for (const [what, va, len] of [
      ['ETHREAD', m.crashThread.ethread, 0x898],
      ['EPROCESS', m.crashProcess.eprocess, 0xa40],
      ['KPRCB', m.processors[m.crashCpu]!.prcb, 0x100],
    ] as const) {
      assert.deepEqual(await d.readVirtual(va, len), await vm.read(va, len), `${what} at 0x${va.toString(16)} is readable by VA`);
    }
    const ctx = new DataView(m.crashContext.buffer, m.crashContext.byteOffset);
    const rip = ctx.getBigUint64(0xf8, true);
    assert.deepEqual(await d.readVirtual(rip & ~0xfffn, 0x1000), await vm.read(rip & ~0xfffn, 0x1000), 'the page RIP points into');
    // info lists them
    const summary = await summarizeKernelDump(source);
    assert.deepEqual(summary.triage?.dataBlockRanges, blocks.map((r) => ({ va: r.va, size: r.size })));
    assert.match(formatKernelSummary(summary), new RegExp(`Data blocks \\(${blocks.length}, ${blockBytes} bytes\\):\\n  0x${blocks[0]!.va.toString(16)} \\+ 0x`));
    // every block is a whole page of memory as it was, and no block repeats the stack
    for (const r of blocks) {
      assert.deepEqual(await d.readVirtual(r.va, r.size), await vm.read(r.va, r.size), `block 0x${r.va.toString(16)}+0x${r.size.toString(16)}`);
      assert.ok(r.va + BigInt(r.size) <= rsp || r.va >= rsp + BigInt(stackLen), 'a block overlaps the stack');
    }
    // Secondary data: the page-class counts.
    const rec = d.secondaryData?.records.find((r) => r.guid === '5D1A6B0E-2C3F-4E57-9A8B-6D756D706B74');
    assert.ok(rec, 'secondary data present');
    const blob = decodePageClassBlob((await source.read(rec.offset, rec.size)).slice());
    assert.equal(blob.encoding, 'counts');
    assert.deepEqual(blob.counts, m.classCounts());
  } finally {
    await source.close();
  }
}

test('small dump made from a modeled machine holds every required item under 1 MB', async () => {
  const m = new Machine({ ramBytes: 512 * 1024 * 1024, profile: 'workstation', seed: 21 });
  const path = join(dir, 'direct-small.dmp');
  await writeFileSafely(path, true, (sink) => writeFromSource(fromMachine(m, 'w'), variety('small'), sink));
  await checkSmall(path, m);
  // plan measures the small dump by building it: same size as the file.
  const plans = await planSource(fromMachine(m, 'w'), { hypervisorPages: 'none', userPages: false }, new Diagnostics(), ['small', 'kernel']);
  assert.equal(plans.find((p) => p.name === 'small')!.bytes, statSync(path).size);
  assert.ok(plans.find((p) => p.name === 'kernel')!.bytes > statSync(path).size);
});

for (const profile of ['server', 'hyperv-host'] as const) {
  test(`${profile}: complete → kernel → small finds the crash through KDBG/KiProcessorBlock and keeps every item`, async () => {
    const m = new Machine({ ramBytes: (profile === 'server' ? 384 : 768) * 1024 * 1024, profile, seed: 22 });
    const complete = join(dir, `${profile}.dmp`);
    await writeFileSafely(complete, true, (sink) => writeFromSource(fromMachine(m, profile), variety('complete'), sink));
    const kernel = join(dir, `${profile}-kernel.dmp`);
    const c = await openVarietySource(complete);
    try {
      await writeFileSafely(kernel, true, (sink) => writeFromSource(c, variety('kernel'), sink));
    } finally {
      await c.close();
    }
    rmSync(complete);
    const small = join(dir, `${profile}-small.dmp`);
    const k = await openVarietySource(kernel);
    try {
      await writeFileSafely(small, true, (sink) => writeFromSource(k, variety('small'), sink));
    } finally {
      await k.close();
    }
    await checkSmall(small, m);
  });
}
