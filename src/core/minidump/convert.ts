import type { ByteSink } from '../bytes/byte-sink.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError, onlyDumpError } from '../errors.js';
import type { DsoDebug } from '../linux/dso-debug.js';
import type { Mapping } from '../linux/maps.js';
import { MinidumpLimits } from './limits.js';
import type { Minidump } from './minidump.js';
import { mergeIntervals, planMemory, stackRanges, VARIETY_RULES, type PlannedRange, type PlanThread, type Variety } from './varieties.js';
import { StreamType } from './writer/constants.js';
import { writeMinidump, type WriteResult } from './writer/minidump-writer.js';
import { wordSizeOf, type CpuRegisters, type ExceptionRecord, type ModuleRecord, type ProcessSnapshot, type SnapshotMemory, type ThreadRecord, type WriterArch } from './writer/model.js';
import { ProcessorArchitecture } from './constants.js';

const RANK: Record<Variety, number> = { mini: 0, miniplus: 1, full: 2 };
const P = ProcessorArchitecture;
/** The architectures a converted dump can have, by the source's SystemInfo.ProcessorArchitecture. */
const WRITER_ARCH: Partial<Record<number, WriterArch>> = {
  [P.PROCESSOR_ARCHITECTURE_AMD64]: 'amd64',
  [P.PROCESSOR_ARCHITECTURE_INTEL]: 'x86',
  [P.PROCESSOR_ARCHITECTURE_ARM64]: 'arm64',
  [P.PROCESSOR_ARCHITECTURE_ARM64_OLD]: 'arm64',
  [P.PROCESSOR_ARCHITECTURE_ARM]: 'arm',
};
const CHUNK = 4 * 1024 * 1024;
const LINUX_STREAM_MIN = 0x47670003;
const LINUX_STREAM_MAX = 0x4767000d;

/** Which variety a dump is, from its header flags (FullMemory → full, PrivateReadWrite → miniplus, else mini). */
export function varietyOf(flags: bigint): Variety {
  if (flags & 0x2n) return 'full';
  if (flags & 0x200n) return 'miniplus';
  return 'mini';
}

/**
 * Derives a smaller minidump from a larger one (full → miniplus → mini) with the same variety
 * rules capture uses, streaming memory from `dump` into `sink`. Refuses to grow a dump: the
 * target variety must not be larger than the source's, and only memory the source holds is kept.
 * Needs the LinuxMaps stream to tell images from private memory; without it every captured
 * range counts as private memory (noted in `diagnostics`).
 */
