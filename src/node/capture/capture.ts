import { Diagnostics } from '../../core/diagnostics.js';
import { readElfIdentity } from '../../core/elf/build-id.js';
import { DumpError } from '../../core/errors.js';
import { readDsoDebug, type DsoDebug } from '../../core/linux/dso-debug.js';
import { applySmaps, forkExcluded, moduleCandidates, parseMaps, type ForkExcluded, type Mapping } from '../../core/linux/maps.js';
import { planMemory, planRegisterValues, stackRanges, VARIETY_RULES, wordsOf, type PlannedRange, type PlanThread, type Variety } from '../../core/minidump/varieties.js';
import { memoryInfoFromMappings } from '../../core/minidump/writer/memory-info-list.js';
import { pcSp } from '../../core/minidump/writer/context.js';
import { StreamType } from '../../core/minidump/writer/constants.js';
import type { ByteSink } from '../../core/bytes/byte-sink.js';
import type { WriterArch, ExceptionRecord, SnapshotMemory, ModuleRecord, ProcessSnapshot, ThreadRecord } from '../../core/minidump/writer/model.js';
import { writeMinidump } from '../../core/minidump/writer/minidump-writer.js';
import { copyRanges, CopyPool, directRanges, readExactly, readFully, snapshotFileRanges, type FillTarget } from './memory-copy.js';
import { hostFile, memAvailable, miscRecord, systemRecord } from './system.js';
import { exitedError, FATAL_SIGNALS, type MemoryReader, type Snapshot, type TargetProcess } from './target.js';

export interface CaptureOptions {
  variety: Variety;
  /** Default true: refuse when the copy would not fit in MemAvailable with a margin. */
  abortOnMemoryPressure?: boolean;
  /** Bytes of available memory (tests); read from /proc/meminfo when absent. */
  memAvailable?: number;
  diagnostics?: Diagnostics;
  onProgress?: (phase: 'copy' | 'write', done: number, total: number) => void;
  /** Called if SIGINT/SIGTERM arrive while the target is stopped, after it has been resumed. */
  onInterrupted?: (signal: NodeJS.Signals) => void;
  now?: () => number;
  /**
   * 'auto' (default): a copy-on-write snapshot (the target stops only for its page tables) when a
   * full or miniplus capture has more than SNAPSHOT_MIN_BYTES of mappings; else a copy while
   * stopped, which for a few megabytes is quicker than copying the page tables.
   * 'fork': the snapshot whatever the size. Both fall back to 'copy' when the snapshot is not
   * possible. 'copy': copy memory into dumpkit while the target is stopped.
   */
  snapshot?: 'auto' | 'fork' | 'copy';
  /**
   * Keep the target stopped until the file is written, and write memory straight from it (for a
   * process caught crashing: letting it run would let it die before its memory is read).
   */
  writeWhileStopped?: boolean;
  /** Written as the dump's comment streams (CommentStreamA/W): why it was taken. */
  comment?: string;
}

export interface CaptureResult {
  pid: number;
  variety: Variety;
  arch: WriterArch;
  threads: number;
  modules: number;
  memoryBytes: number;
  memoryRanges: number;
  fileSize: number;
  /** Milliseconds the target was stopped. */
  pauseMs: number;
  totalMs: number;
  /** True when memory was written straight from the stopped process (memory pressure override). */
  writtenWhilePaused: boolean;
  /** How memory was taken: from a copy-on-write snapshot, copied while stopped, or written while stopped. */
  method: 'snapshot' | 'copy' | 'direct';
  /** Bytes of memory the snapshot process wrote into the file itself (the rest passed through dumpkit). */
  bytesWrittenBySnapshot: number;
  diagnostics: string[];
}

/** Below this much memory to copy, copying while stopped is quicker than a snapshot (whose cost is the page tables). */
export const SNAPSHOT_MIN_BYTES = 32 * 1024 * 1024;
const MiB = 1024 * 1024;

/**
 * Captures a minidump of `target` into the sink created by `openSink` (opened only once the
 * target has been stopped successfully). The target is stopped only while its registers and
 * memory are copied into our memory; the file is written after it runs again.
 */
