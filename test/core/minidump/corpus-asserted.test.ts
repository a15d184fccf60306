/**
 * Facts that MANIFEST.md lists as *asserted* by the source projects' own tests, transcribed by hand
 * into the tables below (never computed by dumpkit). Each row is checked against dumpkit's reader.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { StreamType } from '../../../src/core/minidump/constants.js';
import { moduleVersion } from '../../../src/core/minidump/reader/module-list.js';
import { corpusSkip } from '../../helpers/corpus.js';
import { corpusSummary, withCorpusDump } from '../../helpers/minidump-corpus.js';

const opts = { skip: corpusSkip };

interface SummaryFacts {
  file: string;
  timestamp?: number;
  arch?: string;
  os?: string;
  osVersion?: string;
  csd?: string;
  cpuInfo?: string;
  cpuCount?: number;
  threadCount?: number;
  threadIds?: number[];
  moduleCount?: number;
  exception?: { threadId?: number; code?: string; name?: string; reason?: string; address?: string; pc?: bigint; sp?: bigint };
  pid?: number;
}

// From MANIFEST.md "asserted facts" (Breakpad, rust-minidump, symbolic/symbolicator, LLDB tests).
const SUMMARY_FACTS: SummaryFacts[] = [
  {
    file: 'breakpad/minidump2.dmp',
    timestamp: 1171480435,
    arch: 'x86',
    os: 'windows',
    osVersion: '5.1.2600',
    csd: 'Service Pack 2',
    cpuInfo: 'GenuineIntel family 6 model 13 stepping 8',
    moduleCount: 13,
    exception: { threadId: 3060, code: '0xc0000005', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', address: '0x45' },
    pid: 3932,
  },
  {
    file: 'rust-minidump/test.dmp',
    timestamp: 1171480435,
    arch: 'x86',
    os: 'windows',
    osVersion: '5.1.2600',
    csd: 'Service Pack 2',
    cpuInfo: 'GenuineIntel family 6 model 13 stepping 8',
    threadIds: [0xbf4, 0x11c0],
    moduleCount: 13,
    // rust-minidump: exception context eip 0x40429e, esp 0x12fe84
    exception: { threadId: 0xbf4, code: '0xc0000005', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', address: '0x45', pc: 0x40429en, sp: 0x12fe84n },
    pid: 3932,
  },
  {
    file: 'breakpad/minidump_32bit_crash_addr.dmp',
    arch: 'x86',
    os: 'windows',
    osVersion: '5.1.2600',
    csd: 'Service Pack 2',
    cpuInfo: 'GenuineIntel family 6 model 13 stepping 8',
    exception: { name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', address: '0x45' },
  },
  { file: 'breakpad/tiny-exe-fastfail.dmp', threadCount: 4, exception: { code: '0xc0000409', name: 'FAST_FAIL_FATAL_APP_EXIT' } },
  {
    file: 'symbolic/windows-mini.dmp',
    timestamp: 1521713273,
    arch: 'x86',
    os: 'windows',
    osVersion: '10.0.14393',
    cpuInfo: 'GenuineIntel family 6 model 63 stepping 2',
    cpuCount: 2,
    threadIds: [1636, 3580, 2600, 2920],
    exception: { threadId: 1636, name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', address: '0x45' },
  },
  {
    file: 'symbolic/crash_linux.dmp',
    timestamp: 1505305040,
    arch: 'amd64',
    os: 'linux',
    osVersion: '4.9.46-moby',
    cpuInfo: 'family 6 model 70 stepping 1',
    cpuCount: 4,
    threadIds: [133],
    exception: { name: 'SIGSEGV', reason: 'SIGSEGV /0x00000000', address: '0x0' },
  },
  {
    file: 'symbolic/crash_macos.dmp',
    timestamp: 1505305307,
    arch: 'amd64',
    os: 'macos',
    osVersion: '10.12.6',
    csd: '16G29',
    cpuInfo: 'family 6 model 70 stepping 1',
    cpuCount: 8,
    threadIds: [775],
    exception: { name: 'EXC_BAD_ACCESS', reason: 'EXC_BAD_ACCESS / KERN_INVALID_ADDRESS', address: '0x45' },
  },
  {
    file: 'symbolic/macos-mini.dmp',
    timestamp: 1521713398,
    arch: 'amd64',
    os: 'macos',
    osVersion: '10.12.6',
    cpuInfo: 'family 6 model 58 stepping 9',
    cpuCount: 2,
    exception: { reason: 'EXC_BAD_ACCESS / KERN_INVALID_ADDRESS', address: '0x45' },
  },
  {
    file: 'symbolic/linux-mini.dmp',
    timestamp: 1522061032,
    arch: 'amd64',
    os: 'linux',
    osVersion: '4.9.60-linuxkit-aufs',
    cpuInfo: 'family 6 model 70 stepping 1',
    cpuCount: 4,
    exception: { name: 'SIGSEGV', reason: 'SIGSEGV /0x00000000', address: '0x45' },
  },
  { file: 'rust-minidump/linux-mini.dmp', os: 'linux', osVersion: '4.9.60-linuxkit-aufs' },
  { file: 'rust-minidump/invalid-parameter.dmp', exception: { code: '0xc000000d', name: 'STATUS_INVALID_PARAMETER' } },
  // LLDB TestMiniDump: frame 0 pc 0x00164d14
  { file: 'lldb/fizzbuzz_no_heap.dmp', arch: 'x86', os: 'windows', threadCount: 1, moduleCount: 6, pid: 4440, exception: { code: '0xc0000005', pc: 0x164d14n } },
  // LLDB sigsegv.test: "Exception 0xc0000005 encountered at address 0x7ff7a13110d9", frame #0 0x00007ff7a13110d9
  { file: 'lldb/sigsegv.dmp', arch: 'amd64', os: 'windows', exception: { code: '0xc0000005', pc: 0x7ff7a13110d9n } },
  { file: 'lldb/linux-x86_64.dmp', threadCount: 1, moduleCount: 10, pid: 29917, exception: { name: 'SIGSEGV' } },
  { file: 'lldb/linux-x86_64_not_crashed.dmp', threadCount: 1, moduleCount: 10, pid: 29939, exception: { code: '0xffffffff', name: 'DUMP_REQUESTED' } },
  { file: 'lldb/unittests-linux-x86_64.dmp', threadIds: [16001], moduleCount: 8, pid: 16001, exception: { code: '0xb', name: 'SIGSEGV' } },
  { file: 'lldb/thread-list-padded.dmp', threadIds: [0x11223344, 0x55667788] },
  { file: 'lldb/thread-list-not-padded.dmp', threadIds: [0x11223344, 0x55667788] },
  { file: 'lldb/arm-linux.dmp', arch: 'arm', os: 'linux', threadCount: 1 },
  { file: 'lldb/arm-macos.dmp', arch: 'arm', os: 'macos', threadCount: 1 },
];

describe('corpus: summary facts asserted by the source projects', () => {
  for (const row of SUMMARY_FACTS) {
    test(row.file, opts, async () => {
      const s = await corpusSummary(row.file);
      if (row.timestamp !== undefined) assert.equal(s.timestamp, row.timestamp);
      if (row.arch !== undefined) assert.equal(s.system?.arch, row.arch);
      if (row.os !== undefined) assert.equal(s.system?.os, row.os);
      if (row.osVersion !== undefined) assert.equal(s.system?.osVersion, row.osVersion);
      if (row.csd !== undefined) assert.equal(s.system?.csd, row.csd);
      if (row.cpuInfo !== undefined) assert.equal(s.system?.cpuInfo, row.cpuInfo);
      if (row.cpuCount !== undefined) assert.equal(s.system?.cpuCount, row.cpuCount);
      if (row.threadCount !== undefined) assert.equal(s.threads.length, row.threadCount);
      if (row.threadIds !== undefined) assert.deepEqual(s.threads.map((t) => t.id), row.threadIds);
      if (row.moduleCount !== undefined) assert.equal(s.modules.length, row.moduleCount);
      if (row.pid !== undefined) assert.equal(s.process?.pid, row.pid);
      if (row.exception) {
        assert.ok(s.exception, 'exception expected');
        const e = row.exception;
        if (e.threadId !== undefined) assert.equal(s.exception.threadId, e.threadId);
        if (e.code !== undefined) assert.equal(s.exception.code, e.code);
        if (e.name !== undefined) assert.equal(s.exception.name, e.name);
        if (e.reason !== undefined) assert.equal(s.exception.reason, e.reason);
        if (e.address !== undefined) assert.equal('0x' + s.exception.address.toString(16), e.address);
        if (e.pc !== undefined) assert.equal(s.exception.pc, e.pc);
        if (e.sp !== undefined) assert.equal(s.exception.sp, e.sp);
      }
    });
  }
});

interface ModuleFacts {
  file: string;
  /** Select the module by index or by base address. */
  index?: number;
  base: bigint;
  size?: number;
  path?: string;
  codeId?: string | null;
  debugId?: string | null;
  debugFile?: string;
  version?: string | null;
}

