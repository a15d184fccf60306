import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemorySink } from '../../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { readElfCore } from '../../../src/core/elfcore/elf-core.js';
import { coreToSnapshot } from '../../../src/core/elfcore/to-snapshot.js';
import { DumpError } from '../../../src/core/errors.js';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { writeMinidump } from '../../../src/core/minidump/writer/minidump-writer.js';
import { buildElfCore, patternBytes, type FixtureArch, type FixtureCore } from '../../fixtures/elf-core-builder.js';

/**
 * ELF cores built by test/fixtures/elf-core-builder.ts (literal offsets) for the three
 * architectures, read, converted and read back with dumpkit's minidump reader. Real cores from gcore
 * and the kernel: test/node/elfcore/.
 */

const BUILD_ID = Uint8Array.from({ length: 20 }, (_, i) => 0xa0 + i);

/** A minimal ELF image (header, one PT_NOTE program header, a GNU build-id note at 0x100), padded to a page. */
function elfImage(is64: boolean, machine: number): Uint8Array {
  const b = new Uint8Array(4096);
  const v = new DataView(b.buffer);
  b.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1]);
  v.setUint16(16, 3, true);
  v.setUint16(18, machine, true);
  if (is64) {
    v.setBigUint64(32, 64n, true);
    v.setUint16(54, 56, true);
    v.setUint16(56, 1, true);
    v.setUint32(64, 4, true); // PT_NOTE
    v.setBigUint64(64 + 8, 0x100n, true);
    v.setBigUint64(64 + 16, 0x100n, true);
    v.setBigUint64(64 + 32, 36n, true);
  } else {
    v.setUint32(28, 52, true);
    v.setUint16(42, 32, true);
    v.setUint16(44, 1, true);
    v.setUint32(52, 4, true);
    v.setUint32(52 + 4, 0x100, true);
    v.setUint32(52 + 8, 0x100, true);
    v.setUint32(52 + 16, 36, true);
  }
  v.setUint32(0x100, 4, true);
  v.setUint32(0x104, 20, true);
  v.setUint32(0x108, 3, true);
  b.set([0x47, 0x4e, 0x55, 0], 0x10c);
  b.set(BUILD_ID, 0x110);
  return b;
}

interface Layout {
  image: bigint;
  heap: bigint;
  stack: bigint;
  sp: bigint;
  pc: bigint;
  fault: bigint;
}

const LAYOUT: Record<FixtureArch, Layout> = {
  x86_64: { image: 0x555555554000n, heap: 0x555555600000n, stack: 0x7ffd00000000n, sp: 0x7ffd00001f00n, pc: 0x555555555123n, fault: 0x42n },
  aarch64: { image: 0xaaaaaaaa0000n, heap: 0xaaaaaab00000n, stack: 0xffffc0000000n, sp: 0xffffc0001f00n, pc: 0xaaaaaaaa1123n, fault: 0x42n },
  i386: { image: 0x56555000n, heap: 0x56600000n, stack: 0xff800000n, sp: 0xff801f00n, pc: 0x56556123n, fault: 0xdeadbeefn },
};

