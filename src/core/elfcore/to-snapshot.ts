/**
 * An ELF core as the minidump writer's ProcessSnapshot: threads with their registers, modules with
 * build ids read from the core's memory, memory ranges chosen by the variety's rules (the same
 * planMemory a live capture uses), the Linux streams Breakpad defines (maps, auxv, cmdline,
 * status, the dynamic linker's r_debug) and an Exception stream for the signal that made the core.
 */
import type { Diagnostics } from '../diagnostics.js';
import { readElfIdentity } from '../elf/build-id.js';
import { DumpError } from '../errors.js';
import { readDsoDebug, type DsoDebug } from '../linux/dso-debug.js';
import { moduleCandidates, type Mapping } from '../linux/maps.js';
import { planMemory, planRegisterValues, stackRanges, VARIETY_RULES, wordsOf, type PlanThread, type Variety } from '../minidump/varieties.js';
import { StreamType } from '../minidump/writer/constants.js';
import { pcSp } from '../minidump/writer/context.js';
import { memoryInfoFromMappings } from '../minidump/writer/memory-info-list.js';
import type { ExceptionRecord, ModuleRecord, ProcessSnapshot, SnapshotMemory, SystemRecord, ThreadRecord } from '../minidump/writer/model.js';
import type { ElfCore } from './elf-core.js';
import { coreMappings, mapsText } from './mappings.js';

/** Signals whose default action dumps core (signal(7)): the ones a core's Exception stream is written for. */
export const CORE_DUMP_SIGNALS: ReadonlySet<number> = new Set([3, 4, 5, 6, 7, 8, 11, 24, 25, 31]);
/** Bytes of a module's start read to find its ELF header and build-id note. */
const MODULE_HEAD_BYTES = 64 * 1024;

export interface CoreSnapshotExtra {
  /**
   * Files of /proc/PID (cmdline, environ, status, stat, maps) read while the crashed process was
   * held (the crash handler), and of the host (cpuinfo, lsb-release); written as their Linux
   * streams instead of what the core's notes allow to rebuild.
   */
  procFiles?: Record<string, Uint8Array>;
  /** MINIDUMP_SYSTEM_INFO (the host's, when converting on the machine that crashed); else only the architecture is known. */
  system?: SystemRecord;
  /** Seconds since 1970 for the header (the core's time, e.g. its file's mtime); else 0. */
  timestamp?: number;
}

export async function coreToSnapshot(core: ElfCore, variety: Variety, diagnostics: Diagnostics, extra: CoreSnapshotExtra = {}): Promise<ProcessSnapshot> {
  const arch = core.arch;
  const rules = VARIETY_RULES[variety];
  const procFiles = extra.procFiles ?? {};
  const { all, readable } = coreMappings(core);
  const planThreads: PlanThread[] = core.threads.map((t) => ({ id: t.id, sp: pcSp(arch, t.registers).sp, registerValues: planRegisterValues(t.registers) }));
  // miniplus rescues chunks of the largest area that stacks point into: read the stacks first.
  const stackWords = new Map<number, bigint[]>();
  if (rules.largestAreaThreshold !== undefined) {
    for (const [tid, s] of stackRanges(readable, planThreads)) stackWords.set(tid, wordsOf(await core.memory.read(s.address, s.size), core.wordSize));
  }
  const plan = planMemory(variety, readable, planThreads, (tid) => stackWords.get(tid) ?? []);
  if (plan.dropped.area) diagnostics.add(`miniplus: dropped the largest private area (${plan.dropped.area} bytes) except ${plan.dropped.keptChunks} 4 MiB chunks referenced from stacks or registers`);
  const memory: SnapshotMemory[] = plan.ranges.map((r) => ({ address: r.address, size: r.size, kind: r.kind, chunks: () => core.memory.chunks(r.address, r.size) }));

  const threads: ThreadRecord[] = core.threads.map((t) => ({
    id: t.id,
    teb: arch === 'amd64' ? (t.registers.gpr.fs_base ?? 0n) : arch === 'arm64' ? (t.registers.gpr.tpidr_el0 ?? 0n) : 0n,
    registers: t.registers,
    stack: plan.stacks.get(t.id),
  }));
  let exception: ExceptionRecord | undefined;
  const sig = core.signal;
  if (sig && CORE_DUMP_SIGNALS.has(sig.signo)) {
    const t = core.threads.find((x) => x.id === sig.threadId)!;
    exception = { threadId: t.id, code: sig.signo, flags: sig.code, address: sig.address ?? 0n, registers: t.registers };
  } else if (sig) diagnostics.add(`signal ${sig.signo} of thread ${sig.threadId} does not dump core by default: no Exception stream`);

  const first = core.threads[0];
  const pid = core.process?.pid ?? first?.id ?? 0;
  return {
    timestamp: extra.timestamp ?? 0,
    flags: rules.flags,
    system: extra.system ?? { arch, processorLevel: 0, processorRevision: 0, processorCount: 0, csdVersion: '', vendorId: '', cpuidVersion: 0, cpuidFeatures: 0 },
    misc: { processId: pid, processCreateTime: 0, processUserTime: Math.floor((first?.status.userMicros ?? 0) / 1e6), processKernelTime: Math.floor((first?.status.systemMicros ?? 0) / 1e6) },
    threads,
    modules: await readModules(core, all, diagnostics),
    memory,
    memoryInfo: memoryInfoFromMappings(all),
    exception,
    linuxStreams: linuxStreams(core, all, procFiles),
    linuxDsoDebug: dsoDebug(core, diagnostics),
  };
}

