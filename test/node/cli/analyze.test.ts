/**
 * `dumpkit analyze` as a user runs it: minidump2 with the corpus symbols gives the stack that
 * Breakpad's and rust-minidump's tests assert (CrashFunction c:\test_app.cc:58, main :65,
 * __tmainCRTStartup crt0.c:327, then kernel32); JSON in the project's shapes; a modeled kernel
 * dump; malformed input is one line and exit 2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { spawnSync } from 'node:child_process';
import { after, describe, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { projectRoot, runCli, tsxLoader } from '../../helpers/cli.js';
import { corpusFile, corpusSkip, hasCorpus } from '../../helpers/corpus.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-analyze-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const env = { DUMPKIT_SYMBOLS: '' };
const kernelFile = join(dir, 'server.dmp');
const junkFile = join(dir, 'junk.bin');
writeFileSync(junkFile, Buffer.from('not a dump at all'));

// Every run but one in a single process (test/helpers/cli-batch.ts): a process per run costs seconds here.
const batchArgs: string[][] = [
  ['machine', '--ram', '256M', '--profile', 'server', '--seed', '7', '-o', kernelFile],
  ['analyze', kernelFile, '--json'],
  ['analyze', kernelFile],
  ['analyze', junkFile],
  ...(hasCorpus
    ? [
        ['analyze', corpusFile('minidump/breakpad/minidump2.dmp'), '--symbols', corpusFile('symbols')],
        ['analyze', corpusFile('minidump/breakpad/minidump2.dmp'), '--json', '--symbols', corpusFile('symbols')],
        ['analyze', corpusFile('minidump/symbolic/crash_linux.dmp')],
        ['analyze', corpusFile('minidump/symbolic/crash_linux.dmp'), '--no-elf'],
        ['analyze', corpusFile('minidump/symbolic/crash_linux.dmp'), '--symbols', dir],
        ['analyze', corpusFile('minidump/symbolic/crash_linux.dmp'), '--symbols', corpusFile('symbols')],
      ]
    : []),
];
const batch = spawnSync(process.execPath, ['--import', tsxLoader, fileURLToPath(new URL('../../helpers/cli-batch.ts', import.meta.url))], {
  cwd: projectRoot,
  input: JSON.stringify(batchArgs),
  encoding: 'utf8',
  maxBuffer: 64 * 1024 * 1024,
  env: { ...process.env, ...env },
});
if (batch.status !== 0) throw new Error(`cli-batch failed: ${batch.stderr}`);
const results = JSON.parse(batch.stdout) as { args: string[]; code: number; stdout: string; stderr: string }[];
const run = (...args: string[]) => {
  const r = results.find((x) => JSON.stringify(x.args) === JSON.stringify(args));
  if (!r) throw new Error(`not in the batch: ${args.join(' ')}`);
  return { status: r.code, stdout: r.stdout, stderr: r.stderr };
};

describe('dumpkit analyze on minidumps', { skip: corpusSkip }, () => {
  test('minidump2 with symbols: the asserted stack, reason, write address, bucket and signature', () => {
    const r = run('analyze', corpusFile('minidump/breakpad/minidump2.dmp'), '--symbols', corpusFile('symbols'));
    assert.equal(r.status, 0, r.stderr);
    const out = r.stdout;
    assert.match(out, /Exception Analysis/);
    assert.match(out, /ExceptionCode: c0000005 \(EXCEPTION_ACCESS_VIOLATION_WRITE\)/);
    assert.match(out, /WRITE_ADDRESS: {2}00000045/);
    assert.match(out, /PROCESS_NAME: {2}test_app\.exe/);
    assert.match(out, /FAULTING_THREAD: {2}00000bf4/);
    const stack = out.slice(out.indexOf('STACK_TEXT:'), out.indexOf('(walk ended'));
    const frames = stack.split('\n').slice(1).filter((l) => l.trim());
    assert.equal(frames.length, 4);
    assert.match(frames[0]!, /^0012fe84 0040429e test_app!`anonymous namespace'::CrashFunction\+0xe \[c:\\test_app\.cc @ 58\]$/);
    assert.match(frames[1]!, /test_app!main\+0x[0-9a-f]+ \[c:\\test_app\.cc @ 65\]/);
    assert.match(frames[2]!, /test_app!__tmainCRTStartup\+0x[0-9a-f]+ \[f:\\sp\\vctools\\crt_bld\\self_x86\\crt\\src\\crt0\.c @ 327\]/);
    assert.match(frames[3]!, / 7c816fd7 kernel32!/);
    assert.match(out, /SYMBOL_NAME: {2}test_app!`anonymous namespace'::CrashFunction\n/);
    assert.match(out, /FAILURE_BUCKET_ID: {2}EXCEPTION_ACCESS_VIOLATION_WRITE_test_app\.exe!`anonymous_namespace'::CrashFunction/);
    assert.match(out, /SIGNATURE: {2}`anonymous namespace'::CrashFunction \| main \| __tmainCRTStartup\n/);
    assert.doesNotMatch(out, /no symbols for/);
  });

  test('--json: the analysis object with "0x…" addresses', () => {
    const r = run('analyze', corpusFile('minidump/breakpad/minidump2.dmp'), '--json', '--symbols', corpusFile('symbols'));
    assert.equal(r.status, 0, r.stderr);
    const a = JSON.parse(r.stdout);
    assert.equal(a.format, 'minidump');
    assert.equal(a.exception.reason.name, 'EXCEPTION_ACCESS_VIOLATION_WRITE');
    assert.equal(a.exception.reason.faultAddress, '0x45');
    assert.equal(a.dataAddress.address, '0x45');
    assert.equal(a.dataAddress.access, 'write');
    assert.equal(a.faultingAddress, '0x40429e');
    assert.equal(a.faultingModule.name, 'test_app.exe');
    assert.equal(a.stack[0].function, "`anonymous namespace'::CrashFunction");
    assert.equal(a.stack[0].line, 58);
    assert.equal(a.stack[3].module.name, 'kernel32.dll');
    assert.match(a.signature.hash, /^[0-9a-f]{16}$/);
    assert.equal(a.crashed, true);
  });

  test('without symbols: module+offset frames, and the limits say why', () => {
    // --no-elf: no symbol source at all, so the limits say none was given.
    const r = run('analyze', corpusFile('minidump/symbolic/crash_linux.dmp'), '--no-elf');
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /^SIGSEGV$/m);
    assert.match(r.stdout, /FAULT_ADDRESS|READ_ADDRESS|WRITE_ADDRESS|si_addr: 00000000`00000000/);
    assert.match(r.stdout, /- no symbol files given \(--symbols DIR\): frames show as module\+offset/);
    assert.match(r.stdout, /crash_linux\+0x/);
    // With the ELF files of this machine searched (the default), the limits name each module that
    // had none: this dump's binaries are not on this machine.
    const elf = run('analyze', corpusFile('minidump/symbolic/crash_linux.dmp'));
    assert.equal(elf.status, 0, elf.stderr);
    assert.match(elf.stdout, /- no symbols for crash_linux \(\/breakpad\/examples\/target\/crash_linux D2554CDB926136C4B9766A086583B9B50\): its frames show as module\+offset/);
  });

  test('a module whose symbols are not in the symbol path is named in the limits', () => {
    const r = run('analyze', corpusFile('minidump/symbolic/crash_linux.dmp'), '--symbols', dir);
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /- no symbols for crash_linux \(\/breakpad\/examples\/target\/crash_linux D2554CDB926136C4B9766A086583B9B50\): its frames show as module\+offset/);
  });

  test('crash_linux with its CFI-only symbol file: CFI frames, and the limits say the file names no functions', () => {
    const r = run('analyze', corpusFile('minidump/symbolic/crash_linux.dmp'), '--symbols', corpusFile('symbols'));
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /crash_linux\+0x207a {2}\(cfi\)/);
    assert.match(r.stdout, /- the symbols of crash_linux \(.*\) name no function at its frames/);
  });

  test('malformed input: one line naming the byte range, exit 2', () => {
    const r = runCli(['analyze', corpusFile('minidump/rust-minidump/invalid-range.dmp')], { env });
    assert.equal(r.status, 2);
    assert.equal(r.stderr.trim().split('\n').length, 1, r.stderr);
    assert.match(r.stderr, /bytes 0x/);
  });
});

test('dumpkit analyze on a modeled kernel dump: the bug check by name, its arguments, the faulting driver', () => {
  const made = run('machine', '--ram', '256M', '--profile', 'server', '--seed', '7', '-o', kernelFile);
  assert.equal(made.status, 0, made.stderr);
  const r = run('analyze', kernelFile, '--json');
  assert.equal(r.status, 0, r.stderr);
  const a = JSON.parse(r.stdout);
  assert.equal(a.format, 'kernel');
  assert.equal(a.bugCheck.name, 'DRIVER_IRQL_NOT_LESS_OR_EQUAL');
  assert.equal(a.bugCheck.parameters[3].role, 'code-address');
  assert.equal(a.faultingAddress, a.bugCheck.parameters[3].value);
  assert.match(a.faultingModule.name, /\.(sys|dll)$/i);
  assert.ok(a.failureBucketId.startsWith(`0xD1_${a.faultingModule.name}!`), a.failureBucketId); // named from the image's exports
  assert.equal(a.process.name.length > 0, true); // the process of the thread on the bug-checking processor
  const text = run('analyze', kernelFile);
  assert.match(text.stdout, /DRIVER_IRQL_NOT_LESS_OR_EQUAL \(d1\)\n/);
  assert.match(text.stdout, /Arg2: 0000000000000002, the IRQL at the time of the reference \(DISPATCH_LEVEL\)/);
  assert.match(text.stdout, /BUGCHECK_STR: {2}0xD1/);
  assert.match(text.stdout, /only kernel address space|complete memory dump/);
});

test('not a dump: exit 2, one line', () => {
  const r = run('analyze', junkFile);
  assert.equal(r.status, 2);
  assert.match(r.stderr, /^dumpkit: UNKNOWN_FORMAT: .* is not a minidump \(MDMP\), kernel dump \(PAGEDUMP\/PAGEDU64\) or ELF core: starts with .*\n$/);
});