const MODULE_FACTS: ModuleFacts[] = [
  { file: 'rust-minidump/test.dmp', index: 0, base: 0x400000n, size: 0x2d000, path: 'c:\\test_app.exe', codeId: '45D35F6C2d000', debugFile: 'c:\\test_app.pdb', debugId: '5A9832E5287241C1838ED98914E9B7FF1', version: null },
  { file: 'rust-minidump/test.dmp', index: 12, base: 0x76bf0000n, size: 0xb000, path: 'C:\\WINDOWS\\system32\\psapi.dll', codeId: '411096CAb000', debugFile: 'psapi.pdb', debugId: 'A5C3A1F9689F43D8AD228A09293889702', version: '5.1.2600.2180' },
  { file: 'breakpad/minidump2.dmp', index: 0, base: 0x400000n, path: 'c:\\test_app.exe', codeId: '45D35F6C2d000', debugFile: 'c:\\test_app.pdb', debugId: '5A9832E5287241C1838ED98914E9B7FF1' },
  { file: 'symbolic/windows-mini.dmp', base: 2752512n, size: 36864, path: 'C:\\projects\\breakpad-tools\\windows\\Release\\crash.exe', codeId: '5AB380779000', debugId: '3249D99D0C4049318610F4E4FB0B69361' },
  { file: 'symbolic/windows-mini.dmp', base: 1971388416n, size: 790528, codeId: '5A49BB75c1000', debugFile: 'wrpcrt4.pdb', debugId: 'AE131C6727A74FA19916B5A4AEF411901' },
  { file: 'symbolic/windows-mini.dmp', base: 1891041280n, size: 151552, codeId: '57898DAB25000', debugId: 'AEC7EF2FDF4B4642A4714C3E5FE8760A1' },
  { file: 'symbolic/crash_linux.dmp', base: 0x400000n, size: 196608, path: '/breakpad/examples/target/crash_linux', codeId: 'db4c55d26192c436b9766a086583b9b5a6d2e271', debugId: 'D2554CDB926136C4B9766A086583B9B50', debugFile: '/breakpad/examples/target/crash_linux' },
  { file: 'symbolic/crash_macos.dmp', base: 0x10215c000n, size: 172032, path: '/Users/jauer/Coding/breakpad/examples/target/crash_macos', codeId: null, debugId: '3F58BC3DEABE3361B5FB52A6762985980', debugFile: 'crash_macos' },
  // LLDB UUIDs: for ELF build ids the UUID bytes are the code id; PDB70 GUID+age for Windows modules.
  { file: 'lldb/linux-x86_64.dmp', index: 0, base: 0x400000n, path: '/tmp/test/linux-x86_64', codeId: 'e35c283bc327c28762db788bf5a4078be2351448' },
  { file: 'lldb/linux-x86_64.dmp', index: 2, base: 0x7fc7851ea000n, codeId: 'd144258e614900b255a31f3fd2283a878670d5bc' },
  { file: 'lldb/linux-x86_64.dmp', index: 3, base: 0x7fc7854f0000n, codeId: '36311b4457710ae5578c4bf00791ded7359dbb92' },
  { file: 'lldb/linux-x86_64.dmp', index: 4, base: 0x7fc785706000n, codeId: '76190e922af7457d078f75c9b15fa184e83eb506' },
  { file: 'lldb/linux-x86_64.dmp', index: 5, base: 0x7fc785a0a000n, codeId: 'cf699a15caae64f50311fc4655b86dc39a479789' },
  { file: 'lldb/linux-x86_64.dmp', index: 6, base: 0x7fc785dcf000n, codeId: '31e9f21ae8c10396171f1e13da15780986fa696c' },
  { file: 'lldb/linux-x86_64.dmp', index: 7, base: 0x7fc785fed000n, path: '/tmp/test/libbreakpad.so', codeId: '784fd549332d826ed23f18c17c6f320a' },
  { file: 'lldb/linux-x86_64.dmp', index: 8, base: 0x7fc78620a000n, codeId: 'd0f537904076d73f29e4a37341f8a449e2ef6cd0' },
  { file: 'lldb/linux-x86_64.dmp', index: 9, base: 0x7fffc8da4000n, path: 'linux-gate.so', codeId: '4ead28f888ef3520872b73c6f2fe7306c41af22f' },
  { file: 'lldb/linux-x86_64_not_crashed.dmp', index: 0, base: 0x400000n, path: '/tmp/test/linux-x86_64_not_crashed' },
  { file: 'lldb/fizzbuzz_no_heap.dmp', index: 0, base: -1n, debugId: '0F45B7919A9646F9BF8F2D6076EA421A11' },
  { file: 'lldb/fizzbuzz_no_heap.dmp', index: 1, base: -1n, path: 'C:\\Windows\\SysWOW64\\ntdll.dll', debugId: 'BBB0846A402C4052A16B67650BBFE6B02' },
  { file: 'lldb/fizzbuzz_no_heap.dmp', index: 2, base: -1n, debugId: 'E5CB7E1B005E4113AB9898D6913B52D82' },
  { file: 'lldb/fizzbuzz_no_heap.dmp', index: 3, base: -1n, debugId: '0BF95241CB0D4BD4AC5D186A6452E5221' },
  { file: 'lldb/fizzbuzz_no_heap.dmp', index: 4, base: -1n, debugId: '3C05516E57E740EB8D3F9722C5BD80DD1' },
  { file: 'lldb/fizzbuzz_no_heap.dmp', index: 5, base: -1n, debugId: '6382FB8646C44046AE428D97B3F91FF21' },
  { file: 'lldb/module-list-padded.dmp', index: 0, base: 0x1000n, size: 0x2000 },
  { file: 'lldb/module-list-padded.dmp', index: 1, base: 0x5000n, size: 0x3000 },
  { file: 'lldb/module-list-not-padded.dmp', index: 0, base: 0x1000n, size: 0x2000 },
  { file: 'lldb/module-list-not-padded.dmp', index: 1, base: 0x5000n, size: 0x3000 },
  { file: 'lldb/modules-dup-min-addr.dmp', index: 0, base: 0x2000n, path: '/tmp/a' },
  { file: 'lldb/modules-dup-min-addr.dmp', index: 1, base: 0x1000n, path: '/tmp/a' },
  { file: 'lldb/modules-order.dmp', index: 0, base: 0x2000n, path: '/tmp/a' },
  { file: 'lldb/modules-order.dmp', index: 1, base: 0x1000n, path: '/tmp/b' },
  // TestMiniDumpUUID: ELF build ids as code ids; zero ids give none.
  { file: 'lldb/linux-arm-uuids-elf-build-id-20.dmp', index: 0, base: -1n, path: '/tmp/a', codeId: '0102030405060708090a0b0c0d0e0f1011121314' },
  { file: 'lldb/linux-arm-uuids-elf-build-id-20.dmp', index: 1, base: -1n, path: '/tmp/b', codeId: '0a141e28323c46505a646e78828c96a0aab4bec8' },
  { file: 'lldb/linux-arm-uuids-elf-build-id-16.dmp', index: 0, base: -1n, path: '/tmp/a', codeId: '0102030405060708090a0b0c0d0e0f10' },
  { file: 'lldb/linux-arm-uuids-elf-build-id-16.dmp', index: 1, base: -1n, path: '/tmp/b', codeId: '0a141e28323c46505a646e78828c96a0' },
  { file: 'lldb/linux-arm-uuids-elf-build-id-zero.dmp', index: 0, base: -1n, path: '/not/exist/a', codeId: null, debugId: null },
  { file: 'lldb/linux-arm-uuids-elf-build-id-zero.dmp', index: 1, base: -1n, path: '/not/exist/b', codeId: null, debugId: null },
  { file: 'lldb/linux-arm-zero-uuids.dmp', index: 0, base: -1n, path: '/file/does/not/exist/a', codeId: null, debugId: null },
  { file: 'lldb/linux-arm-zero-uuids.dmp', index: 1, base: -1n, path: '/file/does/not/exist/b', codeId: null, debugId: null },
  // Apple byte-swap: LLDB shows 04030201-0605-0807-…, which is the Breakpad GUID reading of the RSDS bytes (age 0).
  { file: 'lldb/macos-arm-uuids-no-age.dmp', index: 0, base: -1n, path: '/tmp/a', debugId: '0403020106050807090A0B0C0D0E0F100' },
  { file: 'lldb/macos-arm-uuids-no-age.dmp', index: 1, base: -1n, path: '/tmp/b', debugId: '281E140A3C3250465A646E78828C96A00' },
  { file: 'lldb/linux-arm-partial-uuids-match.dmp', index: 0, base: -1n, path: '/invalid/path/on/current/system/libuuidmatch.so' },
  { file: 'lldb/linux-arm-partial-uuids-mismatch.dmp', index: 0, base: -1n, path: '/invalid/path/on/current/system/libuuidmismatch.so' },
];

