/**
 * Kernel dumps (PAGEDUMP / PAGEDU64): open, summary (as `dumpkit info` prints it, text and JSON),
 * context, limits, modules, processes, debugger data, physical reads (run edges, random pages,
 * reads across pages), virtual reads through the header's and each process's table base, small-dump
 * reads. Seeds: the test fixtures (types 1, 4, 5, 6, 8, 10; x86 classic and PAE) and small dumps of a
 * modeled machine (src/core/machine) written by the kernel writer: a small dump (type 4) and kernel
 * and active dumps cut down to the pages the summary reads.
 */
import { MemorySink } from '../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../src/core/bytes/memory-source.js';
import { toJson } from '../../src/core/hex.js';
import { KernelDump } from '../../src/core/kernel/kernel-dump.js';
import { formatKernelSummary, summarizeKernelDump } from '../../src/core/kernel/summary.js';
import { Machine } from '../../src/core/machine/machine.js';
import { hash32, Rng } from '../../src/core/machine/rng.js';
import { variety, type VarietyName } from '../../src/core/varieties/rules.js';
import { fromMachine, writeFromSource } from '../../src/node/varieties/variety-source.js';
import { buildBitmap, buildMachine, buildRdmp, buildTriage, buildType1, buildX86 } from '../../test/fixtures/kernel-fixture.js';
import { Accessors, layout, Peek } from '../drive.js';
import type { Field, FuzzTarget, RunOutcome, Seed } from '../types.js';

// ---- layouts (literal offsets: Microsoft's DUMP_HEADER64/32, BMP_DUMP_HEADER, RDMP, TRIAGE_DUMP) ----

const HEADER64 = {
  Signature: [0x0, 4], ValidDump: [0x4, 4], MajorVersion: [0x8, 4], MinorVersion: [0xc, 4], DirectoryTableBase: [0x10, 8],
  PfnDataBase: [0x18, 8], PsLoadedModuleList: [0x20, 8], PsActiveProcessHead: [0x28, 8], MachineImageType: [0x30, 4],
  NumberProcessors: [0x34, 4], BugCheckCode: [0x38, 4], BugCheckParameter1: [0x40, 8], KdDebuggerDataBlock: [0x80, 8],
  'PhysicalMemoryBlock.NumberOfRuns': [0x88, 4], 'PhysicalMemoryBlock.NumberOfPages': [0x90, 8],
  'Context.ContextFlags': [0x348 + 0x30, 4], 'Context.Rsp': [0x348 + 0x98, 8], 'Context.Rip': [0x348 + 0xf8, 8],
  'Exception.ExceptionCode': [0xf00, 4], 'Exception.NumberParameters': [0xf18, 4], DumpType: [0xf98, 4], RequiredDumpSpace: [0xfa0, 8],
  SystemTime: [0xfa8, 8], Comment: [0xfb0, 4], SystemUpTime: [0x1030, 8], MiniDumpFields: [0x1038, 4], SecondaryDataState: [0x103c, 4],
  ProductType: [0x1040, 4], Attributes: [0x1050, 4], BootId: [0x1054, 4],
} as const;
const HEADER32 = {
  Signature: [0x0, 4], ValidDump: [0x4, 4], MajorVersion: [0x8, 4], MinorVersion: [0xc, 4], DirectoryTableBase: [0x10, 4],
  PfnDataBase: [0x14, 4], PsLoadedModuleList: [0x18, 4], PsActiveProcessHead: [0x1c, 4], MachineImageType: [0x20, 4],
  NumberProcessors: [0x24, 4], BugCheckCode: [0x28, 4], PaeEnabled: [0x5c, 1], KdDebuggerDataBlock: [0x60, 4],
  'PhysicalMemoryBlock.NumberOfRuns': [0x64, 4], 'PhysicalMemoryBlock.NumberOfPages': [0x68, 4], 'Context.ContextFlags': [0x320, 4],
  'Exception.ExceptionCode': [0x7d0, 4], Attributes: [0x8a0, 4], DumpType: [0xf88, 4], RequiredDumpSpace: [0xfa0, 8],
  SystemUpTime: [0xfb8, 8], SystemTime: [0xfc0, 8],
} as const;
const BMP_DUMP_HEADER = {
  Signature: [0x0, 4], ValidDump: [0x4, 4], DumpOptions: [0x8, 4], FirstPage: [0x20, 8], TotalPresentPages: [0x28, 8], Pages: [0x30, 8],
  'Bitmap[0]': [0x38, 8], 'Bitmap[1]': [0x40, 8],
} as const;
const SUMMARY_DUMP = { Signature: [0x0, 4], ValidDump: [0x4, 4], HeaderSize: [0xc, 4], BitmapSize: [0x10, 4], Pages: [0x14, 4] } as const;
const RDMP = { Marker: [0x0, 4], Signature: [0x4, 4], MetadataSize: [0x10, 8], FirstPage: [0x18, 8], NumberOfRanges: [0x20, 4], TotalPages: [0x28, 8] } as const;
const TRIAGE_DUMP64 = {
  ServicePackBuild: [0x0, 4], SizeOfDump: [0x4, 4], ValidOffset: [0x8, 4], ContextOffset: [0xc, 4], ExceptionOffset: [0x10, 4],
  MmOffset: [0x14, 4], UnloadedDriversOffset: [0x18, 4], PrcbOffset: [0x1c, 4], ProcessOffset: [0x20, 4], ThreadOffset: [0x24, 4],
  CallStackOffset: [0x28, 4], SizeOfCallStack: [0x2c, 4], DriverListOffset: [0x30, 4], DriverCount: [0x34, 4], StringPoolOffset: [0x38, 4],
  StringPoolSize: [0x3c, 4], BrokenDriverOffset: [0x40, 4], TriageOptions: [0x44, 4], TopOfStack: [0x48, 8], DataPageAddress: [0x60, 8],
  DataPageOffset: [0x68, 4], DataPageSize: [0x6c, 4], DebuggerDataOffset: [0x70, 4], DebuggerDataSize: [0x74, 4], DataBlocksOffset: [0x78, 4],
  DataBlocksCount: [0x7c, 4],
} as const;

