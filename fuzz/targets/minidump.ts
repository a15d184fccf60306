/**
 * Minidumps (MDMP): open, summary (text and JSON, as `dumpkit info` prints it), every stream accessor,
 * the contexts of every thread and of the exception, readMemory over the memory ranges (first bytes,
 * last byte, across the end), thread stacks, module ids. Seeds: the shared corpus
 * (/work/shared/corpus/minidump, read in place; skipped with a note when absent), dumps written by
 * dumpkit's minidump writer from a scripted process (full, miniplus, mini) and three built by the
 * test builder (Windows amd64 with an exception, x86, ARM64 with Memory64List).
 */
import { existsSync, readFileSync } from 'node:fs';
import { MemorySink } from '../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../src/core/bytes/memory-source.js';
import { toJson } from '../../src/core/hex.js';
import { StreamType } from '../../src/core/minidump/constants.js';
import { Minidump } from '../../src/core/minidump/minidump.js';
import { moduleCodeId, moduleDebugFile, moduleDebugId, moduleVersion } from '../../src/core/minidump/reader/module-list.js';
import { formatMinidumpSummary, summarizeMinidump } from '../../src/core/minidump/summary.js';
import { captureProcess } from '../../src/node/capture/capture.js';
import { FakeProcess } from '../../test/fixtures/fake-process.js';
import * as B from '../../test/fixtures/minidump-builder.js';
import { corpusMinidumps, corpusRoot } from '../../test/helpers/corpus.js';
import { Accessors, layout, Peek } from '../drive.js';
import type { Field, FuzzTarget, RunOutcome, Seed } from '../types.js';

const corpus = `${corpusRoot}minidump/`;

// ---- layouts (literal offsets: MINIDUMP_HEADER, MINIDUMP_DIRECTORY and the stream headers) ----

const HEADER = { Signature: [0, 4], Version: [4, 4], NumberOfStreams: [8, 4], StreamDirectoryRva: [12, 4], CheckSum: [16, 4], TimeDateStamp: [20, 4], Flags: [24, 8] } as const;
const THREAD = {
  ThreadId: [0, 4], SuspendCount: [4, 4], Teb: [16, 8], 'Stack.StartOfMemoryRange': [24, 8], 'Stack.DataSize': [32, 4], 'Stack.Rva': [36, 4],
  'ThreadContext.DataSize': [40, 4], 'ThreadContext.Rva': [44, 4],
} as const;
const MODULE = {
  BaseOfImage: [0, 8], SizeOfImage: [8, 4], TimeDateStamp: [16, 4], ModuleNameRva: [20, 4], 'VersionInfo.dwSignature': [24, 4],
  'CvRecord.DataSize': [76, 4], 'CvRecord.Rva': [80, 4], 'MiscRecord.DataSize': [84, 4], 'MiscRecord.Rva': [88, 4],
} as const;
const EXCEPTION = {
  ThreadId: [0, 4], ExceptionCode: [8, 4], ExceptionFlags: [12, 4], ExceptionRecord: [16, 8], ExceptionAddress: [24, 8], NumberParameters: [32, 4],
  'ExceptionInformation[0]': [40, 8], 'ThreadContext.DataSize': [160, 4], 'ThreadContext.Rva': [164, 4],
} as const;
const SYSTEM_INFO = {
  ProcessorArchitecture: [0, 2], ProcessorLevel: [2, 2], NumberOfProcessors: [6, 1], ProductType: [7, 1], MajorVersion: [8, 4], BuildNumber: [16, 4],
  PlatformId: [20, 4], CSDVersionRva: [24, 4],
} as const;
/** The header shared by the "SizeOfHeader, SizeOfEntry, NumberOfEntries" lists. */
const SIZED_LIST = { SizeOfHeader: [0, 4], SizeOfEntry: [4, 4], NumberOfEntries: [8, 4] } as const;

