import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { Machine } from '../../../src/core/machine/machine.js';
import { decideCrash, minidumpName, parseCrashControl, dateToFiletime, systemManagedPageFileBytes, type CrashMachine } from '../../../src/core/varieties/crash-control.js';
import { liveDumpDir, planLive } from '../../../src/core/varieties/live.js';
import { CLASS_CODE, NOT_RAM } from '../../../src/core/varieties/page-class.js';
import { decodePageClassBlob, encodePageClassBlob } from '../../../src/core/varieties/page-class-blob.js';
import { limitRuns, selectRuns } from '../../../src/core/varieties/page-selection.js';
import { plan, type VarietyPlan } from '../../../src/core/varieties/plan.js';
import { planSvg } from '../../../src/core/varieties/plan-svg.js';
import { checkDerivable, inclusionTable, variety } from '../../../src/core/varieties/rules.js';
import { pageDumpBytes, secondaryDataBytes } from '../../../src/core/varieties/sizes.js';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { fromMachine, planSource } from '../../../src/node/varieties/variety-source.js';

const isErr = (code: string) => (e: unknown) => e instanceof DumpError && e.code === code;

test('rule sets: kernel keeps only kernel classes, active drops free/zeroed/file cache/guest VM, complete keeps all', () => {
  const k = variety('kernel');
  assert.deepEqual([...k.include].sort(), ['driver', 'hal', 'kernel-image', 'kernel-page-table', 'kernel-pool', 'kernel-stack', 'processor-state']);
  const a = variety('active');
  for (const c of ['free', 'zeroed', 'file-cache', 'guest-vm', 'standby-mapped', 'modified-mapped', 'transition-mapped'] as const) assert.ok(!a.include.includes(c), c);
  for (const c of ['user-private', 'user-image', 'kernel-pool', 'standby-pagefile', 'modified-pagefile', 'transition-pagefile'] as const) assert.ok(a.include.includes(c), c);
  assert.equal(a.dumpType, 5);
  assert.equal(a.attributes & 0x40, 0x40, 'FilterDumpFile');
  assert.equal(variety('complete').include.length, 24);
  assert.equal(variety('small').dumpType, 4);
  const live = variety('live-full', { hypervisorPages: 'essential', userPages: true });
  assert.equal(live.dumpType, 5, 'with user pages a live dump is not kernel-only: bitmap full');
  assert.equal(variety('live-full').dumpType, 6, 'without user pages: a kernel dump');
  assert.equal(live.attributes & 0x10, 0x10);
  assert.equal(live.bugCheck?.code, 0x161);
  assert.equal(live.bugCheck?.parameters[0], 0x005461736b6d6772n);
  assert.ok(live.include.includes('hypervisor-essential') && !live.include.includes('hypervisor-nonessential') && live.include.includes('user-private'));
  assert.ok(!variety('live-full').include.includes('user-private'));
});

test('convert never grows a dump', () => {
  assert.doesNotThrow(() => checkDerivable(variety('complete'), variety('active')));
  assert.doesNotThrow(() => checkDerivable(variety('active'), variety('kernel')));
  assert.doesNotThrow(() => checkDerivable(variety('kernel'), variety('small')));
  assert.throws(() => checkDerivable(variety('kernel'), variety('complete')), isErr('REFUSED'));
  assert.throws(() => checkDerivable(variety('kernel'), variety('active')), /user-private/);
  assert.throws(() => checkDerivable(variety('small'), variety('kernel')), isErr('REFUSED'));
});

test('page-class blob round-trips and rejects hostile headers', () => {
  const classes = Uint8Array.from([NOT_RAM, 1, 1, 4, 8, 14, 21, NOT_RAM]);
  const blob = encodePageClassBlob({ encoding: 'per-pfn', pfnCount: 8, seed: 9, profile: 'server', vms: 2, ramBytes: 6 * 4096, classes });
  const back = decodePageClassBlob(blob);
  assert.deepEqual(back.classes, classes);
  assert.equal(back.counts['kernel-image'], 2);
  assert.equal(back.counts['guest-vm'], 1);
  assert.equal(back.profile, 'server');
  assert.equal(back.vms, 2);
  const counts = decodePageClassBlob(encodePageClassBlob({ encoding: 'counts', pfnCount: 8, seed: 9, profile: 'server', vms: 2, ramBytes: 6 * 4096, counts: back.counts }));
  assert.equal(counts.classes, undefined);
  assert.equal(counts.counts.zeroed, 1);
  const bad = blob.slice();
  bad[0] = 0x58;
  assert.throws(() => decodePageClassBlob(bad, 0x5000), (e: unknown) => isErr('BAD_SIGNATURE')(e) && /0x5000/.test((e as Error).message));
  const huge = blob.slice();
  new DataView(huge.buffer).setUint32(0x0c, 0xffffffff, true);
  assert.throws(() => decodePageClassBlob(huge), isErr('COUNT_TOO_LARGE'));
  assert.throws(() => decodePageClassBlob(blob.subarray(0, blob.length - 1)), isErr('TRUNCATED'));
});

