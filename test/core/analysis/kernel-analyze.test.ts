/**
 * analyze on modeled kernel dumps (the `machine` model, written with the ordinary writer). Where a
 * test needs other bug check parameters it patches DUMP_HEADER64 in the written file at Microsoft's
 * public offsets, written literally here: BugCheckCode u32 at 0x38, BugCheckParameter1..4 u64 at
 * 0x40/0x48/0x50/0x58. Records a parameter points to (EXCEPTION_RECORD64, CONTEXT) are written into
 * the model's memory before the dump is written, at their public field offsets, also literal.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, openSync, rmSync, writeSync, closeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { analyzeDump, formatAnalysis, type Analysis } from '../../../src/core/analysis/analyze.js';
import { Machine } from '../../../src/core/machine/machine.js';
import { variety } from '../../../src/core/varieties/rules.js';
import { FileSource } from '../../../src/node/file-source.js';
import { writeFileSafely } from '../../../src/node/varieties/cli-util.js';
import { fromMachine, writeFromSource } from '../../../src/node/varieties/variety-source.js';
import { translate } from '../../fixtures/x64-walk.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-analyze-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function physReader(m: Machine) {
  return (pfn: number) => {
    const b = new Uint8Array(4096);
    m.readPage(pfn, b);
    return b;
  };
}

/** Writes bytes into the model's memory at a kernel VA (page by page through its page tables). */
function pokeVirtual(m: Machine, va: bigint, bytes: Uint8Array): void {
  const read = physReader(m);
  for (let i = 0; i < bytes.length; i++) {
    const pa = translate(read, m.dtb, va + BigInt(i));
    assert.ok(pa !== undefined, `VA 0x${(va + BigInt(i)).toString(16)} is mapped in the model`);
    const pfn = Number(pa >> 12n);
    let page = m.get(pfn);
    if (!page) {
      page = read(pfn);
      m.set(pfn, page);
    }
    page[Number(pa & 0xfffn)] = bytes[i]!;
  }
}

async function writeDump(m: Machine, name: string, kind: 'complete' | 'kernel' = 'complete'): Promise<string> {
  const path = join(dir, name);
  await writeFileSafely(path, true, (sink) => writeFromSource(fromMachine(m, name), variety(kind), sink));
  return path;
}

/** DUMP_HEADER64: BugCheckCode u32 at 0x38, BugCheckParameter[4] u64 at 0x40. */
function patchBugCheck(path: string, code: number, params: [bigint, bigint, bigint, bigint]): void {
  const b = Buffer.alloc(0x28);
  b.writeUInt32LE(code, 0);
  params.forEach((p, i) => b.writeBigUInt64LE(p, 8 + 8 * i));
  const fd = openSync(path, 'r+');
  try {
    writeSync(fd, b, 0, b.length, 0x38);
  } finally {
    closeSync(fd);
  }
}

async function analyzeFile(path: string): Promise<Analysis> {
  const s = FileSource.open(path);
  try {
    return await analyzeDump(s);
  } finally {
    await s.close();
  }
}

const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'workstation', seed: 31 });
const [, faultAddress] = m.bugCheck.parameters;
// Where the tests put their records: low in the crashing thread's kernel stack, far below the frames in use.
const exrVa = m.crashThread.stackLimit + 0x100n;
const cxrVa = m.crashThread.stackLimit + 0x200n;
const driverAt = (va: bigint) => m.modules.find((d) => va >= d.base && va < d.base + BigInt(d.size))!;
// Two other drivers whose code addresses the tests place in records and parameters.
const others = m.modules.slice(2).filter((d) => d !== driverAt(faultAddress));
const driverX = others[3]!;
const driverY = others[7]!;
const codeX = driverX.base + 0x1234n;
const codeY = driverY.base + 0x2468n;
const trapVa = m.crashThread.stackLimit + 0x800n;
const failFastExrVa = m.crashThread.stackLimit + 0xa00n;