export function minidumpFields(b: Uint8Array): Field[] {
  const p = new Peek(b);
  const f = layout('MINIDUMP_HEADER', 0, HEADER);
  const n = Math.min(p.u32(8), 64);
  const dir = p.u32(12);
  for (let i = 0; i < n; i++) {
    const e = dir + 12 * i;
    if (e + 12 > b.length) break;
    f.push(...layout(`MINIDUMP_DIRECTORY[${i}]`, e, { StreamType: [0, 4], DataSize: [4, 4], Rva: [8, 4] }));
    const type = p.u32(e);
    const size = p.u32(e + 4);
    const at = p.u32(e + 8);
    if (at + 8 > b.length) continue;
    const name = `stream 0x${type.toString(16)}`;
    f.push(...layout(name, at, { 'u32[0]': [0, 4], 'u32[1]': [4, 4] })); // counts and versions of any stream
    const count = Math.min(p.u32(at), 8);
    if (type === StreamType.ThreadListStream) for (let t = 0; t < count; t++) f.push(...layout(`ThreadList[${t}]`, at + 4 + 48 * t, THREAD));
    else if (type === StreamType.ModuleListStream) {
      for (let m = 0; m < count; m++) {
        const mo = at + 4 + 108 * m;
        f.push(...layout(`ModuleList[${m}]`, mo, MODULE));
        f.push({ name: `ModuleList[${m}].name length`, offset: p.u32(mo + 20), size: 4 });
        if (p.u32(mo + 76) >= 4) f.push({ name: `ModuleList[${m}].CvRecord signature`, offset: p.u32(mo + 80), size: 4 });
      }
    } else if (type === StreamType.MemoryListStream) {
      const first = size === 4 + 16 * p.u32(at) ? at + 4 : at + 8; // some writers pad the count to 8
      for (let r = 0; r < count; r++) f.push(...layout(`MemoryList[${r}]`, first + 16 * r, { StartOfMemoryRange: [0, 8], DataSize: [8, 4], Rva: [12, 4] }));
    } else if (type === StreamType.Memory64ListStream) {
      f.push(...layout('Memory64List', at, { NumberOfMemoryRanges: [0, 8], BaseRva: [8, 8] }));
      for (let r = 0; r < count; r++) f.push(...layout(`Memory64List[${r}]`, at + 16 + 16 * r, { StartOfMemoryRange: [0, 8], DataSize: [8, 8] }));
    } else if (type === StreamType.ExceptionStream) f.push(...layout('Exception', at, EXCEPTION));
    else if (type === StreamType.SystemInfoStream) f.push(...layout('SystemInfo', at, SYSTEM_INFO));
    else if (type === StreamType.MemoryInfoListStream) f.push(...layout('MemoryInfoList', at, { SizeOfHeader: [0, 4], SizeOfEntry: [4, 4], NumberOfEntries: [8, 8] }));
    else if (type === StreamType.ThreadInfoListStream || type === StreamType.UnloadedModuleListStream || type === StreamType.HandleDataStream) {
      f.push(...layout(name, at, SIZED_LIST));
    } else if (type === StreamType.ThreadNamesStream) {
      for (let t = 0; t < count; t++) f.push(...layout(`ThreadNames[${t}]`, at + 4 + 12 * t, { ThreadId: [0, 4], RvaOfThreadName: [4, 8] }));
    } else if (type === StreamType.MiscInfoStream) f.push(...layout('MiscInfo', at, { SizeOfInfo: [0, 4], Flags1: [4, 4], ProcessId: [8, 4] }));
    else if (type === StreamType.LinuxDsoDebug) f.push(...layout('LinuxDsoDebug', at, { version: [0, 4], map: [4, 4], dso_count: [8, 4] }));
    else if (type === StreamType.CrashpadInfoStream) f.push(...layout('CrashpadInfo', at, { Version: [0, 4], 'SimpleAnnotations.DataSize': [36, 4], 'SimpleAnnotations.Rva': [40, 4], 'ModuleList.DataSize': [44, 4], 'ModuleList.Rva': [48, 4] }));
  }
  return f.filter((x) => x.offset + x.size <= b.length);
}

// ---- seeds ----

function built(): [string, Uint8Array][] {
  const win = new B.MinidumpBuilder({ capacity: 8, flags: 0x1n });
  win.stream(7, B.systemInfo({ arch: 9, platform: 2, major: 10, build: 19041, ncpu: 4, csdRva: win.string('') }));
  const ctx = win.loc(B.amd64Context({ rip: 0x7ff600001234n, rsp: 0x10000f00n }), 16);
  const stack = win.loc(new Uint8Array(0x200).fill(0x41));
  win.stream(3, B.thread(B.le().u32(1), { id: 42, stackStart: 0x10000e00n, stack, context: ctx }).toBytes());
  const cv = win.loc(B.rsds([1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16], 2, 'app.pdb'));
  win.stream(4, B.module(B.le().u32(1), { base: 0x7ff600000000n, size: 0x10000, nameRva: win.string('C:\\app.exe'), cv, fileVersion: [0x10002, 0x30004] }).toBytes());
  win.stream(5, B.le().u32(1).u64(0x10000e00n).u32(stack.size).u32(stack.rva).toBytes());
  win.stream(6, B.exceptionStream({ tid: 42, code: 0xc0000005, address: 0x7ff600001234n, info: [1n, 0x10n], context: ctx }));
  win.stream(24, B.le().u32(1).u32(42).u64(BigInt(win.string('main'))).toBytes());

  const x86 = new B.MinidumpBuilder({ capacity: 4 });
  x86.stream(7, B.systemInfo({ arch: 0, platform: 2, major: 6, ncpu: 1, csdRva: x86.string('Service Pack 1') }));
  const c32 = x86.loc(B.x86Context({ eip: 0x401000, esp: 0x12ff00 }));
  x86.stream(3, B.thread(B.le().u32(1), { id: 7, stackStart: 0x12ff00n, stack: { size: 0, rva: 0 }, context: c32 }).toBytes());

  const arm = new B.MinidumpBuilder({ capacity: 4, flags: 0x2n });
  arm.stream(7, B.systemInfo({ arch: 12, platform: 0x8201, ncpu: 8, csdRva: arm.string('Linux') }));
  const c64 = arm.loc(B.arm64Context({ x: [1n, 2n], fp: 0x20000n, lr: 0x400100n, sp: 0x20000n, pc: 0x400000n }), 16);
  arm.stream(3, B.thread(B.le().u32(1), { id: 9, stackStart: 0x20000n, stack: { size: 0, rva: 0 }, context: c64 }).toBytes());
  const list = arm.stream(9, B.le().u64(2).u64(0).u64(0x20000n).u64(0x100).u64(0x400000n).u64(0x80).toBytes());
  const data = arm.data(new Uint8Array(0x180).fill(0x5a));
  const bytes = arm.build();
  new DataView(bytes.buffer).setBigUint64(list.rva + 8, BigInt(data), true);
  return [
    ['Windows amd64 with exception', win.build()],
    ['Windows x86', x86.build()],
    ['Linux ARM64 Memory64List', bytes],
  ];
}

