/**
 * What the debugger sees of a dump, whatever its kind: the address space(s), modules, threads and
 * their registers, the stored exception. Two kinds implement it: a user-mode minidump
 * (minidump-target.ts) and a kernel dump (kernel-target.ts).
 */
import type { ByteSource } from '../bytes/byte-source.js';

export type DebugArch = 'x86' | 'amd64' | 'arm64' | 'arm' | 'other';

/** Registers by lower-case WinDbg name (`rip`, `efl`, `cs`, `x0`, `fp`, `lr`, `sp`, `pc`, `cpsr`). */
export type Registers = Record<string, bigint>;

export interface DebugModule {
  base: bigint;
  size: bigint;
  /** WinDbg's module name: file name without its extension (`ntdll`), `nt` for the kernel image. */
  name: string;
  /** Path or file name as the dump records it. */
  path: string;
  timestamp?: number;
  checksum?: number;
  version?: string;
  debugFile?: string;
  debugId?: string;
}

export interface DebugThread {
  /** Debugger thread number (0, 1, …). */
  index: number;
  /** OS thread id (kernel dumps: the processor number). */
  id: number;
  suspendCount?: number;
  teb?: bigint;
  name?: string;
  /** The stack range the dump records for it. */
  stack?: { start: bigint; size: number };
  registers(): Promise<Registers | undefined>;
}

export interface ExceptionInfo {
  threadId: number | undefined;
  code: number;
  flags: number;
  record: bigint;
  address: bigint;
  parameters: bigint[];
  /** Registers at the exception (.ecxr), when the dump stores them. */
  registers?: () => Promise<Registers | undefined>;
  /** OS-specific name of the code (`EXCEPTION_ACCESS_VIOLATION_READ`). */
  name?: string;
}

/** A readable stretch of the current address space. */
export interface Extent {
  start: bigint;
  end: bigint;
}

export interface ReadOptions {
  /** Missing pages read as zeros (.ignore_missing_pages). */
  ignoreMissing?: boolean;
}

export interface DebugTargetBase {
  readonly source: ByteSource;
  readonly arch: DebugArch;
  readonly pointerSize: 4 | 8;
  /** The opening line WinDbg prints for this kind of dump. */
  bannerLine(): string;
  /** Further lines of the banner (what this dump can answer). */
  bannerNotes(): Promise<string[]>;
  /** `vertarget` lines. */
  versionLines(): Promise<string[]>;
  /** `||` description of the dump kind. */
  sessionKind(): string;
  modules(): Promise<DebugModule[]>;
  threads(): Promise<DebugThread[]>;
  exception(): Promise<ExceptionInfo | undefined>;
  /** Bytes of the current address space; DumpError when any is not in the dump. */
  read(address: bigint, length: number, options?: ReadOptions): Promise<Uint8Array>;
  /** Readable stretches of [start, end) in ascending order (what `s` searches). */
  extents(start: bigint, end: bigint, signal?: AbortSignal): AsyncIterable<Extent>;
}

/** Lower-cases a register record and gives eflags WinDbg's name (`efl`). */
export function normalizeRegisters(regs: Record<string, bigint>): Registers {
  const out: Registers = {};
  for (const [k, v] of Object.entries(regs)) {
    let n = k.toLowerCase();
    if (n === 'eflags') n = 'efl';
    else if (n.startsWith('seg')) n = n.slice(3);
    out[n] = v;
  }
  return out;
}

/** WinDbg's module name from a path: base name without extension; `nt` for the kernel image. */
export function moduleNameOf(path: string): string {
  const base = path.split(/[\\/]/).pop() ?? path;
  if (/^(ntoskrnl|ntkrnlmp|ntkrnlpa|ntkrpamp)\.exe$/i.test(base)) return 'nt';
  const dot = base.indexOf('.');
  const stem = dot > 0 ? base.slice(0, dot) : base;
  return stem.replace(/[^A-Za-z0-9_]/g, '_') || 'module';
}

/** Gives modules unique names the way WinDbg does: later duplicates get `_<base>`. */
export function uniqueModuleNames<T extends { name: string; base: bigint }>(mods: T[]): T[] {
  const seen = new Set<string>();
  for (const m of mods) {
    const key = m.name.toLowerCase();
    if (seen.has(key)) m.name = `${m.name}_${m.base.toString(16)}`;
    seen.add(m.name.toLowerCase());
  }
  return mods;
}

/** Merges adjacent extents and clips them to [start, end). */
export function clipExtents(sorted: Extent[], start: bigint, end: bigint): Extent[] {
  const out: Extent[] = [];
  for (const e of sorted) {
    const s = e.start > start ? e.start : start;
    const t = e.end < end ? e.end : end;
    if (s >= t) continue;
    const last = out[out.length - 1];
    if (last && last.end >= s) {
      if (t > last.end) last.end = t;
    } else out.push({ start: s, end: t });
  }
  return out;
}

/** What both kinds of target share: the dump they read, its architecture and pointer size. */
export abstract class TargetOver<D extends { source: ByteSource }> {
  protected modulesCache: DebugModule[] | undefined;

  protected constructor(
    readonly dump: D,
    readonly arch: DebugArch,
    readonly pointerSize: 4 | 8,
  ) {}

  get source(): ByteSource {
    return this.dump.source;
  }
}
