/**
 * Crash reasons: literal expectations from the public definitions (ntstatus.h, siginfo.h, xnu's
 * exception headers) for synthetic records, and on the corpus the exception, crash address and
 * faulting module that the source projects' own tests assert (MANIFEST.md, transcribed by hand).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { analyzeDump } from '../../../src/core/analysis/analyze.js';
import { describeException, type ExceptionFacts } from '../../../src/core/analysis/crash-reason.js';
import type { CpuArch, OsName } from '../../../src/core/minidump/constants.js';
import { FileSource } from '../../../src/node/file-source.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

interface Row {
  what: string;
  os: OsName;
  arch?: CpuArch;
  facts: ExceptionFacts;
  name: string;
  subcode?: string;
  faultAddress?: bigint;
  access?: string;
  crashed?: boolean;
  /** Parameter valueNames in order ('' for none). */
  valueNames?: string[];
  description?: RegExp;
}

const f = (code: number, flags: number, address: bigint, information: bigint[] = []): ExceptionFacts => ({ code, flags, address, information });

const rows: Row[] = [
  { what: 'AV write', os: 'windows', arch: 'x86', facts: f(0xc0000005, 0, 0x40429en, [1n, 0x45n]), name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', faultAddress: 0x45n, access: 'write', valueNames: ['write', ''], description: /write 0x45 .*null or near-null/ },
  { what: 'AV read', os: 'windows', facts: f(0xc0000005, 0, 0x1000n, [0n, 0x41414141n]), name: 'EXCEPTION_ACCESS_VIOLATION_READ', faultAddress: 0x41414141n, access: 'read' },
  { what: 'AV execute (DEP)', os: 'windows', facts: f(0xc0000005, 0, 0x3df944n, [8n, 0x3df944n]), name: 'EXCEPTION_ACCESS_VIOLATION_EXEC', faultAddress: 0x3df944n, access: 'execute', description: /DEP/ },
  { what: 'x86 sign-extended AV address', os: 'windows', arch: 'x86', facts: f(0xc0000005, 0, 0n, [1n, 0xffffffff00000045n]), name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', faultAddress: 0x45n },
  { what: 'in-page error with its I/O status', os: 'windows', facts: f(0xc0000006, 0, 0x7ff0n, [0n, 0x7ff000n, 0xc000009cn]), name: 'EXCEPTION_IN_PAGE_ERROR_READ', faultAddress: 0x7ff000n, access: 'read', valueNames: ['read', '', 'STATUS_DEVICE_DATA_ERROR'] },
  { what: 'stack overflow', os: 'windows', facts: f(0xc00000fd, 0, 0x401000n, [1n, 0x32000n]), name: 'EXCEPTION_STACK_OVERFLOW', description: /stack overflowed/ },
  { what: 'fail-fast /GS', os: 'windows', facts: f(0xc0000409, 1, 0x401000n, [2n]), name: 'FAST_FAIL_STACK_COOKIE_CHECK_FAILURE', subcode: 'FAST_FAIL_STACK_COOKIE_CHECK_FAILURE', description: /stack cookie/ },
  { what: 'fail-fast fatal app exit', os: 'windows', facts: f(0xc0000409, 1, 0x401000n, [7n]), name: 'FAST_FAIL_FATAL_APP_EXIT', valueNames: ['FAST_FAIL_FATAL_APP_EXIT'] },
  { what: 'C++ exception', os: 'windows', facts: f(0xe06d7363, 1, 0x7ff800n, [0x19930520n, 0x14ff00n, 0x7ff6000n, 0x7ff0000n]), name: 'CPP_EH_EXCEPTION', description: /C\+\+ exception/ },
  { what: 'breakpoint', os: 'windows', facts: f(0x80000003, 0, 0x401000n), name: 'EXCEPTION_BREAKPOINT' },
  { what: 'illegal instruction', os: 'windows', facts: f(0xc000001d, 0, 0x401000n), name: 'EXCEPTION_ILLEGAL_INSTRUCTION' },
  { what: 'integer divide by zero', os: 'windows', facts: f(0xc0000094, 0, 0x401000n), name: 'EXCEPTION_INT_DIVIDE_BY_ZERO' },
  { what: 'heap corruption', os: 'windows', facts: f(0xc0000374, 1, 0x7ffa00n, [0x5a0000n]), name: 'STATUS_HEAP_CORRUPTION', description: /heap/ },
  { what: 'thread naming is not a crash', os: 'windows', facts: f(0x406d1388, 0, 0n, [0x1000n]), name: 'MS_VC_SET_THREAD_NAME', crashed: false },
  { what: 'SIGSEGV SEGV_MAPERR', os: 'linux', arch: 'amd64', facts: f(11, 1, 0x45n), name: 'SIGSEGV', subcode: 'SEGV_MAPERR', faultAddress: 0x45n, description: /not mapped at 0x45/ },
  { what: 'SIGSEGV SEGV_ACCERR', os: 'linux', facts: f(11, 2, 0x400000n), name: 'SIGSEGV', subcode: 'SEGV_ACCERR', faultAddress: 0x400000n },
  { what: 'SIGSEGV si_code 0 (older Breakpad)', os: 'linux', facts: f(11, 0, 0n), name: 'SIGSEGV', faultAddress: 0n, valueNames: ['', ''] },
  { what: 'SIGBUS BUS_ADRALN', os: 'linux', facts: f(7, 1, 0x1001n), name: 'SIGBUS', subcode: 'BUS_ADRALN', faultAddress: 0x1001n },
  { what: 'SIGBUS BUS_ADRERR', os: 'android', facts: f(7, 2, 0x7f0000n), name: 'SIGBUS', subcode: 'BUS_ADRERR', faultAddress: 0x7f0000n },
  { what: 'SIGFPE FPE_INTDIV', os: 'linux', facts: f(8, 1, 0x401f27n), name: 'SIGFPE', subcode: 'FPE_INTDIV', valueNames: ['FPE_INTDIV', ''] },
  { what: 'SIGILL ILL_ILLOPC', os: 'linux', facts: f(4, 1, 0x401000n), name: 'SIGILL', subcode: 'ILL_ILLOPC' },
  { what: 'SIGTRAP TRAP_BRKPT', os: 'linux', facts: f(5, 1, 0x401000n), name: 'SIGTRAP', subcode: 'TRAP_BRKPT' },
  { what: 'SIGABRT from tgkill', os: 'linux', facts: f(6, 0xfffffffa, 0n), name: 'SIGABRT', subcode: 'SI_TKILL', description: /abort/ },
  { what: 'SIGSEGV from the kernel (SI_KERNEL): no si_addr', os: 'linux', facts: f(11, 0x80, 0n), name: 'SIGSEGV', subcode: 'SI_KERNEL' },
  { what: 'Breakpad dump requested', os: 'linux', facts: f(0xffffffff, 0, 0n), name: 'DUMP_REQUESTED', crashed: false },
  { what: 'EXC_BAD_ACCESS KERN_INVALID_ADDRESS', os: 'macos', arch: 'amd64', facts: f(1, 1, 0x45n), name: 'EXC_BAD_ACCESS', subcode: 'KERN_INVALID_ADDRESS', faultAddress: 0x45n },
  { what: 'EXC_BAD_ACCESS KERN_PROTECTION_FAILURE', os: 'ios', arch: 'arm64', facts: f(1, 2, 0x100000000n), name: 'EXC_BAD_ACCESS', subcode: 'KERN_PROTECTION_FAILURE', faultAddress: 0x100000000n },
  { what: 'EXC_BAD_ACCESS general protection (x86)', os: 'macos', arch: 'amd64', facts: f(1, 13, 0n), name: 'EXC_BAD_ACCESS', subcode: 'EXC_I386_GPFLT', faultAddress: 0n },
  { what: 'EXC_BAD_INSTRUCTION invalid opcode (x86)', os: 'macos', arch: 'amd64', facts: f(2, 1, 0n), name: 'EXC_BAD_INSTRUCTION', subcode: 'EXC_I386_INVOP' },
  { what: 'EXC_ARITHMETIC divide (x86)', os: 'macos', arch: 'amd64', facts: f(3, 1, 0n), name: 'EXC_ARITHMETIC', subcode: 'EXC_I386_DIV' },
  { what: 'EXC_BREAKPOINT (arm64: Swift trap)', os: 'ios', arch: 'arm64', facts: f(6, 1, 0n), name: 'EXC_BREAKPOINT', subcode: 'EXC_ARM_BREAKPOINT' },
  { what: 'EXC_SOFTWARE abort', os: 'macos', arch: 'arm64', facts: f(5, 0x10002, 0n), name: 'EXC_SOFTWARE', subcode: 'EXC_UNIX_ABORT' },
  { what: 'Crashpad simulated', os: 'macos', facts: f(0x43507378, 0, 0n), name: 'SIMULATED', crashed: false },
];

describe('describeException', () => {
  for (const r of rows) {
    test(r.what, () => {
      const c = describeException(r.facts, r.os, r.arch);
      assert.equal(c.name, r.name);
      if (r.subcode !== undefined) assert.equal(c.subcode?.name, r.subcode);
      assert.equal(c.faultAddress, r.faultAddress);
      if (r.access !== undefined) assert.equal(c.access, r.access);
      assert.equal(c.crashed, r.crashed ?? true);
      if (r.valueNames) assert.deepEqual(c.parameters.map((p) => p.valueName ?? ''), r.valueNames);
      if (r.description) assert.match(c.description, r.description);
      for (const p of c.parameters) assert.ok(p.meaning.length > 0, `${p.field} has a meaning`);
    });
  }
});

/** MANIFEST.md "asserted facts": crash reason, crash address, the module of the faulting frame. */
const corpus: { file: string; name: string; subcode?: string; data?: bigint; module?: string; crashed?: boolean }[] = [
  { file: 'breakpad/minidump2.dmp', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', data: 0x45n, module: 'test_app.exe' },
  { file: 'breakpad/minidump_32bit_crash_addr.dmp', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', data: 0x45n },
  { file: 'rust-minidump/test.dmp', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', data: 0x45n, module: 'test_app.exe' },
  { file: 'symbolic/windows-mini.dmp', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', data: 0x45n },
  { file: 'breakpad/tiny-exe-fastfail.dmp', name: 'FAST_FAIL_FATAL_APP_EXIT', subcode: 'FAST_FAIL_FATAL_APP_EXIT' },
  { file: 'rust-minidump/invalid-parameter.dmp', name: 'STATUS_INVALID_PARAMETER' },
  { file: 'lldb/sigsegv.dmp', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', module: 'sigsegv.exe' },
  { file: 'lldb/fizzbuzz_no_heap.dmp', name: 'EXCEPTION_ACCESS_VIOLATION_READ', module: 'fizzbuzz.exe' },
  { file: 'node-minidump/windows.dmp', name: 'EXCEPTION_ACCESS_VIOLATION_WRITE', module: 'electron.exe' },
  { file: 'node-minidump/linux.dmp', name: 'SIGILL', module: 'electron' },
  { file: 'node-minidump/mac.dmp', name: 'EXC_BAD_INSTRUCTION', module: 'Electron Framework' },
  { file: 'symbolic/crash_linux.dmp', name: 'SIGSEGV', data: 0n },
  { file: 'symbolic/linux-mini.dmp', name: 'SIGSEGV', data: 0x45n },
  { file: 'symbolic/crash_macos.dmp', name: 'EXC_BAD_ACCESS', subcode: 'KERN_INVALID_ADDRESS', data: 0x45n },
  { file: 'symbolic/macos-mini.dmp', name: 'EXC_BAD_ACCESS', subcode: 'KERN_INVALID_ADDRESS', data: 0x45n },
  { file: 'lldb/linux-x86_64.dmp', name: 'SIGSEGV', module: 'linux-x86_64' },
  { file: 'lldb/unittests-linux-x86_64.dmp', name: 'SIGSEGV' },
  { file: 'lldb/linux-x86_64_not_crashed.dmp', name: 'DUMP_REQUESTED', crashed: false },
];

describe('analyze on the corpus: what the source projects assert', () => {
  for (const c of corpus) {
    test(c.file, { skip: corpusSkip }, async () => {
      const source = FileSource.open(corpusFile(`minidump/${c.file}`));
      try {
        const a = await analyzeDump(source);
        assert.equal(a.exception?.reason.name, c.name);
        if (c.subcode) assert.equal(a.exception?.reason.subcode?.name, c.subcode);
        if (c.data !== undefined) assert.equal(a.dataAddress?.address, c.data);
        if (c.module) assert.equal(a.faultingModule?.name, c.module);
        assert.equal(a.crashed, c.crashed ?? true);
      } finally {
        await source.close();
      }
    });
  }

  test('a MiniDumpNormal dump says the memory at a heap fault address is not in it', { skip: corpusSkip }, async () => {
    const source = FileSource.open(corpusFile('minidump/breakpad/ascii_read_av.dmp'));
    try {
      const a = await analyzeDump(source);
      assert.equal(a.dataAddress?.address, 0x41414141n);
      assert.ok(a.limits.some((l) => /0x41414141 is not in the dump: a MiniDumpNormal dump .* no heap/.test(l)), a.limits.join('\n'));
    } finally {
      await source.close();
    }
  });

  test('minidump2: the faulting instruction is the exception context pc, in test_app.exe at +0x429e', { skip: corpusSkip }, async () => {
    const source = FileSource.open(corpusFile('minidump/breakpad/minidump2.dmp'));
    try {
      const a = await analyzeDump(source);
      assert.equal(a.faultingAddress, 0x40429en); // rust-minidump test.dmp: exception context eip 0x40429e
      assert.equal(a.faultingModule?.offset, 0x429en);
      assert.equal(a.thread?.id, 3060); // tid 3060 (0xbf4)
      assert.equal(a.process?.name, 'test_app.exe');
    } finally {
      await source.close();
    }
  });
});