export async function captureProcess(target: TargetProcess, openSink: () => ByteSink & Partial<FillTarget>, opts: CaptureOptions): Promise<CaptureResult> {
  const now = opts.now ?? (() => performance.now());
  const t0 = now();
  const diagnostics = opts.diagnostics ?? new Diagnostics();
  const arch: WriterArch = target.is64 ? 'amd64' : 'x86';
  const rules = VARIETY_RULES[opts.variety];
  const text = (name: string): string | undefined => {
    const b = target.procFile(name);
    return b ? new TextDecoder().decode(b) : undefined;
  };

  // Before the pause: everything that does not need the process stopped.
  const linuxStreams: { type: number; data: Uint8Array }[] = [];
  const addStream = (type: number, data: Uint8Array | undefined): void => {
    if (data) linuxStreams.push({ type, data });
  };
  addStream(StreamType.LinuxCpuInfo, hostFile('/proc/cpuinfo'));
  addStream(StreamType.LinuxLsbRelease, hostFile('/etc/lsb-release') ?? hostFile('/etc/os-release'));
  addStream(StreamType.LinuxCmdLine, target.procFile('cmdline'));
  addStream(StreamType.LinuxEnviron, target.procFile('environ'));
  const auxv = target.procFile('auxv');
  addStream(StreamType.LinuxAuxv, auxv);
  const preMaps = text('maps');
  if (preMaps === undefined) throw new DumpError('NO_SUCH_PROCESS', `cannot read /proc/${target.pid}/maps: the process is gone or not readable`);
  const estimate = rules.bulk ? estimateBulk(parseMaps(preMaps)) : 0;
  const available = opts.memAvailable ?? memAvailable() ?? Number.MAX_SAFE_INTEGER;
  const abortOnPressure = opts.abortOnMemoryPressure ?? true;
  const fits = (bytes: number, extra = 0): boolean => bytes + Math.max(256 * MiB, bytes / 10) <= available + extra;
  const pool = new CopyPool();
  const how = opts.snapshot ?? 'auto';
  const worthIt = how === 'fork' || (how === 'auto' && rules.bulk && estimate >= SNAPSHOT_MIN_BYTES);
  const trySnapshot = !opts.writeWhileStopped && worthIt && !!target.snapshot;
  // Mappings a fork does not see (MADV_DONTFORK, MADV_WIPEONFORK: V8's heap among them) are
  // copied while the target is stopped; smaps is read now, before the pause, to find them.
  let excluded: ForkExcluded[] = [];
  if (trySnapshot) {
    const smaps = text('smaps');
    if (smaps) excluded = forkExcluded(smaps);
  }
  if (trySnapshot || opts.writeWhileStopped) {
    /* memory is read from the snapshot: nothing to preallocate */
  } else if (fits(estimate)) pool.preallocate(estimate);
  else if (abortOnPressure) throw pressureError(estimate, available);

  // The pause.
  const onSignal = (signal: NodeJS.Signals): void => {
    target.resume();
    opts.onInterrupted?.(signal);
  };
  process.once('SIGINT', onSignal);
  process.once('SIGTERM', onSignal);
  let pauseStart = 0;
  let pauseEnd = 0;
  let memory: SnapshotMemory[];
  let snapshotBase: Omit<ProcessSnapshot, 'memory' | 'modules'>;
  let maps: Mapping[];
  let written = false;
  let method: CaptureResult['method'] = 'copy';
  let snap: Snapshot | undefined;
  let modules: ModuleRecord[] | undefined;
  const stats = { bytesWrittenBySnapshot: 0 };
  let sink: (ByteSink & Partial<FillTarget>) | undefined;
  let writeResult: Awaited<ReturnType<typeof writeMinidump>> | undefined;
  try {
    pauseStart = now();
    const stopped = target.stop();
    const mapsText = text('maps');
    if (mapsText === undefined) throw exitedError(target.pid);
    maps = parseMaps(mapsText);
    if (rules.dropUnmodifiedImages) {
      const smaps = text('smaps');
      if (smaps) applySmaps(maps, smaps);
    }
    const status = target.procFile('status');
    const stat = text('stat');
    addStream(StreamType.LinuxProcStatus, status);
    addStream(StreamType.LinuxMaps, new TextEncoder().encode(mapsText));

    const planThreads: PlanThread[] = stopped.map((t) => {
      const { sp } = pcSp(arch, t.registers);
      return { id: t.id, sp, registerValues: planRegisterValues(t.registers) };
    });
    const stacks = stackRanges(maps, planThreads);
    const wordSize = arch === 'amd64' ? 8 : 4;
    // A few small reads: program headers, the dynamic section, r_debug and the link_map list.
    let linuxDsoDebug: DsoDebug | undefined;
    if (auxv) linuxDsoDebug = readDsoDebug((address, length) => readExactly(target, address, length), auxv, wordSize, diagnostics);
    else diagnostics.add(`LinuxDsoDebug not written: /proc/${target.pid}/auxv could not be read`);
    const stackWords = (tid: number): bigint[] => {
      const s = stacks.get(tid);
      if (!s) return [];
      const buf = new Uint8Array(s.size);
      readFully(target, s.address, buf);
      return wordsOf(buf, wordSize);
    };
    const plan = planMemory(opts.variety, maps, planThreads, stackWords);
    if (plan.dropped.area) diagnostics.add(`miniplus: dropped the largest private area (${plan.dropped.area} bytes) except ${plan.dropped.keptChunks} 4 MiB chunks referenced from stacks or registers`);
    if (trySnapshot) {
      const s = target.snapshot!(stopped);
      if ('reason' in s) diagnostics.add(`no copy-on-write snapshot (${s.reason}): memory copied while the target is stopped`);
      else snap = s;
    }
    const need = plan.ranges.reduce((a, r) => a + r.size, 0);
    const direct = opts.writeWhileStopped || (!snap && !fits(need, pool.allocatedBytes));
    if (direct && !opts.writeWhileStopped && abortOnPressure) throw pressureError(need, available + pool.allocatedBytes);

    const threads: ThreadRecord[] = stopped.map((t) => ({
      id: t.id,
      name: target.threadName(t.id),
      teb: arch === 'amd64' ? (t.registers.gpr.fs_base ?? 0n) : 0n,
      registers: t.registers,
      stack: plan.stacks.get(t.id),
    }));
    const crashed = stopped.find((t) => t.signal && FATAL_SIGNALS.has(t.signal.signo));
    const exception: ExceptionRecord | undefined = crashed?.signal
      ? { threadId: crashed.id, code: crashed.signal.signo, flags: crashed.signal.code, address: crashed.signal.address, registers: crashed.registers }
      : undefined;
    snapshotBase = {
      timestamp: Math.floor(Date.now() / 1000),
      flags: rules.flags,
      system: systemRecord(arch),
      misc: miscRecord(target.pid, stat),
      threads,
      memoryInfo: memoryInfoFromMappings(maps),
      exception,
      linuxStreams,
      ...(opts.comment !== undefined ? { comment: opts.comment } : {}),
      linuxDsoDebug,
    };
    if (snap) {
      method = 'snapshot';
      // What the snapshot cannot see is copied now, while stopped; the rest the snapshot writes
      // into the file itself (one copy in the kernel).
      const unseen = (r: PlannedRange): boolean => excluded.some((e) => r.address < e.end && r.address + BigInt(r.size) > e.start);
      const copyNow = plan.ranges.filter(unseen);
      const copyBytes = copyNow.reduce((a, r) => a + r.size, 0);
      let copied: SnapshotMemory[] = [];
      if (copyNow.length && fits(copyBytes)) {
        copied = await copyRanges(target, copyNow, pool, diagnostics);
        diagnostics.add(`${copyNow.length} ranges (${copyBytes} bytes) marked MADV_DONTFORK/MADV_WIPEONFORK, which the snapshot does not see, were copied while the target was stopped`);
      } else if (copyNow.length) {
        diagnostics.add(`${copyBytes} bytes marked MADV_DONTFORK/MADV_WIPEONFORK do not fit in available memory: they are missing (zeros) from the dump`);
      }
      const fromSnapshot = snapshotFileRanges(snap, plan.ranges.filter((r) => !copied.length || !unseen(r)), diagnostics, () => sink!, stats);
      memory = [...copied, ...fromSnapshot].sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : 0));
    } else if (!direct) {
      memory = await copyRanges(target, plan.ranges, pool, diagnostics, (d, t) => opts.onProgress?.('copy', d, t));
      pool.trim();
    } else {
      // Memory pressure override: write straight from the stopped process.
      if (!opts.writeWhileStopped) diagnostics.add(`memory pressure: ${need} bytes do not fit in MemAvailable; writing while the target is stopped`);
      method = 'direct';
      memory = directRanges(target, plan.ranges, diagnostics);
      modules = readModules(target, target, maps, diagnostics);
      sink = openSink();
      writeResult = await writeMinidump({ ...snapshotBase, memory, modules }, sink, (d, t) => opts.onProgress?.('write', d, t));
      written = true;
    }
  } catch (e) {
    snap?.end();
    if (target.gone()) throw exitedError(target.pid);
    throw e;
  } finally {
    target.resume();
    pauseEnd = now();
    process.removeListener('SIGINT', onSignal);
    process.removeListener('SIGTERM', onSignal);
  }

  // The vDSO is read from the snapshot when there is one: the target may be gone by now.
  modules ??= readModules(target, snap ?? target, maps, diagnostics);
  if (!written) {
    try {
      sink = openSink();
      writeResult = await writeMinidump({ ...snapshotBase, memory, modules }, sink, (d, t) => opts.onProgress?.('write', d, t));
    } finally {
      snap?.end();
    }
  }
  const t1 = now();
  return {
    pid: target.pid,
    variety: opts.variety,
    arch,
    threads: snapshotBase.threads.length,
    modules: modules.length,
    memoryBytes: writeResult!.memoryBytes,
    memoryRanges: writeResult!.memoryRanges,
    fileSize: writeResult!.size,
    pauseMs: pauseEnd - pauseStart,
    totalMs: t1 - t0,
    writtenWhilePaused: written,
    method,
    bytesWrittenBySnapshot: stats.bytesWrittenBySnapshot,
    diagnostics: diagnostics.list(),
  };
}

