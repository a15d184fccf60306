import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeDump } from '../../../src/core/analysis/analyze.js';
import { crashSignature, crashSignatureOfJsonFrames, fnv1a64, isReportingFunction, isSystemModule, normalizeFunction } from '../../../src/core/analysis/signature.js';
import { FileSource } from '../../../src/node/file-source.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

test('FNV-1a 64 matches the published test vectors', () => {
  assert.equal(fnv1a64(''), 'cbf29ce484222325');
  assert.equal(fnv1a64('a'), 'af63dc4c8601ec8c');
  assert.equal(fnv1a64('foobar'), '85944171f73967e8');
});

test('system and runtime modules are recognised by base name, Windows or POSIX paths', () => {
  for (const m of [
    'C:\\Windows\\System32\\ntdll.dll', 'C:\\WINDOWS\\system32\\KERNELBASE.dll', 'C:\\WINDOWS\\system32\\kernel32.dll', 'ucrtbase.dll',
    'C:\\Windows\\System32\\msvcrt.dll', 'VCRUNTIME140.dll', 'vcruntime140_1.dll', 'VCRUNTIME140D.dll', 'MSVCP140.dll',
    '/lib/x86_64-linux-gnu/libc.so.6', '/lib/x86_64-linux-gnu/libc-2.19.so', '/lib/x86_64-linux-gnu/libpthread-2.19.so',
    '/lib64/ld-linux-x86-64.so.2', '/lib/x86_64-linux-gnu/ld-2.19.so', '/usr/lib/x86_64-linux-gnu/libstdc++.so.6.0.19', '/usr/lib/libc++.so.1',
    '/usr/lib/system/libsystem_kernel.dylib', '/usr/lib/libSystem.B.dylib', '/usr/lib/libc++.1.dylib', '\\SystemRoot\\system32\\ntoskrnl.exe', 'hal.dll',
  ]) assert.ok(isSystemModule(m), m);
  for (const m of ['c:\\test_app.exe', '/tmp/crash', 'electron.exe', 'libcrypto.so.3', 'Ntfs.sys', 'libcurl.so.4', 'kernel32_helper.dll']) assert.ok(!isSystemModule(m), m);
});

test('frames in system modules are skipped; names without offsets; module@offset when not symbolized', () => {
  const sig = crashSignature([
    { module: 'C:\\Windows\\System32\\ntdll.dll', moduleOffset: 0x1234n, function: 'RtlReportCriticalFailure', address: 0x77001234n },
    { module: 'C:\\Windows\\System32\\KERNELBASE.dll', moduleOffset: 0x99n, address: 0x76000099n },
    { module: 'c:\\app\\app.exe', moduleOffset: 0x429en, function: 'CrashFunction  + 0x1e', address: 0x40429en },
    { module: 'c:\\app\\app.exe', moduleOffset: 0x4300n, function: 'CrashFunction', address: 0x404300n },
    { module: 'c:\\app\\plugin.dll', moduleOffset: 0x10n, address: 0x10000010n },
    { module: 'c:\\app\\app.exe', moduleOffset: 0x500n, function: 'main', address: 0x400500n },
    { module: 'c:\\app\\app.exe', moduleOffset: 0x600n, function: 'never reached', address: 0x400600n },
  ]);
  assert.equal(sig.text, 'CrashFunction | plugin.dll@0x10 | main');
  assert.equal(sig.hash, fnv1a64('CrashFunction | plugin.dll@0x10 | main'));
  assert.equal(sig.systemOnly, false);
});

test('the same crash at other load addresses gives the same signature', () => {
  const at = (base: bigint) =>
    crashSignature([
      { module: '/usr/bin/crash', moduleOffset: 0x1d72n, address: base + 0x1d72n },
      { module: '/lib/x86_64-linux-gnu/libc.so.6', moduleOffset: 0x21b97n, address: base + 0x9000000n },
      { module: '/usr/bin/crash', moduleOffset: 0x1e00n, address: base + 0x1e00n },
    ]);
  const a = at(0x400000n);
  const b = at(0x55d0c0000000n);
  assert.deepEqual(a, b);
  assert.equal(a.text, 'crash@0x1d72 | crash@0x1e00');
});

test('a stack of system frames only keeps them (marked), and an empty stack has a fixed signature', () => {
  const s = crashSignature([{ module: 'ntdll.dll', moduleOffset: 0x10n, function: 'NtWaitForSingleObject', address: 0x7700010n }]);
  assert.equal(s.text, 'NtWaitForSingleObject');
  assert.equal(s.systemOnly, true);
  assert.equal(crashSignature([]).text, '<empty stack>');
});

test('normalizeFunction drops trailing offsets and collapses whitespace', () => {
  assert.equal(normalizeFunction('foo(int,  char *)   + 0x1a'), 'foo(int, char *)');
  assert.equal(normalizeFunction("`anonymous namespace'::CrashFunction"), "`anonymous namespace'::CrashFunction");
});

test('analyze gives the same signature on every run, and it skips system frames', { skip: corpusSkip }, async () => {
  const once = async (file: string) => {
    const s = FileSource.open(corpusFile(`minidump/${file}`));
    try {
      return await analyzeDump(s);
    } finally {
      await s.close();
    }
  };
  const a = await once('breakpad/minidump2.dmp');
  const b = await once('breakpad/minidump2.dmp');
  assert.deepEqual(a.signature, b.signature);
  assert.equal(a.signature.text, 'test_app.exe@0x429e | test_app.exe@0x4200 | test_app.exe@0x53ec');
  // SIGABRT raised in libpthread: the frame is a system frame, so it stands alone, marked.
  const abort = await once('breakpad/linux_raise_sigabrt.dmp');
  assert.equal(abort.signature.systemOnly, abort.stack.every((f) => isSystemModule(f.module?.path)));
});

test('crash-reporting functions (abort, raise, dispatchers, asserts) are skipped even outside system modules', () => {
  const app = (fn: string, off: bigint) => ({ module: '/opt/app/static-app', moduleOffset: off, function: fn, address: 0x400000n + off });
  const sig = crashSignature([app('__GI_raise', 0x10n), app('abort', 0x20n), app('__assert_fail_base', 0x30n), app('Parser::fail(int)', 0x40n), app('main', 0x50n)]);
  assert.equal(sig.text, 'Parser::fail(int) | main');
  const win = crashSignature([
    { module: 'c:\\app\\app.exe', moduleOffset: 0x1n, function: 'KiUserExceptionDispatcher', address: 1n },
    { module: 'c:\\app\\app.exe', moduleOffset: 0x2n, function: '_CxxThrowException', address: 2n },
    { module: 'c:\\app\\app.exe', moduleOffset: 0x3n, function: 'Load', address: 3n },
  ]);
  assert.equal(win.text, 'Load');
  assert.ok(isReportingFunction('std::terminate()'));
  assert.ok(!isReportingFunction('abortTransaction'));
});

test('the signature of rust-minidump JSON frames equals the one of the walked frames', () => {
  const sig = crashSignatureOfJsonFrames([
    { function: null, module: 'libc-2.13.so', module_offset: '0x0000000000035a55', offset: '0x00007f0a00035a55' },
    { function: 'crash', module: 'crash_linux', module_offset: '0x0000000000001d72', offset: '0x0000000000401d72' },
    { function: null, module: 'crash_linux', module_offset: '0x0000000000001e00', offset: '0x0000000000401e00' },
  ]);
  assert.equal(sig.text, 'crash | crash_linux@0x1e00');
});