describe('corpus: module facts (paths, code ids, debug ids, versions)', () => {
  for (const row of MODULE_FACTS) {
    test(`${row.file} module ${row.index ?? '0x' + row.base.toString(16)}`, opts, async () => {
      const s = await corpusSummary(row.file);
      const m = row.index !== undefined ? s.modules[row.index] : s.modules.find((x) => x.base === row.base);
      assert.ok(m, 'module present');
      if (row.base >= 0n) assert.equal(m.base, row.base);
      if (row.size !== undefined) assert.equal(m.size, row.size);
      if (row.path !== undefined) assert.equal(m.path, row.path);
      if (row.codeId !== undefined) assert.equal(m.codeId, row.codeId ?? undefined);
      if (row.debugId !== undefined) assert.equal(m.debugId, row.debugId ?? undefined);
      if (row.debugFile !== undefined) assert.equal(m.debugFile, row.debugFile);
      if (row.version !== undefined) assert.equal(m.version, row.version ?? undefined);
    });
  }
});

// Raw CodeView GUID bytes and ages for the LLDB UUID files (LLDB prints them in file byte order on Linux).
const CV_FACTS: { file: string; index: number; guidHex: string; age: number }[] = [
  { file: 'lldb/linux-arm-uuids-no-age.dmp', index: 0, guidHex: '0102030405060708090a0b0c0d0e0f10', age: 0 },
  { file: 'lldb/linux-arm-uuids-no-age.dmp', index: 1, guidHex: '0a141e28323c46505a646e78828c96a0', age: 0 },
  { file: 'lldb/linux-arm-uuids-with-age.dmp', index: 0, guidHex: '0102030405060708090a0b0c0d0e0f10', age: 0x10101010 },
  { file: 'lldb/linux-arm-uuids-with-age.dmp', index: 1, guidHex: '0a141e28323c46505a646e78828c96a0', age: 0x20202020 },
  { file: 'lldb/linux-arm-partial-uuids-match.dmp', index: 0, guidHex: '7295e17c66689e05cbb5dee5003865d5', age: 0 },
  { file: 'lldb/linux-arm-partial-uuids-mismatch.dmp', index: 0, guidHex: '7295e17c66689e05cbb5dee5003865d5', age: 0 },
];

