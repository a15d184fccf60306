import assert from 'node:assert/strict';
import { test } from 'node:test';
import { analyzeDump } from '../../../src/core/analysis/analyze.js';
import { crashSignature, fnv1a64, isSystemModule, normalizeFunction } from '../../../src/core/analysis/signature.js';
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
