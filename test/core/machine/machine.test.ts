import assert from 'node:assert/strict';
import { test } from 'node:test';
import { Machine } from '../../../src/core/machine/machine.js';
import { PAGE_CLASSES } from '../../../src/core/varieties/page-class.js';
import { reachable, readVirt, translate, u64 } from '../../fixtures/x64-walk.js';

const m = new Machine({ ramBytes: 512 * 1024 * 1024, profile: 'workstation', seed: 5 });
const cache = new Map<number, Uint8Array>();
const read = (pfn: number) => {
  let p = cache.get(pfn);
  if (!p) {
    p = new Uint8Array(4096);
    m.readPage(pfn, p);
    cache.set(pfn, p);
  }
  return p;
};
const cls = (pfn: number) => PAGE_CLASSES[m.classes[pfn]!] ?? 'not-ram';
const text = (b: Uint8Array) => String.fromCharCode(...b);

test('RAM has holes below 1 MiB and no PFN 0; classes cover exactly the RAM pages', () => {
  assert.equal(m.ramRuns[0]!.basePage, 1);
  assert.equal(m.ramRuns[1]!.basePage, 0x100);
  assert.equal(m.ramRuns.reduce((s, r) => s + r.pageCount, 0), (512 * 1024 * 1024) / 4096);
  let ram = 0;
  for (let pfn = 0; pfn < m.classes.length; pfn++) if (m.classes[pfn] !== 0xff) ram++;
  assert.equal(ram, m.ramPages);
  assert.equal(m.classes[0], 0xff);
  assert.equal(m.classes[0xa0], 0xff);
});

test('the system PML4 sits in Volatility\'s scan window with exactly one self-reference at 0x100..0x1FE', () => {
  const pfn = Number(m.dtb >> 12n);
  assert.ok(pfn * 4096 >= 0x150000 && pfn * 4096 < 0x2a0000);
  const pml4 = read(pfn);
  const self: number[] = [];
  for (let i = 0; i < 512; i++) {
    const e = new DataView(pml4.buffer, pml4.byteOffset).getBigUint64(i * 8, true);
    if ((e & 1n) && Number((e >> 12n) & 0xffffffffffn) === pfn) self.push(i);
  }
  assert.equal(self.length, 1);
  assert.ok(self[0]! >= 0x100 && self[0]! <= 0x1fe);
  assert.equal(cls(pfn), 'kernel-page-table');
  // No process PML4 in the scan windows: the scan must meet the system's first.
  for (const p of m.processes) {
    const q = Number(p.dtb >> 12n);
    if (p.pid === 4) continue;
    assert.ok(!(q >= 0x150 && q < 0x2a0) && !(q >= 0x650 && q < 0x6f0), `${p.name} PML4 at PFN ${q.toString(16)}`);
  }
});

test('KDBG, the MZ kernel image and PsLoadedModuleList read back through the page tables', () => {
  const k = m.kdDebuggerDataBlock;
  assert.equal(text(readVirt(read, m.dtb, k + 0x10n, 4)), 'KDBG');
  assert.equal(new DataView(readVirt(read, m.dtb, k + 0x14n, 4).buffer).getUint32(0, true), 0x380);
  const kernBase = u64(read, m.dtb, k + 0x18n);
  assert.equal(text(readVirt(read, m.dtb, kernBase, 2)), 'MZ');
  assert.equal(u64(read, m.dtb, k + 0x48n), m.psLoadedModuleList);
  const first = u64(read, m.dtb, m.psLoadedModuleList);
  assert.equal(u64(read, m.dtb, first + 0x30n), kernBase);
  const nameAt = (entry: bigint) => {
    const hdr = readVirt(read, m.dtb, entry + 0x58n, 16);
    const len = new DataView(hdr.buffer).getUint16(0, true);
    const buf = new DataView(hdr.buffer).getBigUint64(8, true);
    return new TextDecoder('utf-16le').decode(readVirt(read, m.dtb, buf, len));
  };
  assert.equal(nameAt(first), 'ntoskrnl.exe');
  const second = u64(read, m.dtb, first);
  assert.equal(nameAt(second), 'hal.dll');
  // Walk the whole list back to the head; every DllBase starts with MZ.
  let n = 0;
  for (let e = first; e !== m.psLoadedModuleList; e = u64(read, m.dtb, e)) {
    assert.equal(text(readVirt(read, m.dtb, u64(read, m.dtb, e + 0x30n), 2)), 'MZ');
    assert.ok(++n < 1000);
  }
  assert.equal(n, m.modules.length);
});

test('processes have their own table bases (user-page-table class) and threads with mapped kernel stacks', () => {
  let n = 0;
  const dtbs = new Set<bigint>();
  for (let e = u64(read, m.dtb, m.psActiveProcessHead); e !== m.psActiveProcessHead; e = u64(read, m.dtb, e)) {
    const ep = e - 0x448n;
    const dtb = u64(read, m.dtb, ep + 0x28n);
    const pid = u64(read, m.dtb, ep + 0x440n);
    dtbs.add(dtb);
    if (pid === 4n) assert.equal(dtb, m.dtb);
    else assert.equal(cls(Number(dtb >> 12n)), 'user-page-table');
    // First thread: stack limit..base mapped, kernel-stack class.
    const t = u64(read, m.dtb, ep + 0x5e0n) - 0x4e8n;
    const limit = u64(read, m.dtb, t + 0x30n);
    const base = u64(read, m.dtb, t + 0x38n);
    assert.equal(u64(read, m.dtb, t + 0x220n), ep);
    for (let va = limit; va < base; va += 4096n) assert.equal(cls(Number(translate(read, m.dtb, va)! >> 12n)), 'kernel-stack');
    assert.equal(translate(read, m.dtb, limit - 4096n), undefined, 'guard page below the stack');
    n++;
  }
  assert.equal(n, m.processes.length);
  assert.equal(dtbs.size, n);
});