function pressureError(need: number, available: number): DumpError {
  return new DumpError(
    'MEMORY_PRESSURE',
    `copying ${Math.ceil(need / MiB)} MiB of the target would not fit in the ${Math.floor(available / MiB)} MiB of available memory with a safety margin; free memory, choose a smaller --type, or pass --no-abort-on-memory-pressure to write while the target stays stopped`,
  );
}

function estimateBulk(maps: Mapping[]): number {
  return maps.filter((m) => m.perms[0] === 'r').reduce((a, m) => a + Number(m.end - m.start), 0);
}

/** Modules from the mappings, each with its ELF build id (from the file, or from memory for the vDSO). */
function readModules(target: TargetProcess, memory: MemoryReader, maps: Mapping[], diagnostics: Diagnostics): ModuleRecord[] {
  const out: ModuleRecord[] = [];
  for (const c of moduleCandidates(maps)) {
    const size = Number(c.end - c.base);
    let read: (off: number, len: number) => Uint8Array;
    if (c.first.path === '[vdso]') {
      read = (off, len) => {
        const n = Math.max(0, Math.min(len, size - off));
        const b = new Uint8Array(n);
        readFully(memory, c.base + BigInt(off), b);
        return b;
      };
    } else {
      read = (off, len) => target.readMappedFile(c.first.path.replace(/ \(deleted\)$/, ''), off, len) ?? new Uint8Array(0);
    }
    const id = readElfIdentity(read, c.first.path === '[vdso]');
    if (!id) continue; // not an ELF image (data file, font, locale archive…)
    if (!id.buildId) diagnostics.add(`${c.path}: no GNU build id`);
    out.push({ base: c.base, size, path: c.path, buildId: id.buildId });
  }
  return out;
}
