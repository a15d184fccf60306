/** Synthetic minidumps (test/fixtures/minidump-builder.ts) for every stream kind the corpus lacks, and hostile input. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { DumpError } from '../../../src/core/errors.js';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { summarizeMinidump } from '../../../src/core/minidump/summary.js';
import { amd64Context, arm64Context, arm64OldContext, bpel, exceptionStream, le, MinidumpBuilder, module, nb10, rsds, systemInfo, thread, x86Context } from '../../fixtures/minidump-builder.js';

const open = (bytes: Uint8Array) => Minidump.open(new MemorySource(bytes, 'synthetic.dmp'));
const isDumpError = (code?: string) => (e: unknown) => e instanceof DumpError && (code === undefined || e.code === code);

/** A Windows AMD64 dump with one of every Microsoft stream. */
function windowsDump(): { bytes: Uint8Array; stackStart: bigint } {
  const b = new MinidumpBuilder({ capacity: 24, flags: 0x1826n, timestamp: 1600000000 });
  const csd = b.string('Service Pack 1', 1); // unaligned on purpose
  b.stream(7, systemInfo({ arch: 9, platform: 2, major: 10, minor: 0, build: 19041, ncpu: 8, csdRva: csd, vendor: 'GenuineIntel' }));
  const stackStart = 0x7ff000n;
  const stackBytes = new Uint8Array(64).map((_, i) => i);
  const stack = b.loc(stackBytes, 1);
  const ctx1 = b.loc(amd64Context({ rip: 0x140001000n, rsp: 0x7ff010n, rbp: 0x7ff030n, rax: 42n }), 16);
  const ctx2 = b.loc(amd64Context({ rip: 0x140002000n, rsp: 0x7ff020n, size: 720 }), 16); // LLDB's short context
  const tl = le().u32(2);
  thread(tl, { id: 100, stackStart, stack, context: ctx1 });
  thread(tl, { id: 200, stackStart: 0x900000n, stack: { size: 0, rva: 0 }, context: ctx2 });
  b.stream(3, tl.toBytes());
  const name1 = b.string('C:\\app\\app.exe');
  const name2 = b.string('C:\\Windows\\System32\\old.dll');
  const cv1 = b.loc(rsds([0x78, 0x56, 0x34, 0x12, 0xbc, 0x9a, 0xf0, 0xde, 1, 2, 3, 4, 5, 6, 7, 8], 3, 'app.pdb'), 1);
  const cv2 = b.loc(nb10(0x3c2a1b00, 2, 'old.pdb'));
  const ml = le().u32(2);
  module(ml, { base: 0x140000000n, size: 0x5000, timestamp: 0x5f000000, nameRva: name1, cv: cv1, fileVersion: [0x000a0000, 0x4a610001] });
  module(ml, { base: 0x7ffe0000n, size: 0x3000, timestamp: 0x3c2a1b00, nameRva: name2, cv: cv2 });
  b.stream(4, ml.toBytes(), 1);
  b.stream(5, le().u32(1).u64(stackStart).u32(stack.size).u32(stack.rva).toBytes());
  b.stream(6, exceptionStream({ tid: 100, code: 0xc0000005, address: 0x140001000n, info: [1n, 0xdeadbeefn], context: ctx1 }));
  // MISC_INFO_3 (232 bytes): pid + times + timezone
  const misc = le().u32(232).u32(0x1 | 0x2 | 0x40).u32(4242).u32(1599999000).u32(5).u32(6).zeros(20).zeros(12).u32(2);
  misc.u32(0xffffffc4).utf16Fixed('W. Europe Standard Time', 64).zeros(16).u32(0).utf16Fixed('W. Europe Daylight Time', 64).zeros(16).u32(0xffffffc4);
  b.stream(15, misc.toBytes());
  const tn = b.string('main thread');
  b.stream(24, le().u32(1).u32(100).u64(tn).toBytes());
  const unl = b.string('gone.dll');
  b.stream(14, le().u32(12).u32(24).u32(1).u64(0x50000000n).u32(0x2000).u32(0).u32(0x1234).u32(unl).toBytes());
  b.stream(16, le().u32(16).u32(48).u64(1).u64(0x7ff000n).u64(0x7f0000n).u32(4).u32(0).u64(0x10000n).u32(0x1000).u32(4).u32(0x20000).u32(0).toBytes());
  b.stream(17, le().u32(12).u32(64).u32(1).u32(100).u32(0).u32(0).u32(0).u64(1n).u64(0n).u64(2n).u64(3n).u64(0x140001000n).u64(0xffn).toBytes());
  const htype = b.string('File');
  const hname = b.string('\\Device\\Null');
  b.stream(12, le().u32(16).u32(32).u32(1).u32(0).u64(0x44n).u32(htype).u32(hname).u32(0).u32(0x12019f).u32(1).u32(2).toBytes());
  b.stream(10, new TextEncoder().encode('ansi comment\0'));
  b.stream(11, le().utf16Fixed('wide comment', 26).toBytes());
  b.stream(19, le().u32(16 + 20).u32(1).u32(16).u32(16).u32(20).u32(7).u64(0x88n).u32(0xaabbccdd).toBytes());
  b.stream(22, le().u16(1).u16(0).u32(77).u64(1n).u64(2n).u64(3n).u64(4n).u64(5n).u64(6n).u64(7n).u64(8n).u64(9n).toBytes());
  b.stream(21, le().u16(1).u16(0).u32(156250).u32(4096).u32(1000).u32(1).u32(999).u32(65536).u64(0x10000n).u64(0x7ffffffeffffn).u64(0xffn).u32(8).zeros(492 - 56).toBytes());
  b.stream(0x47670001, le().u32(3).u32(200).u32(100).toBytes());
  const assertion = le().utf16Fixed('x != 0', 256).utf16Fixed('f', 256).utf16Fixed('a.cpp', 256).u32(12).u32(2);
  b.stream(0x47670002, assertion.toBytes());
  b.stream(0x12345678, Uint8Array.from([1, 2, 3])); // a user stream nobody knows
  return { bytes: b.build(), stackStart };
}