test('page tables and classes agree: kernel half maps exactly the kernel pages, process halves the user pages', () => {
  const kernel = reachable(read, m.dtb, 0x100, 0x200);
  const kernelSet = new Set<number>([...kernel.leaves, ...kernel.tables, Number(m.dtb >> 12n)]);
  const user = new Set<number>();
  for (const p of m.processes) {
    if (p.pid === 4) continue;
    const r = reachable(read, p.dtb, 0, 0x100);
    for (const x of r.leaves) user.add(x);
    for (const x of r.tables) user.add(x);
    user.add(Number(p.dtb >> 12n));
  }
  const kernelClasses = new Set(['kernel-image', 'hal', 'driver', 'kernel-pool', 'kernel-page-table', 'kernel-stack', 'processor-state']);
  const userClasses = new Set(['user-private', 'user-image', 'user-shared', 'user-page-table']);
  for (let pfn = 0; pfn < m.classes.length; pfn++) {
    const c = cls(pfn);
    if (kernelClasses.has(c)) assert.ok(kernelSet.has(pfn), `kernel page ${pfn.toString(16)} (${c}) is not mapped`);
    if (userClasses.has(c)) assert.ok(user.has(pfn), `user page ${pfn.toString(16)} (${c}) is not mapped by a process`);
  }
  for (const pfn of kernelSet) assert.ok(kernelClasses.has(cls(pfn)), `kernel VA maps ${pfn.toString(16)} of class ${cls(pfn)}`);
  for (const pfn of user) assert.ok(userClasses.has(cls(pfn)), `process maps ${pfn.toString(16)} of class ${cls(pfn)}`);
});

test('the crashing CPU: KiProcessorBlock → KPRCB → CurrentThread and a context whose RSP is on that thread\'s stack', () => {
  const k = m.kdDebuggerDataBlock;
  const block = u64(read, m.dtb, k + 0x218n);
  const prcb = u64(read, m.dtb, block + BigInt(m.crashCpu * 8));
  const thread = u64(read, m.dtb, prcb + 0x8n);
  assert.equal(thread, m.crashThread.ethread);
  const ctxOff = BigInt(new DataView(readVirt(read, m.dtb, k + 0x338n, 2).buffer).getUint16(0, true));
  const ctx = readVirt(read, m.dtb, prcb + ctxOff, 0x4d0);
  const v = new DataView(ctx.buffer);
  assert.deepEqual(ctx, m.crashContext);
  assert.equal(v.getUint32(0x34, true), v.getUint32(0x118, true), 'MxCsr equals FltSave.MxCsr');
  const rsp = v.getBigUint64(0x98, true);
  assert.ok(rsp >= u64(read, m.dtb, thread + 0x30n) && rsp < u64(read, m.dtb, thread + 0x38n));
  const process = u64(read, m.dtb, thread + 0x220n);
  assert.equal(process, m.crashProcess.eprocess);
});

test('page contents are deterministic and carry their class; zeroed pages are zero', () => {
  const m2 = new Machine({ ramBytes: 512 * 1024 * 1024, profile: 'workstation', seed: 5 });
  assert.deepEqual(m2.classes, m.classes);
  const a = new Uint8Array(4096);
  const b = new Uint8Array(4096);
  let checked = 0;
  for (let pfn = 0x100; pfn < m.classes.length && checked < 200; pfn += 97) {
    m.readPage(pfn, a);
    m2.readPage(pfn, b);
    assert.deepEqual(a, b);
    const c = cls(pfn);
    if (c === 'zeroed') assert.ok(a.every((x) => x === 0));
    else if (c === 'file-cache' || c === 'user-private') {
      assert.equal(text(a.subarray(0, 4)), 'dkpg');
      assert.equal(a[4], m.classes[pfn]);
    }
    checked++;
  }
  const other = new Machine({ ramBytes: 512 * 1024 * 1024, profile: 'workstation', seed: 6 });
  assert.notDeepEqual(other.classes, m.classes);
});

test('profiles: hyperv-host is mostly guest VM pages; server has more file cache than user pages', () => {
  const h = new Machine({ ramBytes: 2048 * 1024 * 1024, profile: 'hyperv-host', seed: 1 }).classCounts();
  assert.ok(h['guest-vm'] > 0.5 * (2048 * 256));
  assert.ok(h['hypervisor-essential'] > 0 && h['hypervisor-nonessential'] > 0);
  const s = new Machine({ ramBytes: 1024 * 1024 * 1024, profile: 'server', seed: 1 }).classCounts();
  assert.ok(s['file-cache'] > s['user-private'] + s['user-image']);
  assert.equal(s['guest-vm'], 0);
});

test('bad machine parameters are clear errors', () => {
  assert.throws(() => new Machine({ ramBytes: 1000, profile: 'workstation' }), /--ram/);
  assert.throws(() => new Machine({ ramBytes: 1 << 30, profile: 'laptop' as 'workstation' }), /unknown machine profile/);
  assert.throws(() => new Machine({ ramBytes: 1 << 30, profile: 'server', vms: 1000 }), /--vms/);
});
