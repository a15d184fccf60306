import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { parseContext } from '../../../src/core/kernel/context.js';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { bugCheckName } from '../../../src/core/kernel/bugcheck.js';
import { summarizeKernelDump } from '../../../src/core/kernel/summary.js';
import * as F from '../../fixtures/kernel-fixture.js';

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('32-bit, RDMP, legacy and ARM64 variants', () => {
  for (const pae of [true, false]) {
    it(`reads a 32-bit PAGEDUMP type 1 and translates ${pae ? 'PAE' : 'classic x86'} addresses`, async () => {
      const d = await KernelDump.open(new MemorySource(F.buildX86(pae)));
      assert.equal(d.machine, 'x86');
      assert.equal(d.header.is64, false);
      assert.equal(d.header.paeEnabled, pae);
      assert.equal(d.pagingMode, pae ? 'pae' : 'x86');
      assert.equal(d.header.minorVersion, 7601);
      assert.equal(d.header.bugCheckCode, 0xe2);
      assert.equal(d.header.systemUpTime, 0x999n);
      assert.equal(d.header.systemTime, 0x01dc5e0e12345678n);
      const c = d.context();
      assert.equal(c.pc, 0x80001234n);
      assert.equal(c.sp, 0x8d000ff0n);
      assert.equal(text(await d.readVirtual(F.X86_VA, 15)), 'x86 kernel page');
      const t = await d.virtual().translate(F.X86_LARGE_VA + 0x10n);
      assert.equal(t.pa, 0x01000010n);
      assert.equal(t.pageSize, pae ? 2 << 20 : 4 << 20);
      assert.equal(text(await d.readVirtual(F.X86_LARGE_VA, 14)), 'x86 large page');
      await assert.rejects(d.readVirtual(0x90000000n, 4), { code: 'ADDRESS_NOT_MAPPED' });
    });
  }

  for (const type of [8, 10] as const) {
    it(`reads RDMP DumpType ${type} page ranges`, async () => {
      const m = F.buildMachine();
      const d = await KernelDump.open(new MemorySource(F.buildRdmp(m, type)));
      assert.equal(d.dumpType, type);
      const want = F.presentPfns(m, 'kernel');
      assert.deepEqual([...d.requirePhysical().pfns()], want);
      for (const pfn of want) assert.deepEqual(await d.requirePhysical().readPage(pfn), m.pages.get(pfn));
      assert.equal(text(await d.readVirtual(F.TRANSITION_VA, 15)), 'transition page');
      assert.ok(d.diagnostics.list().some((x) => /RDMP/.test(x)));
    });
  }

  it('reads the legacy DumpType 2 summary layout', async () => {
    const m = F.buildMachine();
    const pfns = F.presentPfns(m, 'kernel');
    const bits = Math.ceil((pfns.at(-1)! + 1) / 64) * 64;
    const h = F.header64(m, { dumpType: 2 });
    const first = Math.ceil((0x2028 + bits / 8) / 0x1000) * 0x1000;
    const sub = new Uint8Array(first - 0x2000);
    const v = new DataView(sub.buffer);
    sub.set(new TextEncoder().encode('SDMPDUMP'));
    v.setUint32(0x0c, first, true);
    v.setUint32(0x10, bits, true);
    v.setUint32(0x14, pfns.length, true);
    v.setUint32(0x18, bits, true);
    for (const p of pfns) sub[0x28 + (p >> 3)]! |= 1 << (p & 7);
    const file = new Uint8Array(first + pfns.length * 0x1000);
    file.set(h);
    file.set(sub, 0x2000);
    pfns.forEach((p, i) => file.set(m.pages.get(p)!, first + i * 0x1000));
    const d = await KernelDump.open(new MemorySource(file));
    assert.equal(d.dumpType, 2);
    assert.equal(d.kernelOnly, true);
    assert.deepEqual([...d.requirePhysical().pfns()], pfns);
    assert.equal(text(await d.readVirtual(F.KERN_BASE, 2)), 'MZ');
  });

  it('parses an ARM64 CONTEXT', () => {
    const c = new Uint8Array(0x390);
    const v = new DataView(c.buffer);
    v.setUint32(0, 0x400007, true);
    v.setUint32(4, 0x80000144, true);
    v.setBigUint64(0x08, 0x1234n, true); // X0
    v.setBigUint64(0xf8, 0xfffff80000001000n, true); // Lr
    v.setBigUint64(0x100, 0xffff800000002000n, true); // Sp
    v.setBigUint64(0x108, 0xfffff80000003000n, true); // Pc
    const ctx = parseContext('arm64', c, 0x348);
    assert.equal(ctx.contextFlags, 0x400007);
    assert.equal(ctx.registers.Cpsr, 0x80000144n);
    assert.equal(ctx.registers.X0, 0x1234n);
    assert.equal(ctx.registers.Lr, 0xfffff80000001000n);
    assert.equal(ctx.sp, 0xffff800000002000n);
    assert.equal(ctx.pc, 0xfffff80000003000n);
  });

  it('reads an ARM64 PAGEDU64 dump: header, context, translation, modules', async () => {
    const m = F.buildMachine();
    // ARM64 descriptors: tables and pages are (PA | 0b11) as in the x64 fixture; blocks are (PA | 0b01)
    m.w64(m.entryPa(F.KERNEL_DTB, F.LARGE_2M_VA, 2), F.LARGE_2M_PA | 0x401n);
    m.w64(m.entryPa(F.KERNEL_DTB, F.HUGE_1G_VA, 3), F.HUGE_1G_PA | 0x401n);
    const b = F.buildBitmap(m, { dumpType: 5 });
    const v = new DataView(b.buffer);
    v.setUint32(0x30, 0xaa64, true);
    v.setBigUint64(0x10, F.KERNEL_DTB | 0x0001000000000001n, true); // TTBR: ASID 1, CnP
    b.fill(0, 0x348, 0x348 + 0x390);
    v.setUint32(0x348, 0x400007, true);
    v.setBigUint64(0x348 + 0x100, 0xffff800000002000n, true); // Sp
    v.setBigUint64(0x348 + 0x108, 0xfffff80000003000n, true); // Pc
    const s = await summarizeKernelDump(new MemorySource(b));
    assert.equal(s.machine, 'arm64');
    assert.deepEqual(s.context, { pc: 0xfffff80000003000n, sp: 0xffff800000002000n });
    assert.equal(s.physicalPages, F.presentPfns(m, 'full').length);
    assert.deepEqual(
      s.modules.map((x) => x.name),
      ['ntoskrnl.exe', 'hal.dll', 'disk.sys'],
    );
    assert.ok(s.limits.some((l) => /ARM64: virtual addresses are translated as MemProcFS/.test(l)));
    const d = await KernelDump.open(new MemorySource(b));
    const vm = d.virtual();
    assert.equal(text(await vm.read(F.KERN_BASE, 2)), 'MZ');
    const t2 = await vm.translate(F.LARGE_2M_VA + 0x1ff123n);
    assert.deepEqual([t2.pa, t2.pageSize], [F.LARGE_2M_PA + 0x1ff123n, 2 << 20]);
    const t1 = await vm.translate(F.HUGE_1G_VA + 0x12345678n);
    assert.deepEqual([t1.pa, t1.pageSize], [F.HUGE_1G_PA + 0x12345678n, 1 << 30]);
    assert.equal(text(await vm.read(F.TRANSITION_VA, 15)), 'transition page');
    await assert.rejects(vm.translate(F.NOT_PRESENT_VA), { code: 'ADDRESS_NOT_MAPPED' });
    assert.equal(text(await d.virtual(m.userDtb).read(F.USER_VA, 24)), 'user page of notepad.exe');
  });

  it('reads a 32-bit small dump (TRIAGE_DUMP32): stack and data blocks', async () => {
    const f = new Uint8Array(0x3000);
    const v = new DataView(f.buffer);
    for (let i = 0; i < 0x1000; i += 4) v.setUint32(i, 0x45474150, true);
    f.set(new TextEncoder().encode('PAGEDUMP'), 0);
    v.setUint32(0x20, 0x14c, true);
    v.setUint32(0x28, 0x50, true);
    v.setUint32(0xf88, 4, true);
    const t = 0x1000;
    v.setUint32(t + 0x4, 0x2804, true); // SizeOfDump
    v.setUint32(t + 0x8, 0x2800, true); // ValidOffset
    v.setUint32(t + 0x28, 0x1100, true); // CallStackOffset
    v.setUint32(t + 0x2c, 0x100, true); // SizeOfCallStack
    v.setUint32(t + 0x48, 0x8d000f00, true); // TopOfStack (u32)
    v.setUint32(t + 0x60, 0x1200, true); // DataBlocksOffset
    v.setUint32(t + 0x64, 1, true); // DataBlocksCount
    f.fill(0xab, 0x1100, 0x1200);
    v.setUint32(0x1200, 0x80400000, true); // block VA
    v.setUint32(0x1204, 0x1300, true); // offset
    v.setUint32(0x1208, 4, true); // size
    f.set([1, 2, 3, 4], 0x1300);
    f.set(new TextEncoder().encode('TRGD'), 0x2800);
    const d = await KernelDump.open(new MemorySource(f.subarray(0, 0x2804)));
    assert.equal(d.machine, 'x86');
    assert.equal(d.dumpType, 4);
    assert.deepEqual(await d.readVirtual(0x8d000f00n, 4), new Uint8Array([0xab, 0xab, 0xab, 0xab]));
    assert.deepEqual(await d.readVirtual(0x80400000n, 4), new Uint8Array([1, 2, 3, 4]));
    await assert.rejects(d.readVirtual(0x80400004n, 1), { code: 'LIMIT' });
    assert.deepEqual(d.diagnostics.list(), []);
  });

  it('names bug checks, _M variants and live-dump codes', () => {
    assert.equal(bugCheckName(0x7e), 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED');
    assert.equal(bugCheckName(0x1000007e), 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M');
    assert.equal(bugCheckName(0x161), 'LIVE_SYSTEM_DUMP');
    assert.equal(bugCheckName(0x1c8), 'MANUALLY_INITIATED_POWER_BUTTON_HOLD');
    assert.equal(bugCheckName(0xdeaddead), 'MANUALLY_INITIATED_CRASH1');
    assert.equal(bugCheckName(0), undefined);
    assert.equal(bugCheckName(0x7777777), undefined);
  });
});