// The records the tests point parameters at, written into the model once; then one complete and one
// kernel dump are written, and each test patches the bug check in the header.
{
  // EXCEPTION_RECORD64: ExceptionCode u32 @0, ExceptionFlags @4, ExceptionRecord u64 @8,
  // ExceptionAddress u64 @0x10, NumberParameters u32 @0x18, ExceptionInformation u64[15] @0x20.
  const exr = new DataView(new ArrayBuffer(0x30));
  exr.setUint32(0x0, 0xc0000005, true);
  exr.setBigUint64(0x10, codeX, true);
  exr.setUint32(0x18, 2, true);
  exr.setBigUint64(0x20, 1n, true);
  exr.setBigUint64(0x28, 0xffffa800deadbe00n, true);
  pokeVirtual(m, exrVa, new Uint8Array(exr.buffer));
  // AMD64 CONTEXT: ContextFlags u32 @0x30 (CONTEXT_AMD64|CONTEXT_FULL = 0x10000b), SegCs u16 @0x38, Rsp @0x98, Rbp @0xa0, Rip @0xf8.
  const cxr = new DataView(new ArrayBuffer(0x100));
  cxr.setUint32(0x30, 0x10000b, true);
  cxr.setUint16(0x38, 0x10, true);
  cxr.setBigUint64(0x98, exrVa - 0x200n, true);
  cxr.setBigUint64(0xa0, exrVa - 0x100n, true);
  cxr.setBigUint64(0xf8, codeX, true);
  pokeVirtual(m, cxrVa + 0x30n, new Uint8Array(cxr.buffer, 0x30, 0xd0));
  // x64 KTRAP_FRAME: Rbp u64 @0x158, Rip @0x168, SegCs u16 @0x170, Rsp @0x180 (size 0x190).
  const trap = new DataView(new ArrayBuffer(0x190));
  trap.setBigUint64(0x158, trapVa - 0x40n, true);
  trap.setBigUint64(0x168, codeY, true);
  trap.setUint16(0x170, 0x10, true);
  trap.setBigUint64(0x180, trapVa - 0x100n, true);
  pokeVirtual(m, trapVa, new Uint8Array(trap.buffer));
  // A fail-fast's EXCEPTION_RECORD64: 0xC0000409 with ExceptionInformation[0] = 3 (FAST_FAIL_CORRUPT_LIST_ENTRY).
  const ff = new DataView(new ArrayBuffer(0x28));
  ff.setUint32(0x0, 0xc0000409, true);
  ff.setUint32(0x4, 1, true);
  ff.setBigUint64(0x10, codeY, true);
  ff.setUint32(0x18, 1, true);
  ff.setBigUint64(0x20, 3n, true);
  pokeVirtual(m, failFastExrVa, new Uint8Array(ff.buffer));
}
let completeDump: Promise<string> | undefined;
const complete = () => (completeDump ??= writeDump(m, 'complete.dmp'));

