import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import type { ByteSource } from '../../../src/core/bytes/byte-source.js';
import type { DumpError } from '../../../src/core/errors.js';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import * as F from '../../fixtures/kernel-fixture.js';

const m = F.buildMachine();
const full = F.buildBitmap(m, { dumpType: 5 });
const kernel = F.buildBitmap(m, { dumpType: 6 });

/** A source without readSync, like a browser Blob: exercises the async translation path. */
function asyncOnly(bytes: Uint8Array): ByteSource {
  const s = new MemorySource(bytes);
  return { size: s.size, name: 'async', read: (o, l) => s.read(o, l) };
}

const text = (b: Uint8Array): string => new TextDecoder().decode(b);

describe('kernel virtual address translation (x64)', () => {
  for (const [label, src] of [
    ['sync source', () => new MemorySource(full)],
    ['async-only source', () => asyncOnly(full)],
  ] as const) {
    it(`translates 4K, 2M, 1G and transition pages (${label})`, async () => {
      const d = await KernelDump.open(src());
      const vm = d.virtual();
      assert.deepEqual(await vm.read(F.KERN_BASE, 2), new Uint8Array([0x4d, 0x5a]));
      const t4 = await vm.translate(F.KERN_BASE + 0x10n);
      assert.equal(t4.pa, 0x200010n);
      assert.equal(t4.pageSize, 4096);
      const t2 = await vm.translate(F.LARGE_2M_VA + 0x1ff123n);
      assert.equal(t2.pa, F.LARGE_2M_PA + 0x1ff123n);
      assert.equal(t2.pageSize, 2 * 1024 * 1024);
      assert.equal(text(await vm.read(F.LARGE_2M_VA, 13)), '2M page start');
      assert.equal(text(await vm.read(F.LARGE_2M_VA + 511n * 4096n, 11)), '2M page end');
      const t1 = await vm.translate(F.HUGE_1G_VA + 0x12345678n);
      assert.equal(t1.pa, F.HUGE_1G_PA + 0x12345678n);
      assert.equal(t1.pageSize, 1024 * 1024 * 1024);
      assert.equal(text(await vm.read(F.HUGE_1G_VA + 0x12345000n, 13)), '1G page inner');
      const tt = await vm.translate(F.TRANSITION_VA);
      assert.equal(tt.transition, true);
      assert.equal(text(await vm.read(F.TRANSITION_VA, 15)), 'transition page');
    });
  }

  it('says which level failed, and not-mapped versus not-in-dump', async () => {
    const vm = (await KernelDump.open(new MemorySource(full))).virtual();
    await assert.rejects(vm.translate(F.NOT_PRESENT_VA), (e: DumpError) => e.code === 'ADDRESS_NOT_MAPPED' && /PTE\[0x21\]/.test(e.message));
    await assert.rejects(vm.translate(0xffff900000000000n), (e: DumpError) => e.code === 'ADDRESS_NOT_MAPPED' && /PML4E\[0x120\]/.test(e.message));
    await assert.rejects(vm.read(F.ABSENT_VA, 4), (e: DumpError) => e.code === 'ADDRESS_NOT_IN_DUMP' && /PA 0x301000/.test(e.message));
    await assert.rejects(vm.read(F.LARGE_2M_VA + 0x1000n, 4), { code: 'ADDRESS_NOT_IN_DUMP' });
    assert.deepEqual(await vm.read(F.ABSENT_VA, 4, { ignoreMissing: true }), new Uint8Array(4));
    await assert.rejects(vm.translate(0x0000900000000000n), { code: 'INVALID_ARGUMENT' });
  });

  it('reads a span across a mapped and an unmapped page with ignoreMissing', async () => {
    const vm = (await KernelDump.open(new MemorySource(full))).virtual();
    const b = await vm.read(F.TRANSITION_VA + 0xff0n, 0x20, { ignoreMissing: true });
    assert.deepEqual(b.subarray(0x10), new Uint8Array(0x10));
  });

  it('walks PsLoadedModuleList (kernel image first) and the process list', async () => {
    const d = await KernelDump.open(new MemorySource(full));
    const mods = await d.modules();
    assert.deepEqual(
      mods.map((x) => [x.base, x.size, x.name]),
      F.DRIVERS.map((x) => [x.base, x.size, x.name]),
    );
    assert.equal(mods[0]!.fullName, '\\SystemRoot\\system32\\ntoskrnl.exe');
    const kd = await d.debuggerData();
    assert.equal(kd?.kernBase, F.KERN_BASE);
    assert.equal(kd?.psLoadedModuleList, F.LOADED_MODULE_LIST_VA);
    const procs = await d.processes();
    assert.equal(procs.length, 1);
    assert.equal(procs[0]!.name, 'notepad.exe');
    assert.equal(procs[0]!.pid, 0x1234n);
    assert.equal(procs[0]!.directoryTableBase, m.userDtb);
    // the process's address space holds its user page in a full dump
    assert.equal(text(await d.virtual(m.userDtb).read(F.USER_VA, 24)), 'user page of notepad.exe');
  });

  it('a kernel dump refuses user addresses with the limit message', async () => {
    const d = await KernelDump.open(new MemorySource(kernel));
    assert.ok(d.limits()[0]!.includes('only kernel address space is available'));
    await assert.rejects(d.virtual(m.userDtb).read(F.USER_VA, 4), (e: DumpError) => e.code === 'LIMIT' && /only kernel address space is available/.test(e.message));
    // kernel addresses still read through the kernel table base
    assert.equal(text(await d.virtual().read(F.TRANSITION_VA, 15)), 'transition page');
    const limits = d.limits();
    assert.ok(limits.some((l) => /pages in the covered range .* are not in the dump; read on anyway with --ignore-missing-pages/.test(l)), limits.join('\n'));
  });

  it('a kernel dump reads a user address when its page happens to be there', async () => {
    const m2 = F.buildMachine();
    m2.classes.set(F.USER_PFN, 'kernel'); // e.g. a live dump that also captured this page
    const d = await KernelDump.open(new MemorySource(F.buildBitmap(m2, { dumpType: 6 })));
    assert.equal(text(await d.virtual(m2.userDtb).read(F.USER_VA, 24)), 'user page of notepad.exe');
    await assert.rejects(d.virtual(m2.userDtb).read(F.USER_VA + 0x1000n, 4), { code: 'LIMIT' });
  });

  it('stops a looping module list with a diagnostic', async () => {
    const m2 = F.buildMachine();
    // make the third entry point back at the second
    const third = F.KERN_BASE + 0x3300n;
    m2.w64(m2.vaToPa(F.KERNEL_DTB, third), F.KERN_BASE + 0x3200n);
    const d = await KernelDump.open(new MemorySource(F.buildBitmap(m2, { dumpType: 5 })));
    const mods = await d.modules();
    assert.equal(mods.length, 3);
    assert.ok(d.diagnostics.list().some((x) => /loop/.test(x)));
  });
});