describe('synthetic Windows AMD64 dump: every Microsoft stream', () => {
  const { bytes, stackStart } = windowsDump();

  test('header, directory with padding entries, unknown user stream kept raw', async () => {
    const md = await open(bytes);
    assert.equal(md.header.flags, 0x1826n);
    assert.equal(md.directory.length, 24);
    assert.equal(md.streams.length, 19);
    const user = md.stream(0x12345678)!;
    assert.equal(user.name, 'User(0x12345678)');
    assert.deepEqual([...(await md.streamBytes(user))], [1, 2, 3]);
    assert.deepEqual(md.diagnostics.list(), []);
  });

  test('system info, threads, contexts (incl. a 720-byte one), thread names', async () => {
    const md = await open(bytes);
    const si = await md.systemInfo();
    assert.equal(si?.arch, 'amd64');
    assert.equal(si?.os, 'windows');
    assert.equal(si?.csdVersion, 'Service Pack 1');
    assert.equal(si?.buildNumber, 19041);
    const th = await md.threads();
    assert.deepEqual(th.map((t) => t.threadId), [100, 200]);
    const c1 = await md.context(th[0]!.threadContext);
    assert.equal(c1?.pc, 0x140001000n);
    assert.equal(c1?.registers.rax, 42n);
    assert.equal(c1?.fp, 0x7ff030n);
    const c2 = await md.context(th[1]!.threadContext);
    assert.equal(c2?.size, 720);
    assert.equal(c2?.pc, 0x140002000n);
    assert.equal(c2?.registers.r15, 0n);
    assert.deepEqual((await md.threadNames())?.map((n) => [n.threadId, n.name]), [[100, 'main thread']]);
  });

  test('modules: RSDS and NB10 ids, version, unaligned names', async () => {
    const s = await summarizeMinidump(new MemorySource(bytes));
    assert.deepEqual(s.modules[0], {
      base: 0x140000000n,
      size: 0x5000,
      path: 'C:\\app\\app.exe',
      codeId: '5F0000005000',
      debugId: '123456789ABCDEF001020304050607083',
      debugFile: 'app.pdb',
      version: '10.0.19041.1',
    });
    assert.equal(s.modules[1]?.debugId, '3C2A1B002');
    assert.equal(s.modules[1]?.codeId, '3C2A1B003000');
    assert.deepEqual(s.threads[0], { id: 100, pc: 0x140001000n, sp: 0x7ff010n, stack: { base: stackStart, size: 64 }, name: 'main thread' });
    assert.deepEqual(s.exception, { threadId: 100, code: '0xc0000005', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', reason: 'EXCEPTION_ACCESS_VIOLATION_WRITE', address: 0xdeadbeefn, pc: 0x140001000n, sp: 0x7ff010n });
    assert.deepEqual(s.process, { pid: 4242, createTime: 1599999000 });
  });

  test('memory: readMemory inside the stack, refused outside', async () => {
    const md = await open(bytes);
    assert.deepEqual([...(await md.readMemory(stackStart + 10n, 4))], [10, 11, 12, 13]);
    await assert.rejects(md.readMemory(stackStart + 62n, 4), isDumpError('ADDRESS_NOT_IN_DUMP'));
  });

  test('misc info 3, unloaded modules, memory info, thread info, handles, comments, token, counters, Breakpad streams', async () => {
    const md = await open(bytes);
    const misc = await md.miscInfo();
    assert.equal(misc?.version, 3);
    assert.equal(misc?.processId, 4242);
    assert.equal(misc?.timeZone?.standardName, 'W. Europe Standard Time');
    assert.equal(misc?.timeZone?.bias, -60);
    assert.deepEqual((await md.unloadedModules())?.map((m) => [m.baseOfImage, m.sizeOfImage, m.timeDateStamp, m.name]), [[0x50000000n, 0x2000, 0x1234, 'gone.dll']]);
    const mi = await md.memoryInfoList();
    assert.deepEqual(mi?.map((m) => [m.baseAddress, m.regionSize, m.state, m.protect, m.type]), [[0x7ff000n, 0x10000n, 0x1000, 4, 0x20000]]);
    assert.deepEqual((await md.threadInfoList())?.map((t) => [t.threadId, t.startAddress, t.affinity]), [[100, 0x140001000n, 0xffn]]);
    assert.deepEqual((await md.handleData())?.map((h) => [h.handle, h.typeName, h.objectName, h.grantedAccess]), [[0x44n, 'File', '\\Device\\Null', 0x12019f]]);
    assert.equal(await md.commentA(), 'ansi comment');
    assert.equal(await md.commentW(), 'wide comment');
    const tok = await md.token();
    assert.deepEqual(tok?.map((t) => [t.tokenId, t.tokenHandle, [...t.data]]), [[7, 0x88n, [0xdd, 0xcc, 0xbb, 0xaa]]]);
    const vm = await md.processVmCounters();
    assert.equal(vm?.pageFaultCount, 77);
    assert.equal(vm?.counters.privateUsage, 9n);
    const smi = await md.systemMemoryInfo();
    assert.equal(smi?.basicInfo.pageSize, 4096);
    assert.equal(smi?.basicInfo.numberOfProcessors, 8);
    assert.deepEqual(await md.breakpadInfo(), { validity: 3, dumpThreadId: 200, requestingThreadId: 100 });
    assert.deepEqual(await md.assertionInfo(), { expression: 'x != 0', function: 'f', file: 'a.cpp', line: 12, type: 2 });
  });

  test('info text output names what is there', async () => {
    const { formatMinidumpSummary } = await import('../../../src/core/minidump/summary.js');
    const text = formatMinidumpSummary(await summarizeMinidump(new MemorySource(bytes)));
    assert.match(text, /System: windows 10\.0\.19041 \(Service Pack 1\), amd64, 8 CPU\(s\)/);
    assert.match(text, /Exception: EXCEPTION_ACCESS_VIOLATION_WRITE \(code 0xc0000005\) at 0xdeadbeef in thread 100/);
    assert.match(text, /100 "main thread": pc 0x140001000 sp 0x7ff010/);
  });
});

/** A Breakpad-Linux-style ARM64 dump with the /proc streams. */
function linuxDump(opts: { padded?: boolean; oldContext?: boolean } = {}): Uint8Array {
  const b = new MinidumpBuilder({ capacity: 20 });
  const csd = b.string('Linux 5.10.0-1 #1 SMP Debian aarch64');
  b.stream(7, systemInfo({ arch: opts.oldContext ? 0x8003 : 12, platform: 0x8201, ncpu: 4, csdRva: csd, level: 8, revision: 0 }));
  const ctx = b.loc(
    opts.oldContext
      ? arm64OldContext({ x0: 7n, fp: 0x7ffff000n, lr: 0x400100n, sp: 0x7fffe000n, pc: 0x400200n, cpsr: 0x60000000 })
      : arm64Context({ x: [7n, 8n], fp: 0x7ffff000n, lr: 0x400100n, sp: 0x7fffe000n, pc: 0x400200n }),
  );
  const pad = opts.padded ? [0, 0, 0, 0] : [];
  const tl = le().u32(1).bytes(pad);
  thread(tl, { id: 31337, stackStart: 0x7fffe000n, stack: { size: 0, rva: 0 }, context: ctx });
  b.stream(3, tl.toBytes());
  const n1 = b.string('/usr/bin/crasher');
  const n2 = b.string('/lib/libshort.so');
  const c1 = b.loc(bpel([0xd2, 0x55, 0x4c, 0xdb, 0x92, 0x61, 0x36, 0xc4, 0xb9, 0x76, 0x6a, 0x08, 0x65, 0x83, 0xb9, 0xb5, 0xa6, 0xd2, 0xe2, 0x71]));
  const c2 = b.loc(bpel([1, 2, 3, 4, 5, 6, 7, 8])); // lld --build-id=fast: 8 bytes
  const ml = le().u32(2).bytes(pad);
  module(ml, { base: 0x400000n, size: 0x1000, nameRva: n1, cv: c1 });
  module(ml, { base: 0x7f0000000n, size: 0x2000, nameRva: n2, cv: c2 });
  b.stream(4, ml.toBytes());
  b.stream(6, exceptionStream({ tid: 31337, code: 11, flags: 1, address: 0x10n, context: ctx }));
  b.stream(0x47670003, new TextEncoder().encode('processor\t: 0\n'));
  b.stream(0x47670004, new TextEncoder().encode('Name:\tcrasher\nPid:\t31337\n'));
  b.stream(0x47670006, new TextEncoder().encode('/usr/bin/crasher\0--flag\0'));
  b.stream(0x47670007, new TextEncoder().encode('A=1\0B=2\0'));
  b.stream(0x47670008, le().u64(6).u64(4096).u64(0).u64(0).toBytes());
  b.stream(0x47670009, new TextEncoder().encode('00400000-00401000 r-xp 00000000 08:01 42 /usr/bin/crasher\n'));
  const lname = b.string('/lib/libc.so.6');
  const lmap = b.data(le().u64(0x7f0000000n).u32(lname).u32(0).u64(0x600000n).toBytes());
  b.stream(0x4767000a, le().u32(1).u32(lmap).u32(1).u32(0).u64(0x1000n).u64(0x7f1000000n).u64(0x600e00n).toBytes());
  return b.build();
}

describe('synthetic Linux ARM64 dump: Breakpad Linux streams, ELF build ids, ARM64 contexts', () => {
  for (const variant of [{}, { padded: true }, { oldContext: true }]) {
    test(`variant ${JSON.stringify(variant)}`, async () => {
      const bytes = linuxDump(variant);
      const md = await open(bytes);
      const s = await summarizeMinidump(new MemorySource(bytes));
      assert.equal(s.system?.arch, 'arm64');
      assert.equal(s.system?.os, 'linux');
      assert.equal(s.system?.osVersion, '5.10.0-1');
      assert.deepEqual(s.threads, [{ id: 31337, pc: 0x400200n, sp: 0x7fffe000n, stack: { base: 0x7fffe000n, size: 0 } }]);
      const ctx = await md.context((await md.threads())[0]!.threadContext);
      assert.equal(ctx?.layout, variant.oldContext ? 'arm64_old' : 'arm64');
      assert.equal(ctx?.registers.x0, 7n);
      assert.equal(ctx?.registers.lr, 0x400100n);
      assert.equal(ctx?.fp, 0x7ffff000n);
      assert.deepEqual(s.modules[0], {
        base: 0x400000n,
        size: 0x1000,
        path: '/usr/bin/crasher',
        codeId: 'd2554cdb926136c4b9766a086583b9b5a6d2e271',
        debugId: 'DB4C55D26192C436B9766A086583B9B50',
        debugFile: '/usr/bin/crasher',
      });
      assert.equal(s.modules[1]?.codeId, '0102030405060708');
      assert.equal(s.modules[1]?.debugId, '040302010605080700000000000000000');
      assert.deepEqual(s.exception, { threadId: 31337, code: '0xb', name: 'SIGSEGV', reason: 'SIGSEGV /0x00000001', address: 0x10n, pc: 0x400200n, sp: 0x7fffe000n });
      assert.deepEqual(await md.linuxCmdLine(), ['/usr/bin/crasher', '--flag']);
      assert.deepEqual(await md.linuxEnviron(), ['A=1', 'B=2']);
      assert.deepEqual(await md.linuxAuxv(), [
        { type: 6n, value: 4096n },
        { type: 0n, value: 0n },
      ]);
      assert.deepEqual((await md.linuxMaps())?.map((m) => [m.start, m.end, m.perms, m.inode, m.path]), [[0x400000n, 0x401000n, 'r-xp', 42, '/usr/bin/crasher']]);
      const dso = await md.linuxDsoDebug();
      assert.equal(dso?.dynamic, 0x600e00n);
      assert.deepEqual(dso?.linkMap, [{ addr: 0x7f0000000n, name: '/lib/libc.so.6', ld: 0x600000n }]);
      assert.equal(s.diagnostics.length, 0);
    });
  }
});

describe('synthetic: macOS exception names, Crashpad info, x86 addresses', () => {
  test('macOS EXC_BAD_ACCESS / KERN_PROTECTION_FAILURE; iOS platform id', async () => {
    for (const [platform, os] of [[0x8101, 'macos'], [0x8102, 'ios']] as const) {
      const b = new MinidumpBuilder();
      b.stream(7, systemInfo({ arch: 12, platform }));
      b.stream(6, exceptionStream({ tid: 1, code: 1, flags: 2, address: 0x1234n, context: { size: 0, rva: 0 } }));
      const s = await summarizeMinidump(new MemorySource(b.build()));
      assert.equal(s.system?.os, os);
      assert.deepEqual(s.exception, { threadId: 1, code: '0x1', name: 'EXC_BAD_ACCESS', reason: 'EXC_BAD_ACCESS / KERN_PROTECTION_FAILURE', address: 0x1234n });
    }
  });

  test('x86: a sign-extended AV address is cut to 32 bits; x86 context', async () => {
    const b = new MinidumpBuilder();
    b.stream(7, systemInfo({ arch: 0, platform: 2, vendor: 'AuthenticAMD' }));
    const ctx = b.loc(x86Context({ eip: 0x401000, esp: 0x12ff00, eax: 5 }));
    b.stream(3, thread(le().u32(1), { id: 9, stackStart: 0x12f000n, stack: { size: 0, rva: 0 }, context: ctx }).toBytes());
    b.stream(6, exceptionStream({ tid: 9, code: 0xc0000005, address: 0x401000n, info: [0n, 0xffffffff80000000n], context: ctx }));
    const s = await summarizeMinidump(new MemorySource(b.build()));
    assert.equal(s.exception?.address, 0x80000000n);
    assert.equal(s.exception?.name, 'EXCEPTION_ACCESS_VIOLATION_READ');
    assert.equal(s.system?.cpuInfo, 'AuthenticAMD family 6 model 13 stepping 8');
    assert.deepEqual(s.threads[0], { id: 9, pc: 0x401000n, sp: 0x12ff00n, stack: { base: 0x12f000n, size: 0 } });
  });

  test('Crashpad info: simple annotations, module list annotations and objects (52- and 64-byte forms)', async () => {
    for (const withMask of [false, true]) {
      const b = new MinidumpBuilder();
      const k = b.utf8('prod');
      const v = b.utf8('Electron');
      const dict = b.loc(le().u32(1).u32(k).u32(v).toBytes());
      const l1 = b.utf8('list one');
      const list = b.loc(le().u32(1).u32(l1).toBytes());
      const an = b.utf8('ann');
      const av = b.data(le().u32(3).bytes([9, 8, 7]).toBytes());
      const objs = b.loc(le().u32(1).u32(an).u16(1).u16(0).u32(av).toBytes());
      const mci = b.loc(le().u32(1).u32(list.size).u32(list.rva).u32(dict.size).u32(dict.rva).u32(objs.size).u32(objs.rva).toBytes());
      const mlist = b.loc(le().u32(1).u32(0).u32(mci.size).u32(mci.rva).toBytes());
      const info = le().u32(1).bytes(new Array(16).fill(0xab)).bytes(new Array(16).fill(0xcd)).u32(dict.size).u32(dict.rva).u32(mlist.size).u32(mlist.rva);
      if (withMask) info.u32(0).u64(0xfffffffffn);
      b.stream(0x43500001, info.toBytes());
      const md = await open(b.build());
      const cp = await md.crashpadInfo();
      assert.equal(cp?.reportId, 'ABABABAB-ABAB-ABAB-ABAB-ABABABABABAB');
      assert.deepEqual(cp?.simpleAnnotations, { prod: 'Electron' });
      assert.equal(cp?.addressMask, withMask ? 0xfffffffffn : undefined);
      assert.deepEqual(cp?.modules, [
        { moduleListIndex: 0, version: 1, listAnnotations: ['list one'], simpleAnnotations: { prod: 'Electron' }, annotationObjects: [{ name: 'ann', type: 1, value: Uint8Array.from([9, 8, 7]) }] },
      ]);
    }
  });

  test('fast-fail and Linux dump-requested names', async () => {
    const mk = async (platform: number, code: number, info: bigint[]) => {
      const b = new MinidumpBuilder();
      b.stream(7, systemInfo({ arch: 9, platform }));
      b.stream(6, exceptionStream({ tid: 1, code, address: 0n, info, context: { size: 0, rva: 0 } }));
      return (await summarizeMinidump(new MemorySource(b.build()))).exception?.name;
    };
    assert.equal(await mk(2, 0xc0000409, [2n]), 'FAST_FAIL_STACK_COOKIE_CHECK_FAILURE');
    assert.equal(await mk(0x8201, 0xffffffff, []), 'DUMP_REQUESTED');
    assert.equal(await mk(0x8203, 6, []), 'SIGABRT');
    assert.equal(await mk(2, 0xe0000001, []), '0xe0000001');
  });
});

describe('synthetic: Memory64List and readMemory across ranges', () => {
  function mem64(sizes: number[], truncateBy = 0): Uint8Array {
    const b = new MinidumpBuilder({ capacity: 2 });
    const list = le().u64(sizes.length).u64(0); // BaseRva patched below
    let addr = 0x10000n;
    for (const s of sizes) {
      list.u64(addr).u64(s);
      addr += BigInt(s); // adjacent ranges
    }
    const loc = b.stream(9, list.toBytes());
    const baseRva = b.nextRva;
    let k = 0;
    for (const s of sizes) b.data(new Uint8Array(s).map(() => k++ & 0xff), 1);
    const out = b.build();
    new DataView(out.buffer).setBigUint64(loc.rva + 8, BigInt(baseRva), true);
    return out.subarray(0, out.length - truncateBy);
  }

  test('contiguous data from BaseRva; a read spans adjacent ranges; zero-size ranges tolerated', async () => {
    const md = await open(mem64([16, 0, 32, 8]));
    const r = await md.memoryRanges();
    assert.deepEqual(r.map((x) => [x.start, x.size]), [[0x10000n, 16], [0x10010n, 0], [0x10010n, 32], [0x10030n, 8]]);
    assert.deepEqual([...(await md.readMemory(0x1000en, 4))], [14, 15, 16, 17]);
    assert.deepEqual([...(await md.readMemory(0x10036n, 2))], [54, 55]);
    await assert.rejects(md.readMemory(0x10036n, 3), isDumpError('ADDRESS_NOT_IN_DUMP'));
  });

  test('ranges whose data is cut off by truncation are dropped with a diagnostic', async () => {
    const md = await open(mem64([16, 32, 8], 10));
    assert.deepEqual((await md.memoryRanges()).map((x) => x.size), [16]);
    assert.match(md.diagnostics.list().join('\n'), /MEMORY64_LIST\[1\].*past the end.*2 range\(s\) dropped/);
  });
});

describe('synthetic: hostile and malformed input fails cleanly', () => {
  const withStream = (type: number, bytes: Uint8Array) => {
    const b = new MinidumpBuilder({ capacity: 2 });
    b.stream(type, bytes);
    return b.build();
  };

  const CASES: [string, () => Uint8Array, (md: Minidump) => Promise<unknown>, string][] = [
    ['ThreadList count 0xffffffff', () => withStream(3, le().u32(0xffffffff).toBytes()), (md) => md.threads(), 'COUNT_TOO_LARGE'],
    ['ThreadList count 3 in a 1-entry stream', () => withStream(3, le().u32(3).zeros(48).toBytes()), (md) => md.threads(), 'COUNT_TOO_LARGE'],
    ['ModuleList count beyond the limit', () => withStream(4, le().u32(5_000_000).toBytes()), (md) => md.modules(), 'COUNT_TOO_LARGE'],
    ['MemoryList count larger than the stream', () => withStream(5, le().u32(1000).zeros(16).toBytes()), (md) => md.memoryRanges(), 'COUNT_TOO_LARGE'],
    ['Memory64List count 2^63', () => withStream(9, le().u64(1n << 63n).u64(0).toBytes()), (md) => md.memoryRanges(), 'COUNT_TOO_LARGE'],
    ['MemoryInfoList SizeOfEntry 8', () => withStream(16, le().u32(16).u32(8).u64(1).zeros(8).toBytes()), (md) => md.memoryInfoList(), 'BAD_SIZE'],
    ['UnloadedModuleList header larger than stream', () => withStream(14, le().u32(400).u32(24).u32(0).toBytes()), (md) => md.unloadedModules(), 'BAD_SIZE'],
    ['ThreadNames count too large', () => withStream(24, le().u32(99).toBytes()), (md) => md.threadNames(), 'COUNT_TOO_LARGE'],
    ['SystemInfo too short', () => withStream(7, new Uint8Array(20)), (md) => md.systemInfo(), 'BAD_SIZE'],
    ['Exception too short', () => withStream(6, new Uint8Array(100)), (md) => md.exception(), 'BAD_SIZE'],
    ['ProcessVmCounters revision 9', () => withStream(22, le().u16(9).zeros(78).toBytes()), (md) => md.processVmCounters(), 'BAD_VERSION'],
    ['MiscInfo shorter than 24 bytes', () => withStream(15, le().u32(8).u32(1).toBytes()), (md) => md.miscInfo(), 'BAD_SIZE'],
  ];
  for (const [name, make, read, code] of CASES) {
    test(name, async () => {
      const md = await open(make());
      await assert.rejects(read(md), isDumpError(code));
    });
  }

  test('header problems: bad signature, bad version, huge stream count, directory or stream past EOF', async () => {
    await assert.rejects(open(new MinidumpBuilder({ signature: 0x12345678 }).build()), isDumpError('BAD_SIGNATURE'));
    await assert.rejects(open(new MinidumpBuilder({ version: 0x1234 }).build()), isDumpError('BAD_VERSION'));
    const huge = new MinidumpBuilder().build();
    new DataView(huge.buffer).setUint32(8, 0xffffffff, true);
    await assert.rejects(open(huge), isDumpError('COUNT_TOO_LARGE'));
    const dirPast = new MinidumpBuilder().build();
    new DataView(dirPast.buffer).setUint32(12, 0xfffff000, true);
    await assert.rejects(open(dirPast), isDumpError('TRUNCATED'));
    const b = new MinidumpBuilder({ capacity: 1 });
    b.rawEntry(3, { size: 0x1000, rva: 0x100000 });
    await assert.rejects(open(b.build()), (e: unknown) => isDumpError('OUT_OF_BOUNDS')(e) && /directory entry 0 \(ThreadListStream\)/.test((e as Error).message));
    await assert.rejects(open(new Uint8Array(10)), isDumpError('TRUNCATED'));
  });

  test('a huge MINIDUMP_STRING length becomes a diagnostic, not an allocation', async () => {
    const b = new MinidumpBuilder();
    const bad = b.data(le().u32(0x7fffffff).toBytes());
    b.stream(4, module(le().u32(1), { base: 0x1000n, size: 0x1000, nameRva: bad }).toBytes());
    const md = await open(b.build());
    assert.equal((await md.modules())[0]?.name, '');
    assert.match(md.diagnostics.list().join('\n'), /MINIDUMP_STRING length 2147483647 exceeds/);
  });

  test('duplicate streams: the first wins, with a diagnostic', async () => {
    const b = new MinidumpBuilder({ capacity: 3 });
    b.stream(15, le().u32(24).u32(1).u32(111).zeros(12).toBytes());
    b.stream(15, le().u32(24).u32(1).u32(222).zeros(12).toBytes());
    const md = await open(b.build());
    assert.equal((await md.miscInfo())?.processId, 111);
    assert.equal(md.streamsOfType(15).length, 2);
    assert.match(md.diagnostics.list()[0]!, /directory entry 1: duplicate MiscInfoStream/);
  });

  test('every truncation of a valid dump: success or DumpError, never anything else', async () => {
    const { bytes } = windowsDump();
    for (let n = 0; n < bytes.length; n += 7) {
      try {
        await summarizeMinidump(new MemorySource(bytes.subarray(0, n)));
      } catch (e) {
        assert.ok(e instanceof DumpError, `length ${n}: ${(e as Error)?.stack}`);
      }
    }
  });

  test('random byte corruption (seeded): success or DumpError, bounded', async () => {
    const { bytes } = windowsDump();
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) / 2 ** 32);
    for (let round = 0; round < 300; round++) {
      const b = bytes.slice();
      for (let k = 0; k < 8; k++) b[Math.floor(rnd() * b.length)] = Math.floor(rnd() * 256);
      try {
        const md = await Minidump.open(new MemorySource(b));
        await summarizeMinidump(new MemorySource(b));
        const reads: (() => Promise<unknown>)[] = [
          () => md.unloadedModules(),
          () => md.memoryInfoList(),
          () => md.threadInfoList(),
          () => md.handleData(),
          () => md.token(),
          () => md.processVmCounters(),
          () => md.systemMemoryInfo(),
          () => md.assertionInfo(),
          () => md.commentW(),
        ];
        for (const f of reads) await f().catch((e: unknown) => assert.ok(e instanceof DumpError, String(e)));
      } catch (e) {
        assert.ok(e instanceof DumpError, `round ${round}: ${(e as Error)?.stack}`);
      }
    }
  });
});

