// Rules checked on written files, read back with the kernel reader and the page-class blob —
// never by trusting the writer's own bookkeeping.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { DumpError } from '../../../src/core/errors.js';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { Machine } from '../../../src/core/machine/machine.js';
import { PAGE_CLASSES } from '../../../src/core/varieties/page-class.js';
import { decodePageClassBlob } from '../../../src/core/varieties/page-class-blob.js';
import { variety, type VarietyName } from '../../../src/core/varieties/rules.js';
import { VirtualReader } from '../../../src/core/varieties/virtual-reader.js';
import { FileSource } from '../../../src/node/file-source.js';
import { writeFileSafely } from '../../../src/node/varieties/cli-util.js';
import { fromMachine, openVarietySource, planSource, writeFromSource } from '../../../src/node/varieties/variety-source.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-varieties-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const KERNEL = new Set(['kernel-image', 'hal', 'driver', 'kernel-pool', 'kernel-page-table', 'kernel-stack', 'processor-state']);
const NOT_IN_ACTIVE = new Set(['free', 'zeroed', 'file-cache', 'guest-vm', 'standby-mapped', 'modified-mapped', 'transition-mapped', 'hypervisor-nonessential']);

interface ReadBack {
  dump: KernelDump;
  present: number[];
  classes: Uint8Array;
  size: number;
  close(): Promise<void>;
}

async function readBack(path: string): Promise<ReadBack> {
  const source = FileSource.open(path);
  const dump = await KernelDump.open(source, new Diagnostics());
  const rec = dump.secondaryData!.records.find((r) => r.guid === '5D1A6B0E-2C3F-4E57-9A8B-6D756D706B74');
  assert.ok(rec, 'page-class blob present');
  const blob = decodePageClassBlob((await source.read(rec.offset, rec.size)).slice());
  return { dump, present: [...dump.physical!.pfns()], classes: blob.classes!, size: statSync(path).size, close: () => source.close() };
}

/** The lowest mapped user VA of a process (walks its PML4 user half in the dump). */
async function firstUserMapping(d: KernelDump, dtb: bigint): Promise<bigint> {
  const vm = d.virtual(dtb);
  for (let va = 0x0000020000000000n; va < 0x0000030000000000n; va += 0x100000n) {
    try {
      await vm.read(va, 8);
      return va;
    } catch {
      /* not mapped here */
    }
  }
  throw new Error('no user mapping found');
}

async function writeMachine(m: Machine, name: string, opts: { dropSecondaryData?: boolean } = {}): Promise<string> {
  const path = join(dir, name);
  await writeFileSafely(path, true, (sink) => writeFromSource(fromMachine(m, name), variety('complete'), sink, opts));
  return path;
}

async function convert(from: string, to: VarietyName): Promise<string> {
  const src = await openVarietySource(from);
  const path = from.replace(/\.dmp$/, `-${to}.dmp`);
  try {
    await writeFileSafely(path, true, (sink) => writeFromSource(src, variety(to), sink));
  } finally {
    await src.close();
  }
  return path;
}

const profiles = [
  ['workstation', 384],
  ['server', 384],
  ['hyperv-host', 768],
] as const;