describe('corpus: CodeView PDB70 records', () => {
  for (const row of CV_FACTS) {
    test(`${row.file} module ${row.index}`, opts, () =>
      withCorpusDump(row.file, async (md) => {
        const cv = (await md.modules())[row.index]?.cvRecord;
        assert.equal(cv?.kind, 'pdb70');
        if (cv?.kind !== 'pdb70') return;
        assert.equal(Buffer.from(cv.guid).toString('hex'), row.guidHex);
        assert.equal(cv.age, row.age);
      }),
    );
  }
});

describe('corpus: test.dmp / minidump2.dmp details (rust-minidump and Breakpad tests)', () => {
  test('module order, versions and lookups', opts, () =>
    withCorpusDump('rust-minidump/test.dmp', async (md) => {
      const mods = await md.modules();
      const names = mods.map((m) => m.name.split('\\').pop()!.toLowerCase());
      assert.deepEqual(names, ['test_app.exe', 'ntdll.dll', 'kernel32.dll', 'ole32.dll', 'advapi32.dll', 'rpcrt4.dll', 'gdi32.dll', 'user32.dll', 'msvcrt.dll', 'imm32.dll', 'dbghelp.dll', 'version.dll', 'psapi.dll']);
      const byAddr = [...mods].sort((a, b) => (a.baseOfImage < b.baseOfImage ? -1 : 1)).map((m) => m.name.split('\\').pop()!.toLowerCase());
      assert.deepEqual(byAddr, ['test_app.exe', 'dbghelp.dll', 'imm32.dll', 'psapi.dll', 'ole32.dll', 'version.dll', 'msvcrt.dll', 'user32.dll', 'advapi32.dll', 'rpcrt4.dll', 'gdi32.dll', 'kernel32.dll', 'ntdll.dll']);
      const at = (a: bigint) => mods.find((m) => a >= m.baseOfImage && a < m.baseOfImage + BigInt(m.sizeOfImage));
      assert.equal(at(0n), undefined);
      const k32 = at(0x7c801234n);
      assert.equal(k32?.cvRecord?.kind === 'pdb70' ? k32.cvRecord.pdbFileName : undefined, 'kernel32.pdb');
      assert.equal(moduleVersion(at(0x77d43210n)!), '5.1.2600.2622');
    }),
  );

  test('BreakpadInfo, MiscInfo, exception and thread contexts', opts, () =>
    withCorpusDump('rust-minidump/test.dmp', async (md) => {
      const bp = await md.breakpadInfo();
      assert.equal(bp?.dumpThreadId, 0x11c0);
      assert.equal(bp?.requestingThreadId, 0xbf4);
      const misc = await md.miscInfo();
      assert.equal(misc?.processId, 3932);
      assert.equal(misc?.processCreateTime, 0x45d35f73);
      const ex = await md.exception();
      assert.equal(ex?.threadId, 0xbf4);
      const ectx = await md.context(ex!.threadContext);
      assert.equal(ectx?.registers.eip, 0x40429en);
      assert.equal(ectx?.registers.esp, 0x12fe84n);
      assert.equal(ectx?.registers.eflags, 0x10246n);
      const th = await md.threads();
      const t0 = await md.context(th[0]!.threadContext);
      assert.equal(t0?.registers.eip, 0x7c90eb94n);
      assert.equal(t0?.registers.esp, 0x12f320n);
    }),
  );

  // rust-minidump test_minidump.rs: thread[0] stack memory reads.
  const MEMORY_FACTS: [bigint, number, bigint][] = [
    [0x12f31cn, 1, 0n],
    [0x12f31cn, 2, 0n],
    [0x12f31cn, 4, 0n],
    [0x12f31cn, 8, 0x7c90e9c000000000n],
    [0x12ffffn, 1, 0n],
    [0x12fffen, 2, 0n],
    [0x12fffcn, 4, 0n],
    [0x12fff8n, 8, 0x405443n],
  ];
  for (const [addr, size, value] of MEMORY_FACTS) {
    test(`memory u${size * 8} @0x${addr.toString(16)} = 0x${value.toString(16)}`, opts, () =>
      withCorpusDump('rust-minidump/test.dmp', async (md) => {
        const b = await md.readMemory(addr, size);
        let v = 0n;
        for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(b[i]!);
        assert.equal(v, value);
      }),
    );
  }
});

