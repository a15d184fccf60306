// One opened dump in the worker: what each view asks of it, computed with the core (the same
// readers, processor and variety code the CLI runs), read lazily from the dump's ByteSource.
import { MemorySink } from '../../core/bytes/byte-sink.js';
import type { ByteSource } from '../../core/bytes/byte-source.js';
import { kernelBanner } from '../../core/debugger/kernel-target.js';
import { MinidumpTarget } from '../../core/debugger/minidump-target.js';
import { detectFormat } from '../../core/detect.js';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError, onlyDumpError } from '../../core/errors.js';
import { hex } from '../../core/hex.js';
import { KernelDump } from '../../core/kernel/kernel-dump.js';
import { summarizeKernelDump } from '../../core/kernel/summary.js';
import { Minidump } from '../../core/minidump/minidump.js';
import { summarizeMinidump } from '../../core/minidump/summary.js';
import { processKernelDump } from '../../core/processor/kernel-process.js';
import { processMinidump } from '../../core/processor/process.js';
import type { ProcessState } from '../../core/processor/process-state.js';
import { frameTitle } from '../../core/processor/text.js';
import { BreakpadSymbolProvider } from '../../core/symbols/breakpad/provider.js';
import type { FileOpener } from '../../core/symbols/types.js';
import { openKernelDumpForVarieties, type OpenedDump } from '../../core/varieties/opened-dump.js';
import { PAGE_CLASSES, pageGroup, NOT_RAM } from '../../core/varieties/page-class.js';
import { checkDerivable, DEFAULT_LIVE_OPTIONS, variety, type VarietyName } from '../../core/varieties/rules.js';
import { fromOpenedDump, planSource, writeFromSource, type VarietySource } from '../../core/varieties/variety-source.js';
import { buildMemoryMap, type MapRange } from './memory-map.js';
import { MAX_READ, type Composition, type DerivedDump, type DumpSummary, type MemoryBytes, type MemoryMap, type ModuleRow, type ThreadRow, type ThreadsResult } from './protocol.js';
import { WorkerBlobSource } from './sources.js';

export interface DumpSession {
  summary: DumpSummary;
  modules(): Promise<ModuleRow[]>;
  /** Walked stacks: every thread's, or (kernel dumps, `all` false) the crashing thread's only. */
  threads(all: boolean): Promise<ThreadsResult>;
  memoryMap(): Promise<MemoryMap>;
  read(address: bigint, length: number, space: 'virtual' | 'physical'): Promise<MemoryBytes>;
  composition(): Promise<Composition>;
  derive(name: string): Promise<DerivedDump>;
  addSymbols(files: File[]): Promise<{ added: string[]; diagnostics: string[] }>;
}

const MB = 1024 * 1024;
function bytesText(n: number): string {
  return n >= 1024 * MB ? `${(n / 1024 / MB).toFixed(2)} GiB` : n >= MB ? `${(n / MB).toFixed(1)} MiB` : n >= 1024 ? `${(n / 1024).toFixed(1)} KiB` : `${n} bytes`;
}

function stem(name: string): string {
  const base = name.slice(name.lastIndexOf('/') + 1);
  return base.replace(/\.[^.]*$/, '') || 'dump';
}

function threadRows(state: ProcessState): ThreadRow[] {
  return state.threads.map((t) => ({
    id: t.id,
    ...(t.name !== undefined ? { name: t.name } : {}),
    ...(t.processId !== undefined ? { processId: t.processId } : {}),
    crashed: state.crash?.threadIndex !== undefined ? state.crash.threadIndex === t.index : state.crash?.threadId === t.id,
    frames: t.stack.frames.map((f, index) => {
      const sp = f.registers.rsp ?? f.registers.esp ?? f.registers.sp;
      return {
        index,
        instruction: f.instruction,
        ...(sp !== undefined ? { sp } : {}),
        title: frameTitle(f),
        trust: f.trust,
        inlines: (f.inlines ?? []).map((i) => `${i.function}${i.file ? ` [${i.file.slice(Math.max(i.file.lastIndexOf('/'), i.file.lastIndexOf('\\')) + 1)} : ${i.line ?? 0}]` : ''}`),
      };
    }),
    ...(t.skipped ? { end: t.skipped === 'dump-thread' ? 'the thread that wrote the dump (not walked)' : 'not walked' } : t.stack.endReason ? { end: t.stack.endReason } : {}),
  }));
}