for (const [profile, mib] of profiles) {
  test(`${profile}: complete → active → kernel files follow their rules and match the plan`, async () => {
    const m = new Machine({ ramBytes: mib * 1024 * 1024, profile, seed: 11 });
    const complete = await writeMachine(m, `${profile}.dmp`);
    const active = await convert(complete, 'active');
    const kernel = await convert(active, 'kernel');
    const stacks = await convert(kernel, 'live-kernel-stacks');

    const c = await readBack(complete);
    const a = await readBack(active);
    const k = await readBack(kernel);
    const s = await readBack(stacks);
    try {
      assert.deepEqual(c.classes, m.classes, 'the blob is the model classification');
      assert.equal(c.dump.dumpType, 5);
      assert.equal(c.present.length, m.ramPages, 'complete: every RAM page');
      assert.equal(a.dump.dumpType, 5);
      assert.equal((a.dump.header.attributes ?? 0) & 0x40, 0x40, 'active: FilterDumpFile');
      assert.equal(k.dump.dumpType, 6);
      const cls = (pfn: number) => PAGE_CLASSES[m.classes[pfn]!]!;
      for (const pfn of a.present) assert.ok(!NOT_IN_ACTIVE.has(cls(pfn)), `active dump holds PFN ${pfn.toString(16)} of class ${cls(pfn)}`);
      for (const pfn of k.present) assert.ok(KERNEL.has(cls(pfn)), `kernel dump holds PFN ${pfn.toString(16)} of class ${cls(pfn)}`);
      const kernelPages = [...m.classes].filter((x) => KERNEL.has(PAGE_CLASSES[x] ?? '')).length;
      assert.equal(k.present.length, kernelPages, 'kernel dump: every kernel page');
      for (const pfn of s.present) assert.ok(['kernel-stack', 'processor-state', 'kernel-page-table', 'kernel-image', 'hal'].includes(cls(pfn)));
      assert.ok(c.size > a.size && a.size > k.size && k.size > s.size, `sizes ${c.size} > ${a.size} > ${k.size} > ${s.size}`);

      // Page bytes survive the copies unchanged.
      const want = new Uint8Array(4096);
      for (let i = 0; i < k.present.length; i += Math.max(1, Math.floor(k.present.length / 50))) {
        const pfn = k.present[i]!;
        m.readPage(pfn, want);
        assert.deepEqual(await k.dump.physical!.readPage(pfn), want, `PFN ${pfn.toString(16)}`);
      }

      // The plan agrees with the files.
      const diag = new Diagnostics();
      const plans = Object.fromEntries((await planSource(fromMachine(m, profile), { hypervisorPages: 'none', userPages: false }, diag)).map((p) => [p.name, p]));
      assert.equal(plans.complete!.bytes, c.size);
      assert.equal(plans.active!.bytes, a.size);
      assert.equal(plans.kernel!.bytes, k.size);
      assert.equal(plans['live-kernel-stacks']!.bytes, s.size);

      if (profile === 'hyperv-host') assert.ok(a.size < c.size * 0.35, `hyperv-host active ${a.size} vs complete ${c.size}`);

      // A kernel dump cannot switch to a process's address space: its page directory is user-class and absent.
      const vm = new VirtualReader((pfn) => k.dump.physical!.readPageSync(pfn), m.crashProcess.dtb);
      await assert.rejects(vm.read(0x0000020000000000n, 8), (e: unknown) => e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP');
      // The kernel reader says so with its limit message ("has invalid page directories" in WinDbg terms).
      assert.throws(() => k.dump.virtual(m.crashProcess.dtb), (e: unknown) => e instanceof DumpError && e.code === 'LIMIT' && /only kernel address space/.test(e.message));
      await assert.rejects(k.dump.readVirtual(0x0000020000000000n, 8), (e: unknown) => e instanceof DumpError && e.code === 'LIMIT' && /user address/.test(e.message));
      // The complete dump reads the same user address through the process's tables.
      const heapVa = await firstUserMapping(c.dump, m.crashProcess.dtb);
      assert.equal((await c.dump.virtual(m.crashProcess.dtb).read(heapVa, 8)).length, 8);
      // …while kernel addresses still read.
      const kvm = new VirtualReader((pfn) => k.dump.physical!.readPageSync(pfn), k.dump.directoryTableBase);
      assert.equal(String.fromCharCode(...(await kvm.read(m.kernBase, 2))), 'MZ');
    } finally {
      for (const r of [c, a, k, s]) await r.close();
    }
  });
}

test('convert refuses to grow a dump (kernel → active, kernel → complete)', async () => {
  const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'server', seed: 4 });
  const kernel = await convert(await writeMachine(m, 'grow.dmp'), 'kernel');
  const src = await openVarietySource(kernel);
  try {
    for (const to of ['active', 'complete'] as const) {
      await assert.rejects(
        writeFileSafely(join(dir, `grow-${to}.dmp`), true, (sink) => writeFromSource(src, variety(to), sink)),
        (e: unknown) => e instanceof DumpError && e.code === 'REFUSED' && /grow/.test(e.message),
      );
    }
  } finally {
    await src.close();
  }
});