export async function convertMinidump(dump: Minidump, sink: ByteSink, to: 'miniplus' | 'mini', diagnostics: Diagnostics): Promise<WriteResult> {
  const from = varietyOf(dump.header.flags);
  if (RANK[to] > RANK[from]) throw new DumpError('REFUSED', `cannot convert a ${from} dump to ${to}: that would grow it`);
  const si = await dump.systemInfo();
  if (!si) throw new DumpError('MISSING_STREAM', 'the dump has no SystemInfo stream: its CPU is unknown');
  const arch = WRITER_ARCH[si.processorArchitecture];
  if (!arch) throw new DumpError('UNSUPPORTED', `conversion supports x86, AMD64, ARM64 and ARM dumps, not processor architecture ${si.processorArchitecture}`);
  // Breakpad's old ARM64 layout (architecture 0x8003) is written anew in the Windows ARM64 layout
  // the output's SystemInfo (ARM64) announces; every other context is copied as it is.
  const reencode = si.processorArchitecture === ProcessorArchitecture.PROCESSOR_ARCHITECTURE_ARM64_OLD;
  const contextOf = async (loc: Parameters<Minidump['context']>[0], what: string): Promise<{ rawContext?: Uint8Array; registers: CpuRegisters }> => {
    if (!reencode) return { rawContext: loc.dataSize ? await dump.readLocation(loc, what, MinidumpLimits.maxContextBytes) : new Uint8Array(0), registers: { gpr: {} } };
    const ctx = await dump.context(loc);
    return { registers: { gpr: ctx ? { ...ctx.registers } : {} } };
  };

  const captured = [...(await dump.memoryRanges())].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  let mappings: Mapping[] = (await dump.linuxMaps())?.map((m) => ({ ...m })) ?? [];
  if (mappings.length === 0) {
    diagnostics.add('no LinuxMaps stream: every captured range is treated as private read/write memory');
    mappings = mergeIntervals(captured.map((r) => [r.start, r.start + BigInt(r.size)])).map(([a, b]) => ({ start: a, end: b, perms: 'rw-p', offset: 0n, dev: '00:00', inode: 0, path: '' }));
  }
  mappings.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));

  const sourceThreads = await dump.threads();
  const threads: ThreadRecord[] = [];
  const planThreads: PlanThread[] = [];
  const names = new Map((await dump.threadNames())?.map((n) => [n.threadId, n.name]) ?? []);
  for (const t of sourceThreads) {
    const ctx = await dump.context(t.threadContext);
    threads.push({ id: t.threadId, name: names.get(t.threadId), suspendCount: t.suspendCount, priority: t.priority, teb: t.teb, ...(await contextOf(t.threadContext, 'thread context')) });
    if (ctx) planThreads.push({ id: t.threadId, sp: ctx.sp, registerValues: Object.values(ctx.registers) });
  }
  const stackWords = async (start: bigint, size: number): Promise<bigint[]> => {
    const bytes = await readAvailable(dump, start, size);
    const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    const w = wordSizeOf(arch);
    const out: bigint[] = [];
    for (let o = 0; o + w <= bytes.length; o += w) out.push(w === 8 ? v.getBigUint64(o, true) : BigInt(v.getUint32(o, true)));
    return out;
  };
  // planMemory wants the stack words synchronously: read them first.
  const words = new Map<number, bigint[]>();
  for (const [tid, s] of stackRanges(mappings, planThreads)) words.set(tid, await stackWords(s.address, s.size));
  const plan = planMemory(to, mappings, planThreads, (tid) => words.get(tid) ?? []);
  const memory = intersect(plan.ranges, captured).map((r) => sourceMemory(dump, r));
  for (const t of threads) t.stack = plan.stacks.get(t.id);

  const modules: ModuleRecord[] = [];
  for (const m of await dump.modules()) {
    const cv = m.cvRecordLocation.dataSize ? await dump.readLocation(m.cvRecordLocation, 'CodeView record', 64 * 1024) : undefined;
    modules.push({ base: m.baseOfImage, size: m.sizeOfImage, path: m.name, cvRecord: cv });
  }
  const ex = await dump.exception();
  let exception: ExceptionRecord | undefined;
  if (ex) {
    exception = { threadId: ex.threadId, code: ex.exceptionCode, flags: ex.exceptionFlags, address: ex.exceptionAddress, ...(await contextOf(ex.threadContext, 'exception context')), information: ex.exceptionInformation };
  }
  const misc = await dump.miscInfo();
  const linuxStreams: { type: number; data: Uint8Array }[] = [];
  for (const e of dump.streams) {
    if (e.streamType >= LINUX_STREAM_MIN && e.streamType <= LINUX_STREAM_MAX) linuxStreams.push({ type: e.streamType, data: await dump.streamBytes(e) });
  }
  const snap: ProcessSnapshot = {
    timestamp: dump.header.timeDateStamp,
    flags: VARIETY_RULES[to].flags,
    system: {
      arch,
      processorLevel: si.processorLevel,
      processorRevision: si.processorRevision,
      processorCount: si.numberOfProcessors,
      csdVersion: si.csdVersion ?? '',
      vendorId: si.cpu.vendorId ?? '',
      cpuidVersion: si.cpu.versionInformation ?? 0,
      cpuidFeatures: si.cpu.featureInformation ?? 0,
    },
    misc: misc?.processId !== undefined ? { processId: misc.processId, processCreateTime: misc.processCreateTime ?? 0, processUserTime: misc.processUserTime ?? 0, processKernelTime: misc.processKernelTime ?? 0 } : undefined,
    threads,
    modules,
    memory,
    memoryInfo: ((await dump.memoryInfoList()) ?? []).map((m) => ({ base: m.baseAddress, size: m.regionSize, protect: m.protect, state: m.state, type: m.type })),
    exception,
    // LinuxDsoDebug holds RVAs into the source file: it is read and written anew, not copied.
    linuxStreams: linuxStreams.filter((s) => s.type !== StreamType.LinuxDsoDebug),
    linuxDsoDebug: await dsoDebugOf(dump, diagnostics),
  };
  return writeMinidump(snap, sink);
}

async function dsoDebugOf(dump: Minidump, diagnostics: Diagnostics): Promise<DsoDebug | undefined> {
  try {
    const d = await dump.linuxDsoDebug();
    return d && { version: d.version, brk: d.brk, ldbase: d.ldbase, dynamic: d.dynamic, dynamicSection: d.dynamicSection, linkMap: d.linkMap };
  } catch (e) {
    diagnostics.add(`LinuxDsoDebug left out: ${onlyDumpError(e).message}`);
    return undefined;
  }
}

/** The parts of the planned ranges that the source dump holds. */
function intersect(plan: PlannedRange[], captured: { start: bigint; size: number }[]): PlannedRange[] {
  const have = mergeIntervals(captured.map((r) => [r.start, r.start + BigInt(r.size)]));
  const out: PlannedRange[] = [];
  for (const p of plan) {
    const a0 = p.address;
    const b0 = p.address + BigInt(p.size);
    for (const [a, b] of have) {
      const lo = a > a0 ? a : a0;
      const hi = b < b0 ? b : b0;
      if (hi > lo) out.push({ address: lo, size: Number(hi - lo), kind: p.kind });
    }
  }
  return out;
}

function sourceMemory(dump: Minidump, r: PlannedRange): SnapshotMemory {
  return {
    address: r.address,
    size: r.size,
    kind: r.kind,
    async *chunks() {
      for (let off = 0; off < r.size; off += CHUNK) yield await dump.readMemory(r.address + BigInt(off), Math.min(CHUNK, r.size - off));
    },
  };
}

/** Reads what the dump holds of [start, start+size), stopping at the first gap. */
async function readAvailable(dump: Minidump, start: bigint, size: number): Promise<Uint8Array> {
  const r = await dump.rangeAt(start);
  if (!r) return new Uint8Array(0);
  const n = Math.min(size, r.size - Number(start - r.start));
  return dump.readMemory(start, n);
}