async function seeds(): Promise<{ seeds: Seed[]; notes: string[] }> {
  const out: [string, Uint8Array][] = [];
  const notes: string[] = [];
  if (existsSync(corpus)) for (const f of corpusMinidumps()) out.push([f.slice(corpus.length), readFileSync(f)]);
  else notes.push(`corpus not found at ${corpus}: generated seeds only`);
  for (const variety of ['full', 'miniplus', 'mini'] as const) {
    const sink = new MemorySink();
    await captureProcess(new FakeProcess(), () => sink, { variety, memAvailable: 1 << 30, snapshot: 'copy' });
    out.push([`generated:writer ${variety}`, sink.toBytes()]);
  }
  for (const [n, b] of built()) out.push([`generated:builder ${n}`, b]);
  return { seeds: out.map(([name, bytes]) => ({ name, bytes, fields: minidumpFields(bytes) })), notes };
}

// ---- the reader surface ----

const MAX_ITEMS = 32;
const LINUX_TEXT = [StreamType.LinuxCpuInfo, StreamType.LinuxProcStatus, StreamType.LinuxLsbRelease, StreamType.LinuxMaps, StreamType.LinuxProcStat, StreamType.LinuxProcUptime];

async function drive(source: MemorySource): Promise<RunOutcome> {
  const a = new Accessors();
  const summary = await summarizeMinidump(source); // a DumpError here ends the input (what `info` would refuse)
  formatMinidumpSummary(summary);
  toJson(summary);
  const md = await Minidump.open(source);
  const si = await a.try(() => md.systemInfo());
  const os = si?.os ?? 'unknown';
  const threads = (await a.try(() => md.threads())) ?? [];
  const modules = (await a.try(() => md.modules())) ?? [];
  const ex = await a.try(() => md.exception());
  for (const f of <(() => Promise<unknown>)[]>[
    () => md.miscInfo(), () => md.breakpadInfo(), () => md.threadExList(), () => md.unloadedModules(), () => md.memoryInfoList(),
    () => md.threadInfoList(), () => md.handleData(), () => md.threadNames(), () => md.commentA(), () => md.commentW(), () => md.token(),
    () => md.systemMemoryInfo(), () => md.processVmCounters(), () => md.assertionInfo(), () => md.crashpadInfo(), () => md.linuxCmdLine(),
    () => md.linuxEnviron(), () => md.linuxMaps(), () => md.linuxAuxv(), () => md.linuxDsoDebug(), () => md.wordSize(),
    ...LINUX_TEXT.map((t) => () => md.linuxText(t)),
  ]) await a.try(f);
  for (const e of md.directory.slice(0, MAX_ITEMS)) await a.try(() => md.streamBytes(e));
  for (const m of modules.slice(0, MAX_ITEMS)) [moduleCodeId(m, os), moduleDebugId(m), moduleDebugFile(m), moduleVersion(m)];
  for (const t of threads.slice(0, MAX_ITEMS)) {
    await a.try(() => md.context(t.threadContext));
    await a.try(() => md.readMemory(t.stack.startOfMemoryRange, Math.min(t.stack.memory.dataSize, 0x10000)));
  }
  if (ex) await a.try(() => md.context(ex.threadContext, 'exception context'));
  const ranges = (await a.try(() => md.memoryRanges())) ?? [];
  for (const r of ranges.slice(0, MAX_ITEMS)) {
    await a.try(() => md.readMemory(r.start, Math.min(r.size, 16)));
    if (r.size > 0) await a.try(() => md.readMemory(r.start + BigInt(r.size - 1), 1));
    await a.try(() => md.readMemory(r.start + BigInt(r.size) - 8n, 16)); // across its end
    await a.try(() => md.rangeAt(r.start));
  }
  for (const at of [0n, 0xffffffffffffff00n, 2n ** 53n]) await a.try(() => md.readMemory(at, 0x100));
  return { accessorErrors: a.errors };
}

export const target: FuzzTarget = {
  name: 'minidump',
  description: 'minidumps: open, summary, every stream accessor, contexts, readMemory, module ids',
  seeds,
  run: (input) => drive(new MemorySource(input, 'fuzz input')),
};