/** Breakpad .sym files given to the viewer, found as `<debug file>/<debug id>/<name>.sym` under "syms". */
class DroppedSymbols implements FileOpener {
  readonly separator = '/';
  readonly files = new Map<string, File>();
  async add(files: File[]): Promise<{ added: string[]; diagnostics: string[] }> {
    const added: string[] = [];
    const diagnostics: string[] = [];
    for (const f of files) {
      const head = new TextDecoder().decode(await f.slice(0, 4096).arrayBuffer()).split(/\r?\n/, 1)[0] ?? '';
      const m = /^MODULE \S+ \S+ ([0-9A-Fa-f]+) (.+)$/.exec(head);
      if (!m) {
        diagnostics.push(`${f.name}: not a Breakpad .sym file (no MODULE line first)`);
        continue;
      }
      const debugFile = m[2]!.trim();
      const stemName = debugFile.length > 4 && debugFile.slice(-4).toLowerCase() === '.pdb' ? debugFile.slice(0, -4) : debugFile;
      this.files.set(`syms/${debugFile}/${m[1]!.toUpperCase()}/${stemName}.sym`, f);
      added.push(`${debugFile} ${m[1]}`);
    }
    return { added, diagnostics };
  }
  async open(path: string): Promise<ByteSource | undefined> {
    const parts = path.split('/');
    const f = this.files.get([...parts.slice(0, -2), parts[parts.length - 2]!.toUpperCase(), parts[parts.length - 1]].join('/'));
    return f ? new WorkerBlobSource(f, f.name) : undefined;
  }
}

/** Reads what is there of [address, address+length): one `part` call per piece the dump may hold. */
async function readPieces(address: bigint, length: number, part: (at: bigint, max: number) => Promise<{ bytes?: Uint8Array; skip: number }>): Promise<MemoryBytes> {
  if (!Number.isSafeInteger(length) || length < 0 || length > MAX_READ) throw new DumpError('INVALID_ARGUMENT', `read of ${length} bytes: at most ${MAX_READ} at a time`);
  const bytes = new Uint8Array(length);
  const present = new Uint8Array(length);
  for (let done = 0; done < length; ) {
    const r = await part(address + BigInt(done), length - done);
    if (r.bytes) {
      bytes.set(r.bytes, done);
      present.fill(1, done, done + r.bytes.length);
      done += r.bytes.length;
    } else done += Math.max(1, Math.min(r.skip, length - done));
  }
  return { address, bytes, present };
}

const MINIDUMP_KINDS = ['image', 'mapped', 'private', 'stack', 'heap', 'reserved', 'memory (kind not recorded)', 'in the dump'];
const K = { image: 0, mapped: 1, private: 2, stack: 3, heap: 4, reserved: 5, unknown: 6, captured: 7 } as const;

/** What both kinds share: the summary, the source, the module rows, the walked threads (once). */
abstract class SessionBase<D> {
  protected threadsCache: Promise<ThreadsResult> | undefined;
  constructor(
    readonly summary: DumpSummary,
    protected readonly dump: D,
    protected readonly source: ByteSource,
    protected readonly moduleRows: ModuleRow[],
  ) {}
  async modules(): Promise<ModuleRow[]> {
    return this.moduleRows;
  }
}

class MinidumpSession extends SessionBase<Minidump> implements DumpSession {
  private readonly symbols = new DroppedSymbols();