function fixture(arch: FixtureArch): FixtureCore {
  const L = LAYOUT[arch];
  const is64 = arch !== 'i386';
  const machine = { x86_64: 62, i386: 3, aarch64: 183 }[arch];
  const regs = (tid: number, sp: bigint): Record<string, bigint> => {
    if (arch === 'x86_64') return { rip: L.pc, rsp: sp, rbp: sp + 0x40n, rax: 0x1111n * BigInt(tid), rbx: L.heap + 0x10n, fs_base: 0x7f0000001000n + BigInt(tid), cs: 0x33n, ss: 0x2bn, eflags: 0x246n };
    if (arch === 'i386') return { eip: L.pc, esp: sp, ebp: sp + 0x40n, eax: 0x1111n * BigInt(tid), ebx: L.heap + 0x10n, cs: 0x23n, ss: 0x2bn, ds: 0x2bn, es: 0x2bn, gs: 0x63n, eflags: 0x286n };
    return { pc: L.pc, sp, x0: 0x1111n * BigInt(tid), x29: sp + 0x40n, x30: L.pc - 0x100n, x19: L.heap + 0x10n, pstate: 0x60000000n };
  };
  const fx = Uint8Array.from({ length: 512 }, (_, i) => (i * 3) & 0xff);
  fx.set([0x7f, 0x03], 0); // FCW
  fx.set([0x80, 0x1f, 0, 0], 24); // MXCSR 0x1f80
  const main = {
    tid: 1000,
    regs: regs(1000, L.sp),
    cursig: 11,
    siginfo: { signo: 11, code: 1, addr: L.fault },
    ...(arch === 'x86_64' ? { fxsave: fx } : arch === 'i386' ? { fsave: fx.slice(0, 108), fxsave: fx } : { vregs: fx, fpsr: 0x10, fpcr: 0x3000000, tls: 0xffff8000a000n }),
  };
  const second = { tid: 1002, regs: regs(1002, L.sp - 0x800n), ...(arch === 'x86_64' ? { xstate: new Uint8Array(1024).fill(0x5a) } : {}) };
  return {
    arch,
    threads: [main, second],
    psinfo: { pid: 1000, ppid: 1, uid: 1001, gid: 1002, name: 'crasher', args: '/opt/app/crasher --fixture' },
    auxv: [
      [3n, L.image + (is64 ? 64n : 52n)], // AT_PHDR
      [33n, 0n], // AT_SYSINFO_EHDR (no vDSO here)
    ],
    files: [
      { start: L.image, end: L.image + 0x1000n, pageOffset: 0n, path: '/opt/app/crasher' },
      { start: L.image + 0x1000n, end: L.image + 0x3000n, pageOffset: 1n, path: '/opt/app/crasher' },
    ],
    segments: [
      { vaddr: L.image, flags: 4, memsz: 0x1000n, data: elfImage(is64, machine) },
      { vaddr: L.image + 0x1000n, flags: 5, memsz: 0x2000n }, // text, not dumped
      { vaddr: L.heap, flags: 6, memsz: 0x4000n, data: patternBytes(L.heap, 0x2000) }, // half in the file: the rest is not in the core
      { vaddr: L.stack, flags: 6, memsz: 0x2000n, data: patternBytes(L.stack, 0x2000) },
    ],
  };
}

async function convert(bytes: Uint8Array, variety: 'full' | 'miniplus' | 'mini' = 'full'): Promise<{ md: Minidump; diagnostics: Diagnostics }> {
  const diagnostics = new Diagnostics();
  const core = await readElfCore(new MemorySource(bytes, 'fixture core'), diagnostics);
  const sink = new MemorySink();
  await writeMinidump(await coreToSnapshot(core, variety, diagnostics, { timestamp: 1700000000 }), sink);
  return { md: await Minidump.open(new MemorySource(sink.toBytes(), 'converted')), diagnostics };
}

const PC_SP: Record<FixtureArch, [string, string, string]> = { x86_64: ['rip', 'rsp', 'rax'], i386: ['eip', 'esp', 'eax'], aarch64: ['pc', 'sp', 'x0'] };