/** File offset of page `pfn` in a run (type 1) or bitmap (type 5/6) dump, by the layouts above; -1 if absent. */
function pageOffset(p: Peek, is64: boolean, dumpType: number, pfn: number): number {
  const hs = is64 ? 0x2000 : 0x1000;
  if (dumpType === 1) {
    const n = Math.min(p.u32(is64 ? 0x88 : 0x64), is64 ? 43 : 86);
    let at = hs;
    for (let i = 0; i < n; i++) {
      const base = is64 ? Number(p.u64(0x98 + 16 * i)) : p.u32(0x6c + 8 * i);
      const count = is64 ? Number(p.u64(0xa0 + 16 * i)) : p.u32(0x70 + 8 * i);
      if (pfn >= base && pfn < base + count) return at + (pfn - base) * 0x1000;
      at += count * 0x1000;
    }
    return -1;
  }
  if (dumpType === 5 || dumpType === 6) {
    const first = Number(p.u64(hs + 0x20));
    const bits = Number(p.u64(hs + 0x30));
    if (pfn >= bits || !(p.b[hs + 0x38 + (pfn >> 3)]! & (1 << (pfn & 7)))) return -1;
    let before = 0;
    for (let i = 0; i < pfn; i++) if (p.b[hs + 0x38 + (i >> 3)]! & (1 << (i & 7))) before++;
    return first + before * 0x1000;
  }
  return -1;
}

export function kernelFields(b: Uint8Array): Field[] {
  const p = new Peek(b);
  const is64 = p.u32(4) === 0x34365544;
  const hs = is64 ? 0x2000 : 0x1000;
  const dumpType = p.u32(is64 ? 0xf98 : 0xf88);
  const f = layout(is64 ? 'DUMP_HEADER64' : 'DUMP_HEADER32', 0, is64 ? HEADER64 : HEADER32);
  const runs = Math.min(p.u32(is64 ? 0x88 : 0x64), is64 ? 43 : 86);
  for (let i = 0; i < Math.min(runs, 8); i++) {
    f.push(...layout(`PhysicalMemoryBlock.Run[${i}]`, is64 ? 0x98 + 16 * i : 0x6c + 8 * i, is64 ? { BasePage: [0, 8], PageCount: [8, 8] } : { BasePage: [0, 4], PageCount: [4, 4] }));
  }
  if (dumpType === 5 || dumpType === 6) f.push(...layout('BMP_DUMP_HEADER', hs, BMP_DUMP_HEADER));
  if (dumpType === 2) f.push(...layout('SUMMARY_DUMP', hs, SUMMARY_DUMP));
  if (dumpType >= 8 && dumpType <= 10) {
    f.push(...layout('RDMP', hs, RDMP));
    for (let i = 0; i < 4; i++) f.push(...layout(`RDMP.Range[${i}]`, hs + 0x30 + 16 * i, { Pfn: [0, 8], Count: [8, 8] }));
  }
  if (dumpType === 4 && is64) f.push(...layout('TRIAGE_DUMP64', hs, TRIAGE_DUMP64));
  // the top-level page table's present entries (the walk every virtual read starts with)
  const dtbPfn = Number((is64 ? p.u64(0x10) : BigInt(p.u32(0x10))) >> 12n);
  const at = pageOffset(p, is64, dumpType, dtbPfn);
  if (at >= 0 && at + 0x1000 <= b.length) {
    const entry = is64 ? 8 : 4;
    let n = 0;
    for (let i = 0; i < 0x1000 / entry && n < 24; i++) {
      const e = is64 ? p.u64(at + i * 8) : BigInt(p.u32(at + i * 4));
      if (e & 1n) {
        f.push({ name: `top table[0x${i.toString(16)}]`, offset: at + i * entry, size: entry as 4 | 8 });
        n++;
      }
    }
  }
  return f.filter((x) => x.offset + x.size <= b.length);
}