test('a dump without the blob: classes derived from page tables match the model\'s kernel and user pages', async () => {
  const m = new Machine({ ramBytes: 512 * 1024 * 1024, profile: 'workstation', seed: 8 });
  const path = await writeMachine(m, 'bare.dmp', { dropSecondaryData: true });
  const src = await openVarietySource(path);
  try {
    assert.equal(src.classification, 'derived');
    assert.deepEqual(
      src.rules!.map((r) => r.applied),
      [true, true, false],
    );
    const USER = new Set(['user-private', 'user-image', 'user-shared', 'user-page-table']);
    for (let pfn = 0; pfn < m.classes.length; pfn++) {
      const model = PAGE_CLASSES[m.classes[pfn]!] ?? 'not-ram';
      const derived = PAGE_CLASSES[src.classes[pfn]!]!;
      if (KERNEL.has(model)) assert.ok(derived === 'kernel-pool' || derived === 'kernel-page-table', `PFN ${pfn.toString(16)} ${model} derived ${derived}`);
      else if (USER.has(model)) assert.ok(derived === 'user-private' || derived === 'user-page-table', `PFN ${pfn.toString(16)} ${model} derived ${derived}`);
      else assert.equal(derived, 'unknown', `PFN ${pfn.toString(16)} ${model} derived ${derived}`);
    }
    const out = join(dir, 'bare-kernel.dmp');
    const r = await writeFileSafely(out, true, (sink) => writeFromSource(src, variety('kernel'), sink));
    assert.equal(r.pages, [...m.classes].filter((x) => KERNEL.has(PAGE_CLASSES[x] ?? '')).length);
    const back = await KernelDump.open(FileSource.open(out));
    assert.equal((back.header.attributes ?? 0) & 0x20, 0x20, 'DumpIsGeneratedOffline');
    await back.source.close?.();
  } finally {
    await src.close();
  }
});

test('machine dumps of type 1 carry the RAM runs with their holes', async () => {
  const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'workstation', seed: 3 });
  const path = join(dir, 'runs.dmp');
  await writeFileSafely(path, true, (sink) => writeFromSource(fromMachine(m, 'runs'), { ...variety('complete'), dumpType: 1 }, sink));
  const r = await readBack(path);
  try {
    assert.equal(r.dump.dumpType, 1);
    assert.deepEqual(
      r.dump.header.physicalMemoryBlock!.runs.map((x) => [Number(x.basePage), Number(x.pageCount)]),
      m.ramRuns.map((x) => [x.basePage, x.pageCount]),
    );
    assert.equal(r.present.length, m.ramPages);
  } finally {
    await r.close();
  }
});

test('hostile page-class blobs inside a dump are clear errors with the byte range', async () => {
  const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'workstation', seed: 12 });
  const path = await writeMachine(m, 'hostile.dmp');
  const fs = FileSource.open(path);
  const d = await KernelDump.open(fs);
  const rec = d.secondaryData!.records.find((r) => r.guid === '5D1A6B0E-2C3F-4E57-9A8B-6D756D706B74')!;
  await fs.close();
  const { openSync, writeSync, closeSync } = await import('node:fs');
  const patch = (off: number, bytes: number[]) => {
    const fd = openSync(path, 'r+');
    writeSync(fd, Uint8Array.from(bytes), 0, bytes.length, off);
    closeSync(fd);
  };
  patch(rec.offset + 0x0c, [0xff, 0xff, 0xff, 0x7f]); // PfnCount far past the cap
  await assert.rejects(openVarietySource(path), (e: unknown) => e instanceof DumpError && e.code === 'COUNT_TOO_LARGE' && e.message.includes(`0x${(rec.offset + 0x0c).toString(16)}`));
  patch(rec.offset, [0x58, 0x58, 0x58, 0x58]); // magic
  await assert.rejects(openVarietySource(path), (e: unknown) => e instanceof DumpError && e.code === 'BAD_SIGNATURE');
});