describe('corpus: LLDB unit-test facts', () => {
  const REGS: [string, bigint][] = [
    ['rax', 0n], ['rbx', 0n], ['rcx', 0x10n], ['rdx', 0n], ['rdi', 0x7ffceb349cf0n], ['rsi', 0n], ['rbp', 0x7ffceb34a210n],
    ['rsp', 0x7ffceb34a210n], ['r8', 0x7fe9bc1aa9c0n], ['r9', 0n], ['r10', 0x7fe9bc3f16a0n], ['r11', 0x246n], ['r12', 0x401c92n],
    ['r13', 0x7ffceb34a430n], ['r14', 0n], ['r15', 0n], ['rip', 0x401dc6n], ['eflags', 0x10206n], ['cs', 0x33n],
    ['fs', 0n], ['gs', 0n], ['ss', 0n], ['ds', 0n], ['es', 0n],
  ];
  test('unittests-linux-x86_64: thread context registers, modules, memory, /proc status', opts, () =>
    withCorpusDump('lldb/unittests-linux-x86_64.dmp', async (md) => {
      const [t] = await md.threads();
      assert.equal(t?.threadId, 16001);
      assert.equal(t?.threadContext.dataSize, 1232);
      const ctx = await md.context(t!.threadContext);
      for (const [name, value] of REGS) assert.equal(ctx?.registers[name], value, name);
      assert.deepEqual(
        (await md.modules()).map((m) => m.name),
        [
          '/usr/local/google/home/dvlahovski/projects/test_breakpad/a.out',
          '/lib/x86_64-linux-gnu/libm-2.19.so',
          '/lib/x86_64-linux-gnu/libc-2.19.so',
          '/lib/x86_64-linux-gnu/libgcc_s.so.1',
          '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.19',
          '/lib/x86_64-linux-gnu/libpthread-2.19.so',
          '/lib/x86_64-linux-gnu/ld-2.19.so',
          'linux-gate.so',
        ],
      );
      assert.equal((await md.exception())?.exceptionCode, 11);
      assert.deepEqual(
        (await md.memoryRanges()).map((r) => [r.start, r.size]).sort((a, b) => (a[0]! < b[0]! ? -1 : 1)),
        [
          [0x401d46n, 256],
          [0x7ffceb34a000n, 12288],
        ],
      );
      for (const a of [0x0n, 0x2an, 0x500000n]) await assert.rejects(md.readMemory(a, 1), (e: unknown) => e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP');
      assert.match((await md.linuxText(StreamType.LinuxProcStatus)) ?? '', /^Pid:\s+16001$/m);
      assert.equal(await md.miscInfo(), undefined);
    }),
  );

  test('linux-x86_64 / _not_crashed: pid in LinuxProcStatus', opts, async () => {
    for (const [file, pid] of [['lldb/linux-x86_64.dmp', 29917], ['lldb/linux-x86_64_not_crashed.dmp', 29939]] as const) {
      await withCorpusDump(file, async (md) => assert.match((await md.linuxText(StreamType.LinuxProcStatus)) ?? '', new RegExp(`^Pid:\\s+${pid}$`, 'm')));
    }
  });

  test('arm-linux / arm-macos: Breakpad ARM context register patterns', opts, async () => {
    for (const [file, fp] of [['lldb/arm-linux.dmp', 0x0cn], ['lldb/arm-macos.dmp', 0x08n]] as const) {
      await withCorpusDump(file, async (md) => {
        const [t] = await md.threads();
        const c = await md.context(t!.threadContext);
        assert.equal(c?.layout, 'arm');
        for (let n = 0; n < 16; n++) assert.equal(c?.registers[`r${n}`], BigInt(n + 1), `r${n}`);
        assert.equal(c?.fp, fp);
        assert.equal(c?.registers.lr, 0x0fn);
        assert.equal(c?.sp, 0x0en);
        assert.equal(c?.pc, 0x10n);
        assert.equal(c?.registers.cpsr, 0x11223344n);
        assert.equal(c?.registers.fpscr, 0x55667788aabbccddn);
        for (let n = 0; n < 32; n++) {
          const k = BigInt(n + 1);
          assert.equal(c?.registers[`d${n}`], k | (k << 8n) | (k << 32n) | (k << 48n), `d${n}`);
        }
      });
    }
  });

  test('memory lists (padded and not): ranges at 0x8000 and 0x8010 are found', opts, async () => {
    for (const file of ['lldb/memory-list-padded.dmp', 'lldb/memory-list-not-padded.dmp']) {
      await withCorpusDump(file, async (md) => {
        assert.equal((await md.rangeAt(0x8000n))?.start, 0x8000n);
        assert.equal((await md.rangeAt(0x8010n))?.start, 0x8010n);
      });
    }
  });

  test('regions-memlist / memlist64: 0x1000+0x10 and 0x2000+0x20, nothing between', opts, async () => {
    for (const file of ['lldb/regions-memlist.dmp', 'lldb/regions-memlist64.dmp']) {
      await withCorpusDump(file, async (md) => {
        assert.deepEqual(
          (await md.memoryRanges()).map((r) => [r.start, r.size]),
          [
            [0x1000n, 0x10],
            [0x2000n, 0x20],
          ],
        );
        assert.equal(await md.rangeAt(0x1010n), undefined);
        assert.equal(await md.rangeAt(0x1fffn), undefined);
        assert.equal((await md.readMemory(0x2000n, 0x20)).length, 0x20);
      });
    }
  });

  test('sigsegv.dmp: the faulting code bytes at 0x7ff7a13110d9', opts, () =>
    withCorpusDump('lldb/sigsegv.dmp', async (md) => {
      const ex = await md.exception();
      assert.equal(ex?.exceptionCode, 0xc0000005);
      assert.equal(ex?.exceptionAddress, 0x7ff7a13110d9n);
      // movl $0x0,0x0 / leaq 0x1f45(%rip),%rcx / callq 0x7ff7a1311019 / addq $0x28,%rsp / retq / int3
      const code: [bigint, string][] = [
        [0x7ff7a13110d9n, 'c7042500000000'],
        [0x7ff7a13110e4n, '488d0d451f0000'],
        [0x7ff7a13110ebn, 'e829ffffff'],
        [0x7ff7a13110f0n, '4883c428'],
        [0x7ff7a13110f4n, 'c3'],
        [0x7ff7a13110f5n, 'cc'],
      ];
      for (const [addr, hexBytes] of code) assert.equal(Buffer.from(await md.readMemory(addr, hexBytes.length / 2)).toString('hex'), hexBytes);
    }),
  );

  test('dump-content.dmp: Linux proc streams at the asserted RVAs and sizes, placeholder texts', opts, () =>
    withCorpusDump('lldb/dump-content.dmp', async (md) => {
      const DIR: [number, number, number][] = [
        [StreamType.SystemInfoStream, 0xb0, 0x38],
        [StreamType.LinuxEnviron, 0x15d, 0x1b],
        [StreamType.LinuxMaps, 0x190, 0xbc],
        [StreamType.LinuxProcStatus, 0x110, 0x1a],
        [StreamType.LinuxProcStat, 0x24c, 0x18],
        [StreamType.LinuxCmdLine, 0x142, 0x1b],
        [StreamType.LinuxProcFD, 0x272, 0x16],
        [StreamType.LinuxAuxv, 0x178, 0x18],
        [StreamType.MiscInfoStream, 0xe8, 0x18],
        [StreamType.LinuxCpuInfo, 0x100, 0x10],
        [StreamType.LinuxLsbRelease, 0x12a, 0x18],
        [StreamType.LinuxProcUptime, 0x264, 0xe],
      ];
      for (const [type, rva, size] of DIR) assert.deepEqual(md.stream(type)?.location, { rva, dataSize: size }, `stream 0x${type.toString(16)}`);
      assert.match((await md.linuxText(StreamType.LinuxCpuInfo)) ?? '', /cpu info output/);
      assert.match((await md.linuxText(StreamType.LinuxProcStatus)) ?? '', /\/proc\/<pid>\/status output/);
      // expected/dump-all.test CHECKMAP lines
      const maps = (await md.linuxMaps()) ?? [];
      assert.deepEqual(
        maps.map((m) => [m.start, m.end, m.perms, m.path]),
        [
          [0x400d9000n, 0x400db000n, 'r-xp', '/system/bin/app_process'],
          [0x400db000n, 0x400dc000n, 'r--p', '/system/bin/app_process'],
          [0x400dc000n, 0x400dd000n, 'rw-p', ''],
        ],
      );
      assert.deepEqual(md.diagnostics.list(), []);
    }),
  );

  test('fb-dump-content.dmp: Facebook streams by type; BuildID, version, unwind symbols', opts, () =>
    withCorpusDump('lldb/fb-dump-content.dmp', async (md) => {
      assert.equal(md.streams.length, 13);
      for (const t of [0xfacecb00, 0xfacee000, 0xfacedead, 0xfacecafb, 0xfacecafd, 0xfacecaff, 0xfacecafa, 0xface1ca7, 0xfacecafc, 0xfacecafe, 0xfacecccc]) {
        assert.ok(md.stream(t), `stream 0x${t.toString(16)}`);
      }
      const buildId = await md.streamBytes(md.stream(StreamType.FacebookBuildID)!);
      assert.equal(new DataView(buildId.buffer, buildId.byteOffset).getUint32(0, true), 16909060);
      const version = Buffer.from(await md.streamBytes(md.stream(StreamType.FacebookAppVersionName)!)).toString('utf8');
      assert.match(version, /^207\.0\.0\.0\.86/);
      const unwind = await md.streamBytes(md.stream(StreamType.FacebookUnwindSymbols)!);
      assert.equal(Buffer.from(unwind).toString('hex'), '1122334400');
      const appData = Buffer.from(await md.streamBytes(md.stream(StreamType.FacebookAppCustomData)!)).toString('utf8');
      assert.match(appData, /"Fingerprint"\s*:\s*"invalid device fingerprint"/);
    }),
  );
});

describe('corpus: Breakpad extension streams', () => {
  test('invalid-parameter.dmp AssertionInfo (rust-minidump test_assertion)', opts, () =>
    withCorpusDump('rust-minidump/invalid-parameter.dmp', async (md) => {
      assert.deepEqual(await md.assertionInfo(), {
        expression: 'format != nullptr',
        function: 'common_vfprintf',
        file: 'minkernel\\crts\\ucrt\\src\\appcrt\\stdio\\output.cpp',
        line: 32,
        type: 1,
      });
    }),
  );

  test('node-minidump module names', opts, async () => {
    await withCorpusDump('node-minidump/linux.dmp', async (md) => {
      const names = (await md.modules()).map((m) => m.name);
      assert.ok(names.some((n) => n.endsWith('/electron')));
      assert.ok(names.some((n) => n.includes('libXss.so.1.0.0')));
    });
    await withCorpusDump('node-minidump/mac.dmp', async (md) => assert.ok((await md.modules()).some((m) => m.name.endsWith('/Electron Helper'))));
    await withCorpusDump('node-minidump/windows.dmp', async (md) => assert.ok((await md.modules()).some((m) => m.name.endsWith('\\electron.exe'))));
  });

  test('rust-minidump/linux-mini.dmp: CSD carries the kernel build', opts, () =>
    withCorpusDump('rust-minidump/linux-mini.dmp', async (md) => {
      assert.match((await md.systemInfo())?.csdVersion ?? '', /#1 SMP Mon Nov 6 16:00:12 UTC 2017/);
      assert.equal(await md.miscInfo(), undefined);
    }),
  );
});

describe('corpus: malformed files', () => {
  // LLDB's parser rejects a duplicated ThreadList; the brief's rule (and Windows, which allows duplicate
  // user streams) is: keep the first, report a diagnostic. The first ThreadList is the intact one.
  test('bad_duplicate_streams.dmp: read, first ThreadList wins, diagnostic', opts, () =>
    withCorpusDump('lldb/bad_duplicate_streams.dmp', async (md) => {
      assert.ok(md.diagnostics.list().some((d) => /duplicate ThreadListStream/.test(d)));
      const th = await md.threads();
      assert.equal(th.length, 1);
      assert.equal((await md.exception())?.threadId, th[0]?.threadId);
    }),
  );
  // LLVM's current parser accepts overlapping streams; so do we, with a diagnostic.
  test('bad_overlapping_streams.dmp: read with an overlap diagnostic', opts, () =>
    withCorpusDump('lldb/bad_overlapping_streams.dmp', async (md) => {
      assert.ok(md.diagnostics.list().some((d) => /overlap/.test(d)));
      assert.equal((await md.threads()).length, 1);
    }),
  );
  test('unittests-linux-x86_64.dmp truncated to 32, 100, 20 KiB fails cleanly', opts, async () => {
    const { readFileSync } = await import('node:fs');
    const { corpusFile } = await import('../../helpers/corpus.js');
    const { MemorySource } = await import('../../../src/core/bytes/memory-source.js');
    const { summarizeMinidump } = await import('../../../src/core/minidump/summary.js');
    const full = readFileSync(corpusFile('minidump/lldb/unittests-linux-x86_64.dmp'));
    for (const n of [32, 100, 20 * 1024]) {
      await assert.rejects(summarizeMinidump(new MemorySource(new Uint8Array(full.subarray(0, n)))), (e: unknown) => e instanceof DumpError, `truncated to ${n}`);
    }
  });
});

describe('corpus: every stream of every file is readable or refused with a DumpError', () => {
  const files = [
    'breakpad/minidump2.dmp', 'breakpad/tiny-exe-fastfail.dmp', 'breakpad/linux_executable_stack.dmp', 'lldb/dump-content.dmp', 'lldb/fb-dump-content.dmp',
    'lldb/fizzbuzz_no_heap.dmp', 'lldb/bad_duplicate_streams.dmp', 'lldb/bad_overlapping_streams.dmp', 'lldb/regions-memlist64.dmp', 'node-minidump/mac.dmp',
    'node-minidump/windows.dmp', 'node-minidump/linux.dmp', 'sentry-native/minidump.dmp', 'symbolic/crash_macos.dmp', 'rust-minidump/invalid-parameter.dmp',
  ];
  for (const file of files) {
    test(file, opts, () =>
      withCorpusDump(file, async (md) => {
        const reads: [string, () => Promise<unknown>][] = [
          ['systemInfo', () => md.systemInfo()], ['threads', () => md.threads()], ['modules', () => md.modules()], ['exception', () => md.exception()],
          ['memoryRanges', () => md.memoryRanges()], ['miscInfo', () => md.miscInfo()], ['breakpadInfo', () => md.breakpadInfo()],
          ['unloadedModules', () => md.unloadedModules()], ['memoryInfoList', () => md.memoryInfoList()], ['threadInfoList', () => md.threadInfoList()],
          ['handleData', () => md.handleData()], ['threadNames', () => md.threadNames()], ['token', () => md.token()],
          ['systemMemoryInfo', () => md.systemMemoryInfo()], ['processVmCounters', () => md.processVmCounters()], ['assertionInfo', () => md.assertionInfo()],
          ['crashpadInfo', () => md.crashpadInfo()], ['linuxMaps', () => md.linuxMaps()], ['linuxAuxv', () => md.linuxAuxv()],
          ['linuxDsoDebug', () => md.linuxDsoDebug()], ['linuxCmdLine', () => md.linuxCmdLine()], ['linuxEnviron', () => md.linuxEnviron()],
        ];
        for (const [name, read] of reads) {
          await read().catch((e: unknown) => assert.ok(e instanceof DumpError, `${name}: ${(e as Error)?.stack}`));
        }
        for (const t of await md.threads()) await md.context(t.threadContext).catch((e: unknown) => assert.ok(e instanceof DumpError, String(e)));
        for (const s of md.streams) await md.streamBytes(s);
      }),
    );
  }

  test('node-minidump/mac.dmp: Crashpad info with per-module annotations', opts, () =>
    withCorpusDump('node-minidump/mac.dmp', async (md) => {
      const cp = await md.crashpadInfo();
      assert.ok(cp);
      assert.match(cp.reportId, /^[0-9A-F]{8}-[0-9A-F]{4}-/);
      assert.ok(cp.modules.length > 0);
      const modules = await md.modules();
      for (const m of cp.modules) assert.ok(m.moduleListIndex < modules.length);
      // MANIFEST: written by Crashpad for Electron 1.4.3.
      const ann = cp.modules.find((m) => m.simpleAnnotations.prod)?.simpleAnnotations;
      assert.equal(ann?.prod, 'Electron');
      assert.equal(ann?.ver, '1.4.3');
    }),
  );

  // LinuxDsoDebug values transcribed from the files' bytes (read by hand with Python's struct, not
  // by dumpkit): Breakpad declares MDRawDebug64/MDRawLinkMap64 unpacked, so brk sits at +16 and
  // each link map entry is 24 bytes; the 32-bit structures have no padding.
  const dsoDebugRows = [
    {
      file: 'breakpad/linux_divide_by_zero.dmp',
      layout: 'unpacked 64-bit',
      header: [1, 8, 0x7f3f0eb49970n, 0x7f3f0eb39000n, 0x616de8n],
      entries: new Map([
        [0, { addr: 0n, name: '', ld: 0x616de8n }],
        [5, { addr: 0x7f3f0e03c000n, name: '/lib/x86_64-linux-gnu/libc.so.6', ld: 0x7f3f0e3f9ba0n }],
        [6, { addr: 0x7f3f0eb39000n, name: '/lib64/ld-linux-x86-64.so.2', ld: 0x7f3f0ed5be70n }],
      ]),
    },
    {
      file: 'lldb/bad_duplicate_streams.dmp',
      layout: '32-bit',
      header: [1, 9, 0xf7766560n, 0xf7757000n, 0x8049f68n],
      entries: new Map([
        [5, { addr: 0xf7438000n, name: '/lib/i386-linux-gnu/libc.so.6', ld: 0xf75e2da8n }],
        [6, { addr: 0xf7757000n, name: '/lib/ld-linux.so.2', ld: 0xf7777f30n }],
      ]),
    },
  ];
  for (const row of dsoDebugRows) {
    test(`${row.file}: LinuxDsoDebug in the ${row.layout} layout`, opts, () =>
      withCorpusDump(row.file, async (md) => {
        const d = await md.linuxDsoDebug();
        assert.deepEqual([d?.version, d?.dsoCount, d?.brk, d?.ldbase, d?.dynamic], row.header);
        for (const [i, want] of row.entries) assert.deepEqual(d?.linkMap[i], want, `link_map[${i}]`);
      }),
    );
  }

  test('breakpad/linux_executable_stack.dmp: a corrupt LinuxDsoDebug is refused, the rest reads', opts, () =>
    withCorpusDump('breakpad/linux_executable_stack.dmp', async (md) => {
      await assert.rejects(md.linuxDsoDebug(), (e: unknown) => e instanceof DumpError && e.code === 'COUNT_TOO_LARGE');
      assert.equal((await md.threads()).length, 1);
    }),
  );
});

describe('corpus: MiscInfo 4/5 agree with the manifest', () => {
  test('sentry-native: MISC_INFO_5 build string of Windows build 22621; XSTATE context size = the 1663-byte thread contexts', opts, () =>
    withCorpusDump('sentry-native/minidump.dmp', async (md) => {
      const m = await md.miscInfo();
      assert.equal(m?.version, 5);
      assert.match(m?.buildString ?? '', /^22621\./);
      assert.equal(m?.xstate?.contextSize, 1663);
      for (const t of await md.threads()) assert.equal(t.threadContext.dataSize, 1663);
    }),
  );
  test('node-minidump/mac.dmp: MISC_INFO_4 build string names macOS 10.11.6 (15G1004)', opts, () =>
    withCorpusDump('node-minidump/mac.dmp', async (md) => {
      const m = await md.miscInfo();
      assert.equal(m?.version, 4);
      assert.match(m?.buildString ?? '', /10\.11\.6 \(15G1004\)/);
      assert.equal((await md.systemInfo())?.csdVersion, '15G1004');
    }),
  );
});