describe('analyze on a modeled kernel dump', () => {
  test('0x1000007E: the faulting address in Parameter 2 is attributed to its driver; records that are not records are reported', async () => {
    assert.equal(m.bugCheck.code, 0x1000007e);
    const plain = await complete();
    patchBugCheck(plain, m.bugCheck.code, [...m.bugCheck.parameters]);
    const a = await analyzeFile(plain);
    assert.equal(a.format, 'kernel');
    assert.equal(a.bugCheck?.name, 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M');
    assert.equal(a.faultingAddress, faultAddress);
    assert.equal(a.faultingModule?.name, driverAt(faultAddress).name);
    assert.equal(a.faultingModule?.offset, faultAddress - driverAt(faultAddress).base);
    assert.equal(a.exception?.reason.name, 'EXCEPTION_ACCESS_VIOLATION'); // from Parameter 1 alone
    assert.ok(a.limits.some((l) => l.startsWith('Parameter 3: the bytes at') && l.includes('are not an EXCEPTION_RECORD64')), a.limits.join('\n'));
    // The model's Parameter 4 points near the top of the stack: either not a CONTEXT or running past the stack.
    assert.ok(a.limits.some((l) => /^Parameter 4: (the bytes at .* are not an AMD64 CONTEXT|the context record at .* cannot be read)/.test(l)), a.limits.join('\n'));
    assert.equal(a.context?.use.source, 'dump header ContextRecord (the processor that bug-checked)');
    // The model's images export their functions: the faulting address is named from the image in memory.
    assert.ok(a.faultingFrame?.function, 'the faulting address is symbolized from the image exports');
    assert.equal(a.failureBucketId, `0x1000007E_c0000005_${driverAt(faultAddress).name}!${a.faultingFrame!.function}`);
    assert.match(formatAnalysis(a), /SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M \(1000007e\)/);
  });

  test('the EXCEPTION_RECORD (Parameter 3) and CONTEXT (Parameter 4) are read as .exr/.cxr and used', async () => {
    const path = await complete();
    patchBugCheck(path, 0x1000007e, [0xc0000005n, faultAddress, exrVa, cxrVa]);
    const a = await analyzeFile(path);
    assert.equal(a.exception?.use.source, 'Parameter 3');
    assert.equal(a.exception?.use.address, exrVa);
    assert.equal(a.exception?.reason.name, 'EXCEPTION_ACCESS_VIOLATION_WRITE');
    assert.equal(a.dataAddress?.address, 0xffffa800deadbe00n);
    assert.equal(a.dataAddress?.access, 'write');
    assert.equal(a.context?.use.source, 'Parameter 4 (.cxr)');
    assert.equal(a.context?.use.address, cxrVa);
    assert.equal(a.context?.pc, codeX);
    assert.equal(a.context?.sp, exrVa - 0x200n);
    assert.equal(a.faultingAddress, codeX); // the record's ExceptionAddress comes first
    assert.equal(a.faultingModule?.name, driverX.name);
    assert.equal(a.stack[0]?.instruction, codeX);
    assert.equal(a.stack[0]?.module?.name, driverX.name);
    assert.ok(!a.limits.some((l) => l.startsWith('Parameter 3') || l.startsWith('Parameter 4')), a.limits.join('\n'));
    const text = formatAnalysis(a);
    assert.match(text, /EXCEPTION_RECORD: {2}\(\.exr [0-9a-f]{8}`[0-9a-f]{8}\) \(Parameter 3\)/);
    assert.match(text, /WRITE_ADDRESS: {2}ffffa800`deadbe00/);
    assert.match(text, new RegExp(`IMAGE_NAME: {2}${driverX.name.replace('.', '\\.')}`));

    // 0x3B points at the same CONTEXT through Parameter 3.
    patchBugCheck(path, 0x3b, [0xc0000005n, codeY, cxrVa, 0n]);
    const b = await analyzeFile(path);
    assert.equal(b.bugCheck?.name, 'SYSTEM_SERVICE_EXCEPTION');
    assert.equal(b.context?.use.source, 'Parameter 3 (.cxr)');
    assert.equal(b.context?.pc, codeX);
    assert.equal(b.faultingModule?.name, driverY.name); // Parameter 2, the instruction that caused it
  });

  test('0x139: the trap frame (Parameter 2, .trap) and exception record (Parameter 3) are read', async () => {
    const path = await complete();
    patchBugCheck(path, 0x139, [3n, trapVa, failFastExrVa, 0n]);
    const a = await analyzeFile(path);
    assert.equal(a.bugCheck?.bugCheckString, '0x139_3');
    assert.match(a.bugCheck?.cause ?? '', /^FAST_FAIL_CORRUPT_LIST_ENTRY: a LIST_ENTRY was corrupted/);
    assert.equal(a.exception?.reason.name, 'FAST_FAIL_CORRUPT_LIST_ENTRY');
    assert.equal(a.exception?.use.address, failFastExrVa);
    assert.equal(a.context?.use.source, 'Parameter 2 (.trap)');
    assert.equal(a.context?.pc, codeY);
    assert.equal(a.context?.sp, trapVa - 0x100n);
    assert.equal(a.faultingModule?.name, driverY.name);
    assert.equal(a.stack[0]?.instruction, codeY);
  });

  test('a patched 0xD1 with a driver code address in Parameter 4 names that driver; 0x1E names its Parameter 2 driver', async () => {
    const path = await complete();
    patchBugCheck(path, 0xd1, [0x28n, 2n, 1n, codeY]);
    const a = await analyzeFile(path);
    assert.equal(a.bugCheck?.name, 'DRIVER_IRQL_NOT_LESS_OR_EQUAL');
    assert.equal(a.faultingAddress, codeY);
    assert.equal(a.faultingModule?.name, driverY.name);
    assert.equal(a.faultingModule?.offset, 0x2468n);
    assert.deepEqual(a.dataAddress, { address: 0x28n, access: 'write' });
    assert.ok(a.failureBucketId.startsWith(`0xD1_${driverY.name}!`), a.failureBucketId);

    patchBugCheck(path, 0x1e, [0xc0000094n, codeX, 0n, 0n]);
    const b = await analyzeFile(path);
    assert.equal(b.bugCheck?.bugCheckString, '0x1E_c0000094');
    assert.equal(b.exception?.reason.name, 'EXCEPTION_INT_DIVIDE_BY_ZERO');
    assert.equal(b.exception?.use.source, 'Parameters 1–4');
    assert.equal(b.faultingModule?.name, driverX.name);
  });

  test('a kernel memory dump says a user address in the parameters cannot be read: only kernel address space', async () => {
    const path = await writeDump(m, 'kernel-only.dmp', 'kernel');
    patchBugCheck(path, 0x50, [0x00007ff612340000n, 0n, codeY, 0n]);
    const a = await analyzeFile(path);
    assert.equal(a.bugCheck?.name, 'PAGE_FAULT_IN_NONPAGED_AREA');
    assert.equal(a.faultingModule?.name, driverY.name);
    assert.ok(a.limits.some((l) => /0x7ff612340000 is a user address: only kernel address space is available/.test(l)), a.limits.join('\n'));
  });
});