  static async open(source: ByteSource): Promise<MinidumpSession> {
    const md = await Minidump.open(source);
    const s = await summarizeMinidump(source);
    const target = await MinidumpTarget.open(source);
    const facts: [string, string][] = [];
    if (s.system) facts.push(['System', `${s.system.os} ${s.system.osVersion}`], ['CPU', `${s.system.arch}, ${s.system.cpuCount} CPU${s.system.cpuCount === 1 ? '' : 's'}${s.system.cpuInfo ? ` (${s.system.cpuInfo})` : ''}`]);
    if (s.process?.pid !== undefined) facts.push(['Process id', String(s.process.pid)]);
    if (s.exception) {
      facts.push(['Exception', `${s.exception.name} (${s.exception.code})`], ['Crash address', hex(s.exception.address)], ['Crashing thread', String(s.exception.threadId)]);
      if (s.exception.reason && s.exception.reason !== s.exception.name) facts.push(['Reason', s.exception.reason]);
    } else facts.push(['Exception', 'none (the dump was not written for a crash)']);
    facts.push(
      ['Written', s.timestamp ? new Date(s.timestamp * 1000).toISOString() : 'unknown'],
      ['Threads', String(s.threads.length)],
      ['Modules', String(s.modules.length)],
      ['Memory', `${s.memory.ranges} ranges, ${bytesText(s.memory.bytes)}`],
      ['Dump flags', `${s.flags}${s.flagNames.length ? ` (${s.flagNames.join(', ')})` : ''}`],
      ['Streams', s.streams.map((x) => x.name).join(', ')],
    );
    const crashThread = s.exception && s.threads.find((t) => t.id === s.exception!.threadId);
    const summary: DumpSummary = {
      kind: 'minidump',
      name: source.name,
      size: source.size,
      title: target.bannerLine(),
      facts,
      limits: await target.bannerNotes(),
      diagnostics: s.diagnostics,
      // where the hex view opens: the crash pc when the dump holds all memory, else the stack (which it holds)
      interestingAddress: (target.fullMemory ? [s.exception?.pc, crashThread?.sp] : [crashThread?.sp, s.exception?.pc]).concat(s.threads[0]?.sp, s.threads[0]?.stack.base).find((a) => a !== undefined),
      canPlan: false,
    };
    const modules = s.modules.map((m) => ({ base: m.base, size: m.size, name: m.path, ...(m.version ? { version: m.version } : {}), ...(m.debugId ? { debugId: m.debugId } : {}), ...(m.debugFile ? { debugFile: m.debugFile } : {}) }));
    return new MinidumpSession(summary, md, source, modules);
  }

  threads(): Promise<ThreadsResult> {
    this.threadsCache ??= (async () => {
      const diagnostics = new Diagnostics();
      const symbols = this.symbols.files.size ? new BreakpadSymbolProvider({ dirs: ['syms'], opener: this.symbols, diagnostics }) : undefined;
      const state = await processMinidump(this.dump, { ...(symbols ? { symbols } : {}), diagnostics });
      const symbolized = state.modules.filter((m) => m.status === 'loaded').map((m) => m.module.codeFile);
      return { threads: threadRows(state), allWalked: true, symbolized, diagnostics: [...state.diagnostics] };
    })();
    return this.threadsCache;
  }

  async addSymbols(files: File[]): Promise<{ added: string[]; diagnostics: string[] }> {
    const r = await this.symbols.add(files);
    this.threadsCache = undefined;
    return r;
  }

  async memoryMap(): Promise<MemoryMap> {
    const md = this.dump;
    const ranges: MapRange[] = [];
    const notes: string[] = [];
    const note = (what: string) => (e: unknown) => void notes.push(`${what}: ${onlyDumpError(e).message}`);
    const info = await md.memoryInfoList().catch(note('MemoryInfoList'));
    const maps = info?.length ? undefined : await md.linuxMaps().catch(note('LinuxMaps'));
    const captured = await md.memoryRanges();
    const moduleIndex = this.moduleRows.map((m) => ({ start: m.base, end: m.base + BigInt(m.size), path: m.name }));
    if (info?.length) {
      for (const r of info) {
        if (r.state === 0x10000) continue; // MEM_FREE
        const kind = r.state === 0x2000 ? K.reserved : r.type === 0x1000000 ? K.image : r.type === 0x40000 ? K.mapped : K.private;
        ranges.push({ start: r.baseAddress, end: r.baseAddress + r.regionSize, kind, captured: false });
      }
    } else if (maps?.length) {
      for (const m of maps) {
        const kind =
          m.path === '[heap]' ? K.heap : m.path.startsWith('[stack') ? K.stack : m.path === '' ? K.private : moduleIndex.some((x) => x.path === m.path) ? K.image : K.mapped;
        ranges.push({ start: m.start, end: m.end, kind, captured: false });
      }
    } else {
      for (const r of captured) ranges.push({ start: r.start, end: r.start + BigInt(r.size), kind: K.unknown, captured: false });
      for (const m of moduleIndex) ranges.push({ start: m.start, end: m.end, kind: K.image, captured: false });
    }
    // Thread stacks: the regions holding a thread's stack pointer range are stacks (Windows does not mark them).
    const stacks = (await md.threads()).map((t) => ({ start: t.stack.startOfMemoryRange, end: t.stack.startOfMemoryRange + BigInt(t.stack.memory.dataSize) }));
    for (const r of ranges) if (r.kind !== K.image && r.kind !== K.reserved && stacks.some((s) => s.start < r.end && s.end > r.start)) r.kind = K.stack;
    for (const r of captured) ranges.push({ start: r.start, end: r.start + BigInt(r.size), kind: K.captured, captured: true });
    return { ...buildMemoryMap('virtual', MINIDUMP_KINDS, ranges), notes };
  }

