/** The debugger's view of a kernel dump (PAGEDUMP / PAGEDU64), with a current process context. */
import type { ByteSource } from '../bytes/byte-source.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { bugCheckName } from '../kernel/bugcheck.js';
import { KernelDump } from '../kernel/kernel-dump.js';
import type { KernelProcess } from '../kernel/kernel-facts.js';
import { isMissing } from '../kernel/virtual.js';
import { addr64 } from './format.js';
import { uptime, suiteText } from './minidump-target.js';
import { mappedRunsX64 } from './paging.js';
import {
  clipExtents,
  moduleNameOf,
  normalizeRegisters,
  uniqueModuleNames,
  type DebugArch,
  type DebugModule,
  type DebugTargetBase,
  type DebugThread,
  type ExceptionInfo,
  type Extent,
  TargetOver,
} from './target.js';

/** The process whose address space user addresses are read in (`.process /p`). */
export interface ProcessContext {
  eprocess: bigint;
  directoryTableBase: bigint;
  name: string;
}

/** Attribute bit of a live dump's header (DUMP_HEADER.Attributes). */
const ATTRIBUTE_LIVE_DUMP = 0x8;

/**
 * The opening line WinDbg prints for each kernel dump type. Sources: the seed's session log (type 2
 * and, from WinDbg 6.x, kernel memory dumps in general), published WinDbg logs (types 1 and 6 of
 * WinDbg 10), the task's brief (type 4). Type 5's line is WinDbg's "Full address space" wording for
 * bitmap dumps; no public log of it was found here (docs/debugger.md).
 */
export function kernelBanner(dumpType: number): string {
  switch (dumpType) {
    case 1:
      return 'Kernel Complete Dump File: Full address space is available';
    case 2:
    case 6:
    case 8:
      return 'Kernel Summary Dump File: Only kernel address space is available';
    case 4:
      return 'Mini Kernel Dump File: Only registers and stack trace are available';
    case 5:
      return 'Kernel Bitmap Dump File: Full address space is available';
    default:
      return `Kernel Dump File (DumpType ${dumpType}): what it holds is not known to this debugger`;
  }
}

export class KernelTarget extends TargetOver<KernelDump> implements DebugTargetBase {
  readonly kind = 'kernel' as const;
  /** Current process for user addresses (undefined: the dump header's DirectoryTableBase). */
  process: ProcessContext | undefined;
  private processesCache: KernelProcess[] | undefined;

  private constructor(dump: KernelDump, arch: DebugArch, pointerSize: 4 | 8) {
    super(dump, arch, pointerSize);
  }

  static async open(source: ByteSource): Promise<KernelTarget> {
    const dump = await KernelDump.open(source);
    return new KernelTarget(dump, dump.machine, dump.header.is64 ? 8 : 4);
  }

  bannerLine(): string {
    return kernelBanner(this.dump.dumpType);
  }

  async bannerNotes(): Promise<string[]> {
    const notes: string[] = [];
    if (this.dump.dumpType === 6 || this.dump.dumpType === 8) {
      notes.push('(WinDbg 10 opens this DumpType as "Kernel Bitmap Dump File: Kernel address space is available, User address space may not be available.")');
    }
    notes.push(...this.dump.limits());
    if (this.dump.header.bugCheckCode !== undefined) notes.push(...(await this.bugcheckLines()));
    return notes;
  }

  sessionKind(): string {
    const live = ((this.dump.header.attributes ?? 0) & ATTRIBUTE_LIVE_DUMP) !== 0;
    return `${live ? 'Live kernel' : 'Kernel'} dump (DumpType ${this.dump.dumpType}, ${this.dump.dumpTypeName})`;
  }

  async bugcheckLines(): Promise<string[]> {
    const h = this.dump.header;
    if (h.bugCheckCode === undefined) return ['No bug check code in this dump'];
    const name = bugCheckName(h.bugCheckCode);
    const p = h.bugCheckParameters.map((v) => (this.pointerSize === 8 ? addr64(v) : (v & 0xffffffffn).toString(16).padStart(8, '0')));
    return [
      `Bugcheck code ${h.bugCheckCode.toString(16).toUpperCase().padStart(8, '0')}${name ? ` (${name})` : ''}`,
      `Arguments ${p.join(' ')}`,
    ];
  }