// ---- seeds ----

/** A ByteSource over bytes that records the offsets read (to cut a modeled dump down to what is used). */
class RecordingSource extends MemorySource {
  readonly offsets: number[] = [];
  override read(offset: number, length: number): Promise<Uint8Array> {
    for (let o = offset - (offset % 0x1000); o < offset + length; o += 0x1000) this.offsets.push(o);
    return super.read(offset, length);
  }
  override readSync(offset: number, length: number): Uint8Array {
    for (let o = offset - (offset % 0x1000); o < offset + length; o += 0x1000) this.offsets.push(o);
    return super.readSync(offset, length);
  }
  override readSyncInto(offset: number, into: Uint8Array): void {
    this.offsets.push(offset - (offset % 0x1000));
    super.readSyncInto(offset, into);
  }
}

/** A modeled machine's dump of variety `v`, keeping only the pages its summary reads (plus the first few). */
async function modeledSeed(m: Machine, v: VarietyName): Promise<Seed> {
  const src = fromMachine(m, 'fuzz');
  const full = new MemorySink();
  await writeFromSource(src, variety(v), full);
  if (v === 'small') return { name: `generated:machine ${v}`, bytes: full.toBytes(), fields: kernelFields(full.toBytes()) };
  const rec = new RecordingSource(full.toBytes(), 'modeled');
  const summary = await summarizeKernelDump(rec);
  const opened = await KernelDump.open(rec);
  for (const va of [summary.context?.pc, summary.context?.sp]) if (va !== undefined) await opened.readVirtual(va, 64).catch(() => undefined);
  const d = await KernelDump.open(new MemorySource(full.toBytes()));
  const wanted = new Set<number>();
  const offsets = new Set(rec.offsets);
  for (const r of d.requirePhysical().runs()) {
    for (let i = 0; i < r.count; i++) if (offsets.has(r.fileOffset + i * 0x1000) || wanted.size < 4) wanted.add(r.firstPfn + i);
  }
  const pfns = [...wanted].sort((a, b) => a - b);
  const runs: { first: number; count: number }[] = [];
  for (const pfn of pfns) {
    const last = runs.at(-1);
    if (last && last.first + last.count === pfn) last.count++;
    else runs.push({ first: pfn, count: 1 });
  }
  const cut = new MemorySink();
  await writeFromSource(src, variety(v), cut, { runs, dropSecondaryData: true });
  return { name: `generated:machine ${v} (${pfns.length} pages the reader uses)`, bytes: cut.toBytes(), fields: kernelFields(cut.toBytes()) };
}

async function seeds(): Promise<{ seeds: Seed[]; notes: string[] }> {
  const fm = buildMachine();
  const fixtures: [string, Uint8Array][] = [
    ['type 1 (runs)', buildType1(fm)],
    ['type 5 (bitmap, SDMP)', buildBitmap(fm, { dumpType: 5 })],
    ['type 5 (bitmap, FDMP)', buildBitmap(fm, { dumpType: 5, signature: 'FDMP' })],
    ['type 6 (kernel bitmap)', buildBitmap(fm, { dumpType: 6 })],
    ['type 4 (small)', buildTriage(fm)],
    ['type 8 (RDMP)', buildRdmp(fm, 8)],
    ['type 10 (RDMP)', buildRdmp(fm, 10)],
    ['x86 PAE type 1', buildX86(true)],
    ['x86 classic type 1', buildX86(false)],
  ];
  const out: Seed[] = fixtures.map(([n, b]) => ({ name: `generated:fixture ${n}`, bytes: b, fields: kernelFields(b) }));
  const m = new Machine({ ramBytes: 256 << 20, profile: 'workstation', seed: 1 });
  for (const v of ['small', 'kernel', 'active'] as const) out.push(await modeledSeed(m, v));
  return { seeds: out, notes: [] };
}