describe('synthetic: overlapping and nested memory ranges', () => {
  test('an address inside a big range that contains many small ones is found', async () => {
    const b = new MinidumpBuilder({ capacity: 2 });
    const big = b.loc(new Uint8Array(0x1000).fill(0xbb));
    const small = Array.from({ length: 20 }, (_, i) => b.loc(new Uint8Array(4).fill(i)));
    const list = le().u32(21).u64(0x10000n).u32(big.size).u32(big.rva);
    small.forEach((l, i) => list.u64(0x10000n + BigInt(i * 16)).u32(l.size).u32(l.rva));
    b.stream(5, list.toBytes());
    const md = await open(b.build());
    assert.deepEqual([...(await md.readMemory(0x10000n + 19n * 16n, 4))], [19, 19, 19, 19]); // the later, smaller range wins
    assert.deepEqual([...(await md.readMemory(0x10f00n, 2))], [0xbb, 0xbb]); // only the big range covers this
    assert.equal((await md.rangeAt(0x10f00n))?.size, 0x1000);
    assert.equal(await md.rangeAt(0x11000n), undefined);
  });
});

test('readMemory: a huge request past the captured bytes fails before allocating', async () => {
  const b = new MinidumpBuilder({ capacity: 1 });
  const l = b.loc(new Uint8Array(16));
  b.stream(5, le().u32(1).u64(0x1000n).u32(l.size).u32(l.rva).toBytes());
  const md = await open(b.build());
  await assert.rejects(md.readMemory(0x1000n, 2 ** 40), isDumpError('ADDRESS_NOT_IN_DUMP'));
  await assert.rejects(md.readMemory(0x1000n, -1), isDumpError('INVALID_ARGUMENT'));
});

test('LinuxMaps: an unparsable line is skipped with a diagnostic, the rest is kept', async () => {
  const b = new MinidumpBuilder({ capacity: 1 });
  b.stream(0x47670009, new TextEncoder().encode('garbage line\n00400000-00401000 r-xp 00000000 08:01 42 /bin/x\n'));
  const md = await open(b.build());
  assert.deepEqual((await md.linuxMaps())?.map((m) => m.path), ['/bin/x']);
  assert.match(md.diagnostics.list().join('\n'), /LinuxMaps: unparsable line "garbage line"/);
});