  async versionLines(): Promise<string[]> {
    const h = this.dump.header;
    const procs = h.numberProcessors ?? 1;
    const archName = this.arch === 'amd64' ? 'x64' : this.arch === 'x86' ? 'x86 compatible' : 'ARM64';
    const lines = [`Windows 10 Kernel Version ${h.minorVersion ?? '?'} ${procs > 1 ? 'MP' : 'UP'} (${procs} procs) Free ${archName}`];
    if (h.productType !== undefined) lines.push(`Product: ${h.productType === 1 ? 'WinNt' : h.productType === 2 ? 'LanManNt' : 'Server'}, suite: ${suiteText(h.suiteMask ?? 0)}`);
    const kdbg = await this.dump.debuggerData().catch(missingToUndefined);
    const kb = kdbg?.kernBase ?? (await this.modules())[0]?.base;
    const pslm = h.psLoadedModuleList;
    lines.push(`Kernel base = ${kb !== undefined ? '0x' + addr64(kb) : 'unknown'} PsLoadedModuleList = ${pslm !== undefined ? '0x' + addr64(pslm) : 'unknown'}`);
    if (h.systemTime !== undefined) lines.push(`Debug session time: ${fileTimeText(h.systemTime)}`);
    if (h.systemUpTime !== undefined) lines.push(`System Uptime: ${uptime(Number(h.systemUpTime / 10_000_000n))}`);
    return lines;
  }

  async modules(): Promise<DebugModule[]> {
    if (this.modulesCache) return this.modulesCache;
    const mods = (await this.dump.modules()).map((m): DebugModule => ({ base: m.base, size: BigInt(m.size), name: moduleNameOf(m.name), path: m.fullName || m.name }));
    this.modulesCache = uniqueModuleNames(mods);
    return this.modulesCache;
  }

  async processes(): Promise<KernelProcess[]> {
    this.processesCache ??= await this.dump.processes();
    return this.processesCache;
  }

  async threads(): Promise<DebugThread[]> {
    const regs = normalizeRegisters(this.dump.context().registers);
    return [{ index: 0, id: 0, registers: () => Promise.resolve(regs) }];
  }

  async exception(): Promise<ExceptionInfo | undefined> {
    const e = this.dump.header.exception;
    if (!e || (e.code === 0 && e.address === 0n)) return undefined;
    return { threadId: undefined, code: e.code, flags: e.flags, record: e.record, address: e.address, parameters: e.information.slice(0, e.numberParameters) };
  }

  /** The table base for the current process (the header's when none is set). */
  get directoryTableBase(): bigint | undefined {
    return this.process?.directoryTableBase;
  }

  read(address: bigint, length: number, options: { ignoreMissing?: boolean } = {}): Promise<Uint8Array> {
    return this.dump.readVirtual(address, length, { dtb: this.directoryTableBase, ignoreMissing: options.ignoreMissing });
  }

  async *extents(start: bigint, end: bigint, signal?: AbortSignal): AsyncIterable<Extent> {
    const d = this.dump;
    const tick = async (): Promise<void> => {
      await new Promise((r) => setTimeout(r, 0));
      signal?.throwIfAborted();
    };
    if (d.triage) {
      yield* clipExtents(d.triage.regions.map((r) => ({ start: r.va, end: r.va + BigInt(r.size) })), start, end);
      return;
    }
    if (d.pagingMode === 'x64' && d.physical) {
      const dtb = this.directoryTableBase ?? d.directoryTableBase;
      for await (const r of mappedRunsX64(d.physical, dtb, start, end, tick)) {
        const s = r.va > start ? r.va : start;
        const t = r.va + r.size < end ? r.va + r.size : end;
        if (s < t) yield { start: s, end: t };
      }
      return;
    }
    // other paging modes: page by page through the dump's own translation
    let run: Extent | undefined;
    let n = 0;
    for (let p = start & ~0xfffn; p < end; p += 0x1000n) {
      if (++n % 1024 === 0) await tick();
      let ok = true;
      try {
        await this.dump.readVirtual(p, 1, { dtb: this.directoryTableBase });
      } catch (e) {
        if (!(e instanceof DumpError) || !isMissing(e)) throw e;
        ok = false;
      }
      if (!ok) continue;
      const s = p > start ? p : start;
      const t = p + 0x1000n < end ? p + 0x1000n : end;
      if (run && run.end === s) run.end = t;
      else {
        if (run) yield run;
        run = { start: s, end: t };
      }
    }
    if (run) yield run;
  }
}

function missingToUndefined(e: unknown): undefined {
  if (e instanceof DumpError) return undefined;
  throw e;
}

/** A FILETIME (100 ns since 1601) as a UTC date. */
export function fileTimeText(ft: bigint): string {
  const ms = Number(ft / 10_000n) - 11644473600000;
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) ? `${d.toUTCString()} (UTC)` : `FILETIME ${hex(ft)}`;
}