test('selection: runs of kept classes within what the source holds; partial keeps tiers in order', () => {
  const c = CLASS_CODE;
  const classes = Uint8Array.from([NOT_RAM, c['kernel-pool'], c['kernel-pool'], c['user-private'], c['kernel-stack'], c.free, c['user-private'], c['kernel-image']]);
  const kernel = inclusionTable(variety('kernel'));
  assert.deepEqual(selectRuns(classes, kernel), [{ first: 1, count: 2 }, { first: 4, count: 1 }, { first: 7, count: 1 }]);
  assert.deepEqual(selectRuns(classes, kernel, [{ first: 2, count: 3 }]), [{ first: 2, count: 1 }, { first: 4, count: 1 }]);
  const all = [{ first: 1, count: 7 }];
  // Budget 3: stacks and image (tier 0: 2 pages) whole, then the lowest pool page.
  assert.deepEqual(limitRuns(classes, all, [['kernel-stack', 'kernel-image'], ['kernel-pool'], ['user-private']], 3), [{ first: 1, count: 1 }, { first: 4, count: 1 }, { first: 7, count: 1 }]);
});

test('sizes follow the bitmap layout: header, 0x38 sub-header + bitmap, pages from the next 4 KiB, DumpBlob stream', () => {
  // 1,000,000 PFNs → 1,000,000 bits rounded to 1,000,000 (a multiple of 64) = 125,000 bytes.
  assert.equal(pageDumpBytes(6, 10, 1_000_000, 0), Math.ceil((0x2000 + 0x38 + 125000) / 4096) * 4096 + 10 * 4096);
  assert.equal(pageDumpBytes(1, 10, 1_000_000, 0), 0x2000 + 10 * 4096);
  assert.equal(secondaryDataBytes([]), 0);
  assert.equal(secondaryDataBytes([5, 16]), 16 + 0x20 + 8 + 0x20 + 16);
});

const machines = {
  workstation: new Machine({ ramBytes: 1024 * 1024 * 1024, profile: 'workstation', seed: 2 }),
  server: new Machine({ ramBytes: 1024 * 1024 * 1024, profile: 'server', seed: 2 }),
  'hyperv-host': new Machine({ ramBytes: 2048 * 1024 * 1024, profile: 'hyperv-host', seed: 2 }),
};
function planOf(m: Machine): Record<string, VarietyPlan> {
  const ps = plan({ ramBytes: m.ramPages * 4096, classes: m.classes, secondaryPayloads: () => [m.classes.length + 0x40 + 96] });
  return Object.fromEntries(ps.map((p) => [p.name, p]));
}

for (const [name, m] of Object.entries(machines)) {
  test(`plan on a ${name}: complete > active > kernel > small (measured), kernel-stacks under kernel, page files by rule`, async () => {
    const p = planOf(m);
    const measured = await planSource(fromMachine(m, name), { hypervisorPages: 'none', userPages: false }, new Diagnostics(), ['small']);
    p.small = measured[0]!;
    assert.ok(p.small.bytes > 64 * 1024 && p.small.bytes < 1024 * 1024, `small dump measured at ${p.small.bytes} bytes`);
    assert.ok(p.complete!.bytes > p.active!.bytes, 'complete > active');
    assert.ok(p.active!.bytes > p.kernel!.bytes, 'active > kernel');
    assert.ok(p.kernel!.bytes > p.small!.bytes, 'kernel > small');
    assert.ok(p['live-kernel-stacks']!.bytes < p.kernel!.bytes);
    assert.equal(p.kernel!.bytes, p.automatic!.bytes);
    assert.equal(Object.values(p.complete!.pages).reduce((s, n) => s + n, 0), m.ramPages);
    assert.equal(p.complete!.pageFileBytes, m.ramPages * 4096 + 1024 * 1024 + secondaryDataBytes([m.classes.length + 0x40 + 96]));
    assert.equal(p.kernel!.pageFileBytes, p.kernel!.bytes);
    assert.equal(p['live-full']!.pageFileBytes, 0);
    assert.equal(p['live-full']!.memoryBytes, Object.values(p['live-full']!.pages).reduce((s, n) => s + n, 0) * 4096);
    for (const c of Object.keys(p.kernel!.pages)) assert.ok(variety('kernel').include.includes(c as never), c);
  });
}