  read(address: bigint, length: number): Promise<MemoryBytes> {
    return readPieces(address, length, async (at, max) => {
      const r = await this.dump.rangeAt(at);
      if (!r) return { skip: 16 - Number(at & 15n) };
      const skip = Number(at - r.start);
      const n = Math.min(max, r.size - skip);
      return { bytes: await this.source.read(r.fileOffset + skip, n), skip: n };
    });
  }

  composition(): Promise<Composition> {
    throw new DumpError('UNSUPPORTED', 'page-class composition is for kernel dumps; a minidump converts to MiniPlus or Mini with `dumpkit convert`');
  }
  derive(): Promise<DerivedDump> {
    return this.composition() as never;
  }
}

const PLANNED: VarietyName[] = ['complete', 'active', 'kernel', 'automatic', 'small', 'live-full', 'live-kernel-stacks'];

class KernelSession extends SessionBase<KernelDump> implements DumpSession {
  private opened: Promise<{ opened: OpenedDump; src: VarietySource; diag: Diagnostics }> | undefined;

  static async open(source: ByteSource): Promise<KernelSession> {
    const s = await summarizeKernelDump(source);
    const dump = await KernelDump.open(source, new Diagnostics());
    const facts: [string, string][] = [
      ['Dump type', `${s.dumpType} (${s.dumpTypeName})`],
      ['Machine', `${s.machine}${s.processors !== undefined ? `, ${s.processors} processor${s.processors === 1 ? '' : 's'}` : ''}${s.build !== undefined ? `, build ${s.build}` : ''}`],
      ['Bug check', `${hex(s.bugcheck.code)}${s.bugcheck.name ? ` ${s.bugcheck.name}` : ''} (${s.bugcheck.parameters.map((p) => hex(p)).join(', ')})`],
      ['System time', s.systemTime ?? 'unknown'],
      ['Physical memory in the dump', `${s.physicalPages} pages, ${bytesText(s.physicalBytes)}`],
      ['Kernel base', s.kernelBase !== undefined ? hex(s.kernelBase) : 'unknown'],
      ['Directory table base', hex(s.directoryTableBase)],
      ['Modules', String(s.modules.length)],
      ['Processes', String(s.processes.length)],
    ];
    if (s.attributes.length) facts.push(['Attributes', s.attributes.join(', ')]);
    if (s.comment) facts.push(['Comment', s.comment]);
    const canPlan = dump.header.is64 && dump.machine === 'amd64' && [1, 4, 5, 6].includes(dump.dumpType);
    const summary: DumpSummary = {
      kind: 'kernel',
      name: source.name,
      size: source.size,
      title: kernelBanner(dump.dumpType),
      facts,
      limits: s.limits,
      diagnostics: s.diagnostics,
      interestingAddress: s.context?.pc ?? s.kernelBase,
      canPlan,
    };
    return new KernelSession(summary, dump, source, s.modules.map((m) => ({ base: m.base, size: m.size, name: m.name })));
  }

  private allThreads: Promise<ThreadsResult> | undefined;
  threads(all: boolean): Promise<ThreadsResult> {
    if (all) return (this.allThreads ??= this.walk(true));
    return (this.threadsCache ??= this.walk(false));
  }
  private walk(all: boolean): Promise<ThreadsResult> {
    return (async () => {
      if (this.dump.machine !== 'amd64') throw new DumpError('UNSUPPORTED', `kernel stacks are walked for x64 dumps; this one is ${this.dump.machine}`);
      const diagnostics = new Diagnostics();
      const state = await processKernelDump(this.dump, { diagnostics, threads: all ? 'all' : 'crashing' });
      return { threads: threadRows(state), allWalked: all, symbolized: [], diagnostics: [...state.diagnostics] };
    })();
  }

  async addSymbols(): Promise<{ added: string[]; diagnostics: string[] }> {
    throw new DumpError('UNSUPPORTED', 'kernel stacks are named from the images in the dump (exports and .pdata); .sym files are for minidumps here');
  }