// ---- the reader surface ----

/** A non-DumpError that the summary had caught and listed as a diagnostic (house rule: only DumpErrors may become diagnostics). */
class SwallowedError extends Error {}

function swallowed(e: unknown, diagnostics: readonly string[]): unknown {
  if (!(e instanceof Error) || !diagnostics.some((x) => x.includes(e.message))) return e;
  const s = new SwallowedError(`summarizeKernelDump turned ${e.name} "${e.message}" into a diagnostic`);
  s.stack = `SwallowedError: ${s.message}\n${(e.stack ?? '').split('\n').slice(1).join('\n')}`;
  return s;
}

const MAX_PAGES = 64;

/** Everything a user of the kernel reader can ask, over one input. */
async function drive(source: MemorySource): Promise<RunOutcome> {
  const a = new Accessors();
  const summary = await summarizeKernelDump(source); // DumpError here ends the input (what `info` would refuse)
  formatKernelSummary(summary);
  toJson(summary);
  const d = await KernelDump.open(source);
  // what the summary asked too: an exception here that the summary turned into a diagnostic is a bug of its own
  const again = <T>(f: () => T | Promise<T>) => a.try(f).catch((e: unknown) => Promise.reject(swallowed(e, summary.diagnostics)));
  await again(() => d.context());
  d.limits();
  const modules = (await again(() => d.modules())) ?? [];
  const processes = (await again(() => d.processes())) ?? [];
  await again(() => d.debuggerData());
  const rng = new Rng(hash32(source.size, modules.length, processes.length));
  const phys = d.physical;
  if (phys) {
    let pages = 0;
    for (const r of phys.runs()) {
      if (pages++ >= MAX_PAGES) break;
      await a.try(() => phys.readPage(r.firstPfn));
      await a.try(() => phys.readPage(r.firstPfn + r.count - 1));
      await a.try(() => phys.read(BigInt(r.firstPfn + r.count) * 0x1000n - 8n, 16)); // across the run's end
      await a.try(() => phys.read(BigInt(r.firstPfn + r.count) * 0x1000n - 8n, 16, { ignoreMissing: true }));
    }
    for (let i = 0; i < 16; i++) await a.try(() => phys.read(BigInt(rng.u32()) * 0x1000n + BigInt(rng.int(0, 0xfff)), rng.int(0, 0x2000), { ignoreMissing: true }));
  }
  const vas = [summary.context?.pc, summary.context?.sp, summary.kernelBase, d.header.kdDebuggerDataBlock, d.header.psLoadedModuleList, d.header.psActiveProcessHead, ...modules.slice(0, 8).map((m) => m.base)];
  for (const va of vas) {
    if (va === undefined) continue;
    await a.try(() => d.readVirtual(va, 64));
    await a.try(() => d.readVirtual(va - 8n, 0x1010, { ignoreMissing: true })); // across pages
  }
  for (const va of [0n, 0x7ffffffeffffn, 0xffff800000000000n, 0xfffffffffffff000n, BigInt(rng.u32()) << 16n]) await a.try(() => d.readVirtual(va, 16));
  for (const p of processes.slice(0, 4)) {
    await a.try(() => d.readVirtual(0x10000n, 16, { dtb: p.directoryTableBase }));
    await a.try(() => d.virtual(p.directoryTableBase).translate(p.eprocess));
  }
  if (d.triage) for (const r of d.triage.regions.slice(0, MAX_PAGES)) await a.try(() => d.readVirtual(r.va, Math.min(r.size, 0x2000)));
  // last (so that it does not hide what comes before): the top of the physical address space
  if (phys) await a.try(() => phys.read(0xfffffffffffff000n, 0x2000));
  return { accessorErrors: a.errors };
}

export const target: FuzzTarget = {
  name: 'kernel',
  description: 'kernel dumps: open, summary, context, limits, modules, processes, physical and virtual reads, small dumps',
  seeds,
  run: (input) => drive(new MemorySource(input, 'fuzz input')),
};