test('a hyperv-host active dump is far smaller than its complete dump', () => {
  const p = planOf(machines['hyperv-host']);
  assert.ok(p.active!.bytes < p.complete!.bytes * 0.3, `${p.active!.bytes} vs ${p.complete!.bytes}`);
  assert.equal(p.active!.pages['guest-vm'], undefined);
});

test('plan SVG is a stacked bar per variety with a legend', () => {
  const svg = planSvg(Object.values(planOf(machines.workstation)), 'workstation <1 GiB>');
  assert.ok(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"'));
  assert.ok(svg.trimEnd().endsWith('</svg>'));
  assert.ok(svg.includes('&lt;1 GiB&gt;'));
  for (const v of ['complete', 'active', 'kernel', 'small', 'live-full']) assert.ok(svg.includes(`>${v}</text>`), v);
  assert.ok((svg.match(/<rect /g) ?? []).length > 20);
  assert.ok(svg.includes('<title>guest-vm') === false);
});

// ---- CrashControl ------------------------------------------------------------------------
const MiB = 1024 * 1024;
const m = machines.workstation;
const plans = planOf(m);
const crashMachine = (over: Partial<CrashMachine> = {}): CrashMachine => ({
  ramBytes: m.ramPages * 4096,
  pfnCount: m.classes.length,
  productType: 1,
  systemTime: dateToFiletime(new Date(Date.UTC(2012, 3, 7, 10, 0, 0))),
  systemUpTime: 248_350_000n,
  plans: plans as never,
  secondaryBytes: m.classes.length + 0x40 + 96 + 16 + 0x20,
  ...over,
});
const noFiles = { dumpFileExists: false, minidumps: [] };

test('small dump names: MMDDYY-<ms since boot>-NN.dmp, next free NN', () => {
  const t = dateToFiletime(new Date(Date.UTC(2012, 3, 7)));
  assert.equal(minidumpName(t, 248_350_000n, () => false), '040712-24835-01.dmp');
  assert.equal(minidumpName(t, 248_350_000n, (n) => n === '040712-24835-01.dmp'), '040712-24835-02.dmp');
  assert.throws(() => minidumpName(t, 1n, () => true), isErr('REFUSED'));
});

test('CrashControl parsing rejects unknown values and out-of-range numbers', () => {
  assert.throws(() => parseCrashControl({ CrashDumpEnabled: 9 }), isErr('INVALID_ARGUMENT'));
  assert.throws(() => parseCrashControl({ CrashDumpEnable: 1 }), /unknown value/);
  assert.throws(() => parseCrashControl([]), isErr('INVALID_ARGUMENT'));
  const cc = parseCrashControl({ CrashDumpEnabled: 1, FilterPages: 1, PageFileSizeMB: 4096, LastCrashTime: '2012-03-20T00:00:00Z' });
  assert.equal(cc.PageFileBytes, 4096 * MiB);
  assert.equal(cc.DumpFile, '%SystemRoot%\\MEMORY.DMP');
  assert.equal(cc.MinidumpsCount, 50);
});

test('small dumps: named by the rules, oldest removed past MinidumpsCount, not written without 2 MiB of page file', () => {
  const cc = parseCrashControl({ CrashDumpEnabled: 3, PageFileSizeMB: 16, MinidumpsCount: 2 });
  const d = decideCrash(cc, crashMachine(), {
    dumpFileExists: false,
    minidumps: [
      { name: '040712-24835-01.dmp', mtimeMs: 3 },
      { name: '010112-100-01.dmp', mtimeMs: 1 },
    ],
  });
  assert.equal(d.write?.windowsPath, '%SystemRoot%\\Minidump\\040712-24835-02.dmp');
  assert.deepEqual(d.remove, ['%SystemRoot%\\Minidump\\010112-100-01.dmp']);
  const none = decideCrash(parseCrashControl({ CrashDumpEnabled: 3, PageFileSizeMB: 1 }), crashMachine(), noFiles);
  assert.equal(none.write, undefined);
});

test('complete dumps need RAM + 1 MiB of page file; without room for secondary data they are written without it', () => {
  const ramMiB = (m.ramPages * 4096) / MiB;
  assert.equal(decideCrash(parseCrashControl({ CrashDumpEnabled: 1, PageFileSizeMB: ramMiB }), crashMachine(), noFiles).write, undefined);
  const d = decideCrash(parseCrashControl({ CrashDumpEnabled: 1, PageFileSizeMB: ramMiB + 1 }), crashMachine(), noFiles);
  assert.equal(d.write?.variety, 'complete');
  assert.equal(d.write?.dropSecondaryData, true);
  const full = decideCrash(parseCrashControl({ CrashDumpEnabled: 1, PageFileSizeMB: ramMiB + 300 }), crashMachine(), noFiles);
  assert.equal(full.write?.dropSecondaryData, false);
  assert.equal(full.pageFile.sufficient, true);
  const active = decideCrash(parseCrashControl({ CrashDumpEnabled: 1, FilterPages: 1, PageFileSizeMB: ramMiB + 300 }), crashMachine(), noFiles);
  assert.equal(active.write?.variety, 'active');
});

test('kernel dumps are truncated to the page file with InsufficientDumpfileSize; Overwrite=0 keeps the old file', () => {
  const d = decideCrash(parseCrashControl({ CrashDumpEnabled: 2, PageFileSizeMB: 64 }), crashMachine(), noFiles);
  assert.ok(d.write?.maxPages !== undefined && d.write.maxPages < Object.values(plans.kernel!.pages).reduce((s, n) => s + n, 0));
  assert.equal(d.write!.attributes & 4, 4);
  assert.ok(d.write!.expectedBytes <= 64 * MiB);
  const kept = decideCrash(parseCrashControl({ CrashDumpEnabled: 2, PageFileSizeMB: 4096, Overwrite: 0 }), crashMachine(), { dumpFileExists: true, minidumps: [] });
  assert.equal(kept.write, undefined);
  assert.match(kept.notes.join(' '), /Overwrite=0/);
  const nothing = decideCrash(parseCrashControl({ CrashDumpEnabled: 5, PageFileSizeMB: 4096 }), crashMachine(), noFiles);
  assert.equal(nothing.write, undefined);
});

test('automatic dumps: a short system-managed page file grows to RAM and LastCrashTime is recorded; kept four weeks', () => {
  const d = decideCrash(parseCrashControl({ CrashDumpEnabled: 7, PageFileSizeMB: 64 }), crashMachine(), noFiles);
  assert.equal(d.pageFile.action, 'grown-to-ram');
  assert.equal(d.pageFile.newSizeBytes, m.ramPages * 4096);
  assert.ok(d.registry.LastCrashTime);
  assert.equal(d.write!.attributes & 4, 4);
  const recent = decideCrash(parseCrashControl({ CrashDumpEnabled: 7, PageFileSizeMB: 64, LastCrashTime: '2012-03-20T00:00:00Z' }), crashMachine(), noFiles);
  assert.equal(recent.pageFile.action, 'still-grown');
  assert.equal(recent.write?.maxPages, undefined, 'a page file still at RAM size holds the whole kernel dump');
  const old = decideCrash(parseCrashControl({ CrashDumpEnabled: 7, PageFileSizeMB: 64, LastCrashTime: '2012-02-01T00:00:00Z' }), crashMachine(), noFiles);
  assert.equal(old.pageFile.action, 'grown-to-ram');
  const fixed = decideCrash(parseCrashControl({ CrashDumpEnabled: 7, PageFileSizeMB: 64, PageFileSystemManaged: false }), crashMachine(), noFiles);
  assert.equal(fixed.pageFile.action, 'none');
});

test('client Windows deletes MEMORY.DMP on a low disk unless AlwaysKeepMemoryDump=1', () => {
  const low = decideCrash(parseCrashControl({ CrashDumpEnabled: 2, PageFileSizeMB: 4096, DiskFreeMB: 20000 }), crashMachine(), noFiles);
  assert.equal(low.deletedAtReboot, true);
  const keep = decideCrash(parseCrashControl({ CrashDumpEnabled: 2, PageFileSizeMB: 4096, DiskFreeMB: 20000, AlwaysKeepMemoryDump: 1 }), crashMachine(), noFiles);
  assert.equal(keep.deletedAtReboot, false);
  const server = decideCrash(parseCrashControl({ CrashDumpEnabled: 2, PageFileSizeMB: 4096, DiskFreeMB: 20000 }), crashMachine({ productType: 3 }), noFiles);
  assert.equal(server.deletedAtReboot, false);
});

test('live dumps: abort under memory pressure by default, else a partial dump with kernel pages first', () => {
  const h = machines['hyperv-host'];
  const req = { type: 'full' as const, hypervisorPages: 'all' as const, userPages: true, abortOnMemoryPressure: true };
  assert.throws(() => planLive(h.classes, req), isErr('MEMORY_PRESSURE'));
  const part = planLive(h.classes, { ...req, abortOnMemoryPressure: false });
  assert.equal(part.partial, true);
  let kept = 0;
  let kernelKept = 0;
  for (const r of part.runs)
    for (let p = r.first; p < r.first + r.count; p++) {
      kept++;
      if (h.classes[p]! >= 1 && h.classes[p]! <= 7) kernelKept++;
    }
  assert.equal(kept, part.freePages);
  const kernelTotal = Object.entries(h.classCounts()).filter(([c]) => variety('kernel').include.includes(c as never)).reduce((s, [, n]) => s + n, 0);
  assert.equal(kernelKept, kernelTotal, 'every kernel page is kept before any other');
  const small = planLive(h.classes, { ...req, hypervisorPages: 'none', userPages: false });
  assert.equal(small.partial, false);
  assert.deepEqual(liveDumpDir('alice').slice(-3), ['Windows', 'TaskManager', 'LiveKernelDumps']);
  assert.throws(() => liveDumpDir('..'), isErr('INVALID_ARGUMENT'));
});

test('no PageFileSizeMB: a system-managed page file sized as on a fresh Windows (RAM ÷ 8 up to 32 GiB, raised for the dump setting)', () => {
  const GiB = 1024 * MiB;
  assert.equal(systemManagedPageFileBytes(16 * GiB, 0), 2 * GiB);
  assert.equal(systemManagedPageFileBytes(512 * GiB, 0), 32 * GiB);
  assert.equal(systemManagedPageFileBytes(8 * GiB, 9 * GiB), 9 * GiB, 'raised to back the crash dump setting');
  assert.equal(systemManagedPageFileBytes(1 * GiB, 9 * GiB), 4 * GiB, 'but no larger than 3 x RAM or 4 GiB');
  assert.equal(systemManagedPageFileBytes(4 * GiB, 20 * GiB), 12 * GiB);
  // {"CrashDumpEnabled": 3} alone writes a small dump, as a fresh Windows does
  const m = crashMachine();
  const small = decideCrash(parseCrashControl({ CrashDumpEnabled: 3 }), m, noFiles);
  assert.ok(small.write, small.notes.join('; '));
  assert.equal(small.pageFile.configuredBytes, Math.max(Math.floor(m.ramBytes / 8), m.plans.small!.pageFileBytes));
  assert.ok(small.notes.some((n) => /system-managed page file/.test(n)), small.notes.join('; '));
  // complete: Windows sizes the system-managed page file for RAM + 257 MiB, so the dump is written whole
  const complete = decideCrash(parseCrashControl({ CrashDumpEnabled: 1 }), m, noFiles);
  assert.ok(complete.write && complete.write.maxPages === undefined && !complete.write.dropSecondaryData, complete.notes.join('; '));
  // a fixed page file that was not given is no page file
  const fixed = decideCrash(parseCrashControl({ CrashDumpEnabled: 3, PageFileSystemManaged: false }), m, noFiles);
  assert.equal(fixed.write, undefined);
  assert.equal(fixed.pageFile.configuredBytes, 0);
});