  private varieties(): Promise<{ opened: OpenedDump; src: VarietySource; diag: Diagnostics }> {
    this.opened ??= (async () => {
      const diag = new Diagnostics();
      const opened = await openKernelDumpForVarieties(this.source, this.source.name, diag);
      return { opened, src: fromOpenedDump(opened), diag };
    })();
    return this.opened;
  }

  async memoryMap(): Promise<MemoryMap> {
    const ranges: MapRange[] = [];
    const kinds = [...PAGE_CLASSES, 'not RAM', 'in the dump'];
    const IN_DUMP = kinds.length - 1;
    let available: { first: number; count: number }[] = [];
    if (this.summary.canPlan && this.dump.physical) {
      const { opened } = await this.varieties();
      available = opened.available ?? [];
      const c = opened.classes;
      for (let p = 0; p < c.length; ) {
        const k = c[p]!;
        let q = p + 1;
        while (q < c.length && c[q] === k) q++;
        if (k !== NOT_RAM) ranges.push({ start: BigInt(p) * 4096n, end: BigInt(q) * 4096n, kind: k < PAGE_CLASSES.length ? k : 0, captured: false });
        p = q;
      }
    } else if (this.dump.physical) {
      available = [...this.dump.physical.runs()].map((r) => ({ first: r.firstPfn, count: r.count }));
    } else throw new DumpError('LIMIT', 'a small memory dump holds no physical memory: there is no memory map to draw');
    for (const r of available) ranges.push({ start: BigInt(r.first) * 4096n, end: BigInt(r.first + r.count) * 4096n, kind: IN_DUMP, captured: true });
    const map = buildMemoryMap('physical', kinds, ranges);
    map.groups = kinds.map((k, i) => (i < PAGE_CLASSES.length ? pageGroup(PAGE_CLASSES[i]!) : k));
    return map;
  }

  read(address: bigint, length: number, space: 'virtual' | 'physical'): Promise<MemoryBytes> {
    return readPieces(address, length, async (at, max) => {
      const n = Math.min(max, 4096 - Number(at & 0xfffn));
      try {
        const bytes = space === 'physical' ? await this.dump.requirePhysical().read(at, n) : await this.dump.readVirtual(at, n);
        return { bytes, skip: n };
      } catch (e) {
        const err = onlyDumpError(e);
        if (err.code === 'LIMIT' && !this.dump.physical) throw err;
        return { skip: n };
      }
    });
  }

  async composition(): Promise<Composition> {
    if (!this.summary.canPlan) throw new DumpError('UNSUPPORTED', 'composition and derived varieties need an x64 kernel dump of type 1, 4, 5 or 6');
    const { src, diag } = await this.varieties();
    const plans = await planSource(src, DEFAULT_LIVE_OPTIONS, diag, PLANNED);
    const groups: Record<string, string> = {};
    for (const c of PAGE_CLASSES) groups[c] = pageGroup(c);
    return {
      ramBytes: src.ramBytes,
      variety: src.variety.name,
      classification: src.classification === 'derived' ? 'from the page tables' : src.classification === 'model' ? 'from the model' : "from dumpkit's page-class record in the dump",
      varieties: plans.map((p) => {
        let derivable = p.name !== src.variety.name;
        try {
          checkDerivable(src.variety, variety(p.name, DEFAULT_LIVE_OPTIONS));
        } catch (e) {
          onlyDumpError(e);
          derivable = false;
        }
        const pages: Record<string, number> = {};
        for (const [k, v] of Object.entries(p.pages)) if (v) pages[k] = v;
        return { name: p.name, dumpType: p.dumpType, bytes: p.bytes, pageFileBytes: p.pageFileBytes, pages, derivable, ...(p.note ? { note: p.note } : {}) };
      }),
      groups,
      diagnostics: diag.list(),
    };
  }

  async derive(name: string): Promise<DerivedDump> {
    if (!(PLANNED as string[]).includes(name)) throw new DumpError('INVALID_ARGUMENT', `no variety named ${JSON.stringify(name)}`);
    const { src } = await this.varieties();
    const sink = new MemorySink();
    const r = await writeFromSource(src, variety(name as VarietyName, DEFAULT_LIVE_OPTIONS), sink);
    return { name: `${stem(this.source.name)}-${name}.dmp`, variety: name, bytes: sink.toBytes(), pages: r.pages };
  }
}

/** Opens a dump of either kind from `source`. */
export async function openSession(source: ByteSource): Promise<DumpSession> {
  return (await detectFormat(source)) === 'minidump' ? MinidumpSession.open(source) : KernelSession.open(source);
}