describe('ELF core reader (fixtures)', () => {
  for (const arch of ['x86_64', 'i386', 'aarch64'] as const) {
    test(`${arch}: notes, threads and memory`, async () => {
      const L = LAYOUT[arch];
      const d = new Diagnostics();
      const core = await readElfCore(new MemorySource(buildElfCore(fixture(arch)), 'fixture core'), d);
      assert.equal(core.arch, { x86_64: 'amd64', i386: 'x86', aarch64: 'arm64' }[arch]);
      assert.deepEqual(
        core.threads.map((t) => t.id),
        [1000, 1002],
      );
      const [pc, sp, acc] = PC_SP[arch];
      const t0 = core.threads[0]!;
      assert.equal(t0.registers.gpr[pc], L.pc);
      assert.equal(t0.registers.gpr[sp], L.sp);
      assert.equal(t0.registers.gpr[acc], 0x1111n * 1000n);
      assert.equal(core.threads[1]!.registers.gpr[acc], 0x1111n * 1002n);
      assert.equal(t0.status.userMicros, 3_250_000);
      assert.deepEqual(
        { ...core.process, flags: undefined },
        { state: 'R', zombie: false, nice: 0, flags: undefined, uid: 1001, gid: 1002, pid: 1000, ppid: 1, pgrp: 1000, sid: 1000, name: 'crasher', args: '/opt/app/crasher --fixture' },
      );
      assert.deepEqual(core.signal, { signo: 11, errno: 0, code: 1, address: L.fault, threadId: 1000 });
      assert.equal(core.files.length, 2);
      assert.deepEqual(core.files[1], { start: L.image + 0x1000n, end: L.image + 0x3000n, fileOffset: 0x1000n, path: '/opt/app/crasher' });
      assert.equal(core.auxvEntries[0]?.type, 3n);
      if (arch === 'x86_64') {
        assert.equal(t0.registers.fxsave?.length, 512);
        assert.equal(core.threads[1]!.registers.fxsave?.[0], 0x5a, 'XSTATE legacy area as FXSAVE when no NT_FPREGSET');
      } else if (arch === 'i386') {
        assert.equal(t0.registers.fsave?.length, 108);
        assert.equal(t0.registers.fxsave?.length, 512);
      } else {
        assert.equal(t0.registers.vregs?.length, 512);
        assert.equal(t0.registers.gpr.fpsr, 0x10n);
        assert.equal(t0.registers.gpr.fpcr, 0x3000000n);
        assert.equal(t0.registers.gpr.tpidr_el0, 0xffff8000a000n);
      }
      // memory: file bytes; past p_filesz and in an undumped segment, nothing
      assert.deepEqual(await core.memory.read(L.heap + 0x1ff8n, 8), patternBytes(L.heap + 0x1ff8n, 8));
      await assert.rejects(core.memory.read(L.heap + 0x1ff8n, 16), (e: unknown) => e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP');
      await assert.rejects(core.memory.read(L.image + 0x1000n, 4), (e: unknown) => e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP');
      assert.deepEqual(d.list(), []);
    });

    test(`${arch}: converted to a minidump, read back`, async () => {
      const L = LAYOUT[arch];
      const { md, diagnostics } = await convert(buildElfCore(fixture(arch)));
      const sys = await md.systemInfo();
      assert.equal(sys?.processorArchitecture, { x86_64: 9, i386: 0, aarch64: 12 }[arch]);
      const threads = await md.threads();
      assert.deepEqual(
        threads.map((t) => t.threadId),
        [1000, 1002],
      );
      const [pcName, spName, acc] = PC_SP[arch];
      for (const t of threads) {
        const c = (await md.context(t.threadContext))!;
        assert.equal(c.pc, L.pc, `${pcName} of ${t.threadId}`);
        assert.equal(c.sp, t.threadId === 1000 ? L.sp : L.sp - 0x800n, spName);
        assert.equal(c.registers[acc], 0x1111n * BigInt(t.threadId), acc);
        assert.equal(t.stack.startOfMemoryRange, (t.threadId === 1000 ? L.sp : L.sp - 0x800n) & ~0xfffn, 'stack from the page of sp');
      }
      if (arch === 'x86_64') assert.equal(threads[0]!.teb, 0x7f0000001000n + 1000n, 'Teb = fs_base');
      if (arch === 'aarch64') assert.equal(threads[0]!.teb, 0xffff8000a000n, 'Teb = TPIDR_EL0');
      const ex = (await md.exception())!;
      assert.equal(ex.threadId, 1000);
      assert.equal(ex.exceptionCode, 11);
      assert.equal(ex.exceptionFlags, 1, 'si_code SEGV_MAPERR');
      assert.equal(ex.exceptionAddress, L.fault);
      const mods = await md.modules();
      assert.equal(mods.length, 1);
      assert.equal(mods[0]!.baseOfImage, L.image);
      assert.equal(mods[0]!.sizeOfImage, 0x3000);
      assert.deepEqual(await md.readMemory(L.stack + 0x1f00n, 32), patternBytes(L.stack + 0x1f00n, 32));
      assert.deepEqual(await md.readMemory(L.heap + 0x1ffcn, 4), patternBytes(L.heap + 0x1ffcn, 4));
      await assert.rejects(md.readMemory(L.heap + 0x2000n, 4), 'past p_filesz: not in the minidump either');
      await assert.rejects(md.readMemory(L.image + 0x1000n, 4));
      const maps = (await md.linuxText(0x47670009))!;
      assert.match(maps, /-\S+ r-xp 00001000 00:00 0 +\/opt\/app\/crasher\n/);
      assert.match((await md.linuxText(0x47670004))!, /^Name:\tcrasher\nState:\tR\n.*Uid:\t1001\t1001/s);
      assert.equal(await md.linuxText(0x47670006), '/opt/app/crasher --fixture\0');
      const info = (await md.memoryInfoList())!;
      assert.equal(info.length, 4, 'every mapping, dumped or not');
      assert.equal(info.find((m) => m.baseAddress === L.heap)?.regionSize, 0x4000n, 'the heap mapping whole');
      assert.deepEqual(diagnostics.list().filter((x) => !x.startsWith('LinuxDsoDebug')), []);
    });
  }

  test('mini keeps stacks and register windows only; miniplus drops unmodified file mappings', async () => {
    const L = LAYOUT.x86_64;
    const bytes = buildElfCore(fixture('x86_64'));
    const mini = (await convert(bytes, 'mini')).md;
    assert.deepEqual(await mini.readMemory(L.heap + 0x10n, 8), patternBytes(L.heap + 0x10n, 8), 'rbx points into the heap: its window is kept');
    await assert.rejects(mini.readMemory(L.heap + 0x3000n, 4), 'the rest of the heap is not');
    const plus = (await convert(bytes, 'miniplus')).md;
    assert.deepEqual(await plus.readMemory(L.heap + 0x1800n, 8), patternBytes(L.heap + 0x1800n, 8));
    await assert.rejects(plus.readMemory(L.image + 0x800n, 4), 'the read-only image page is left to the file');
  });

  test('segments whose file bytes overlap are not read', async () => {
    const c = fixture('x86_64');
    const bytes = buildElfCore(c);
    // point the stack segment's p_offset (program header 4: after PT_NOTE and three PT_LOADs) at the heap's bytes
    const v = new DataView(bytes.buffer);
    const ph = (i: number): number => 64 + i * 56;
    v.setBigUint64(ph(4) + 8, v.getBigUint64(ph(3) + 8, true), true);
    const d = new Diagnostics();
    const core = await readElfCore(new MemorySource(bytes, 'overlapping'), d);
    assert.equal(core.segments.filter((s) => s.readable > 0n).length, 2);
    assert.ok(d.list().some((m) => /overlap another segment's: not read/.test(m)), d.list().join('\n'));
  });

  test('a core cut short, PN_XNUM, a note past its segment, a gcore-style siginfo of SIGSTOP', async () => {
    const c = fixture('x86_64');
    c.extendedNumbering = true;
    c.threads[0]!.siginfo = { signo: 19, code: 0, pid: 77, uid: 0 };
    c.threads[0]!.cursig = 0;
    c.extraNotes = [['GDB', 0xff000000, new Uint8Array(8)]];
    const full = buildElfCore(c);
    const cut = full.subarray(0, full.length - 0x1000);
    const d = new Diagnostics();
    const core = await readElfCore(new MemorySource(cut, 'cut core'), d);
    assert.equal(core.segments.length, 4, 'PN_XNUM count from section header 0');
    assert.deepEqual(core.signal, { signo: 19, errno: 0, code: 0, senderPid: 77, senderUid: 0, threadId: 1000 });
    assert.deepEqual(core.otherNotes, { 'GDB/0xff000000': 1 });
    assert.ok(d.list().some((m) => /cut short: 4096 bytes/.test(m)), d.list().join('\n'));
    const stack = core.segments.find((s) => s.start === LAYOUT.x86_64.stack)!;
    assert.equal(stack.readable, 0x1000n);
    const snapDiag = new Diagnostics();
    const snap = await coreToSnapshot(core, 'full', snapDiag);
    assert.equal(snap.exception, undefined, 'SIGSTOP does not make a core: no Exception stream');
    assert.ok(snapDiag.list().some((m) => /signal 19/.test(m)));
    assert.ok(snap.memory.every((m) => m.address + BigInt(m.size) <= stack.start + 0x1000n || m.address >= stack.end), 'nothing planned past the end of the file');
  });

  test('every truncation of a small core gives a result or a DumpError', async () => {
    const bytes = buildElfCore(fixture('i386'));
    for (let n = 0; n < bytes.length; n += n < 1200 ? 1 : 509) {
      try {
        const core = await readElfCore(new MemorySource(bytes.subarray(0, n), 'cut'), new Diagnostics());
        await coreToSnapshot(core, 'full', new Diagnostics());
      } catch (e) {
        assert.ok(e instanceof DumpError, `length ${n}: ${String(e)}`);
      }
    }
  });

  test('refuses what is not a little-endian x86_64/i386/aarch64 core with the byte range', async () => {
    const bytes = buildElfCore(fixture('x86_64'));
    const exe = bytes.slice();
    exe[16] = 3;
    await assert.rejects(readElfCore(new MemorySource(exe, 'exe'), new Diagnostics()), /not a core \(ET_CORE = 4\) \(bytes 0x10-0x12\)/);
    const arm = bytes.slice();
    arm[18] = 40;
    await assert.rejects(readElfCore(new MemorySource(arm, 'arm'), new Diagnostics()), /machine 40/);
  });
});