function linuxStreams(core: ElfCore, all: Mapping[], procFiles: Record<string, Uint8Array>): { type: number; data: Uint8Array }[] {
  const out: { type: number; data: Uint8Array }[] = [];
  const enc = new TextEncoder();
  const add = (type: number, data: Uint8Array | undefined): void => {
    if (data) out.push({ type, data });
  };
  const p = core.process;
  add(StreamType.LinuxCpuInfo, procFiles.cpuinfo);
  add(StreamType.LinuxLsbRelease, procFiles['lsb-release']);
  add(StreamType.LinuxCmdLine, procFiles.cmdline ?? (p ? enc.encode(p.args + '\0') : undefined));
  add(StreamType.LinuxEnviron, procFiles.environ);
  add(StreamType.LinuxAuxv, core.auxv);
  add(StreamType.LinuxProcStatus, procFiles.status ?? (p ? enc.encode(statusText(core)) : undefined));
  add(StreamType.LinuxMaps, procFiles.maps ?? enc.encode(mapsText(all)));
  return out;
}

/** The /proc/PID/status lines NT_PRPSINFO and NT_PRSTATUS know (real and effective ids alike: the note has one). */
function statusText(core: ElfCore): string {
  const p = core.process!;
  return [`Name:\t${p.name}`, `State:\t${p.state}`, `Tgid:\t${p.pid}`, `Pid:\t${p.pid}`, `PPid:\t${p.ppid}`, `Uid:\t${p.uid}\t${p.uid}\t${p.uid}\t${p.uid}`, `Gid:\t${p.gid}\t${p.gid}\t${p.gid}\t${p.gid}`, `Threads:\t${core.threads.length}`, ''].join('\n');
}

/** Modules from the mappings, each with its ELF build id read from its first page in the core. */
async function readModules(core: ElfCore, all: Mapping[], diagnostics: Diagnostics): Promise<ModuleRecord[]> {
  const out: ModuleRecord[] = [];
  for (const c of moduleCandidates(all)) {
    const size = c.end - c.base;
    const have = core.memory.readableFrom(c.base, size < BigInt(MODULE_HEAD_BYTES) ? size : BigInt(MODULE_HEAD_BYTES));
    if (have < 64n) {
      if (c.path.endsWith('.so') || /\.so[.\d]*$/.test(c.path)) diagnostics.add(`${c.path}: its first page is not in the core (coredump_filter): left out of the module list`);
      continue;
    }
    const head = await core.memory.read(c.base, Number(have));
    const id = readElfIdentity((off, len) => head.subarray(Math.min(off, head.length), Math.min(off + len, head.length)), c.first.path === '[vdso]');
    if (!id) continue; // not an ELF image (data file, font, locale archive…)
    if (!id.buildId) diagnostics.add(`${c.path}: no GNU build id in its first ${have} bytes in the core`);
    out.push({ base: c.base, size: Number(size), path: c.path, buildId: id.buildId });
  }
  return out;
}

function dsoDebug(core: ElfCore, diagnostics: Diagnostics): DsoDebug | undefined {
  if (!core.auxv) {
    diagnostics.add('LinuxDsoDebug not written: the core has no NT_AUXV');
    return undefined;
  }
  if (!core.memory.canReadSync) {
    diagnostics.add(`LinuxDsoDebug not written: ${core.source.name} cannot be read synchronously`);
    return undefined;
  }
  const read = (address: bigint, length: number): Uint8Array => {
    try {
      return core.memory.readSync(address, length);
    } catch (e) {
      if (e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP') throw new DumpError('ADDRESS_NOT_MAPPED', e.message);
      throw e;
    }
  };
  return readDsoDebug(read, core.auxv, core.wordSize, diagnostics);
}
