// The viewer's worker protocol, in one place: what the page asks the dump worker (src/ui/worker/
// dump-worker.ts) and what it answers. Values cross by structured clone (bigint included); large
// arrays (memory-map ranges, hex bytes, derived dumps) are transferred, not copied.
import type { DumpErrorCode } from '../../core/errors.js';

/** Where the dump's bytes come from: a File the user dropped or picked, or the server's dump folder. */
export type DumpLocation = { kind: 'file'; file: File } | { kind: 'server'; path: string };

export type DumpKind = 'minidump' | 'kernel';

/** Minidumps hold a process's virtual memory; a kernel dump is read by physical or (kernel) virtual address. */
export type AddressSpace = 'virtual' | 'physical';

/** Summary and limits ("what this dump can answer"), for the Summary view. */
export interface DumpSummary {
  kind: DumpKind;
  name: string;
  size: number;
  /** The dump kind in words ("User Mini Dump File with Full Memory", "Kernel Summary Dump File"). */
  title: string;
  /** Label → value rows: system, crash or bug check, memory… */
  facts: [string, string][];
  /** What this dump can and cannot answer. */
  limits: string[];
  diagnostics: string[];
  /** The address the viewer opens the hex view at when none is given (the crash pc, the first range…). */
  interestingAddress?: bigint;
  /** Kernel dumps that are x64 PAGEDU64 with physical pages: the composition view applies. */
  canPlan: boolean;
}

export interface ModuleRow {
  base: bigint;
  size: number;
  name: string;
  version?: string;
  debugId?: string;
  debugFile?: string;
}

export interface FrameRow {
  index: number;
  instruction: bigint;
  sp?: bigint;
  /** `module!function [file : line + 0x…]` as minidump_stackwalk prints it. */
  title: string;
  trust: string;
  /** Inlined calls at this frame, innermost first. */
  inlines: string[];
}

export interface ThreadRow {
  id: number;
  name?: string;
  processId?: number;
  crashed: boolean;
  frames: FrameRow[];
  /** Why the walk stopped early, or why it was not walked. */
  end?: string;
}

export interface ThreadsResult {
  threads: ThreadRow[];
  /** False when only the crashing thread was walked (kernel dumps, until every thread is asked for). */
  allWalked: boolean;
  /** Modules that had symbols (Breakpad .sym files given to the viewer). */
  symbolized: string[];
  diagnostics: string[];
}

/**
 * The memory map as parallel arrays, sorted by start. Kinds index `kinds`. The axis collapses long
 * gaps: `axisStart[i]` is where range i starts on the drawing axis (in bytes of the axis).
 */
export interface MemoryMap {
  /** Address space name: "virtual" (minidumps) or "physical" (kernel dumps, page frames × 4096). */
  space: 'virtual' | 'physical';
  kinds: string[];
  /** Kernel dumps: the group of each kind (kernel, user, file-cache…), for colours and the legend. */
  groups?: string[];
  start: BigUint64Array;
  end: BigUint64Array;
  kind: Uint8Array;
  /** 1 for the dump's own memory ranges (drawn as the lower strip: what the dump holds), 0 for regions of a kind. */
  captured: Uint8Array;
  axisStart: Float64Array;
  axisEnd: Float64Array;
  axisLength: number;
  /** Axis gap segments, for mapping any address onto the axis: segment j covers [segStart[j], segEnd[j]) at segAxis[j]. */
  segStart: BigUint64Array;
  segEnd: BigUint64Array;
  segAxis: Float64Array;
  /** Streams that could not be read for the map (DumpError messages). */
  notes: string[];
}

/** `length` bytes at `address`; present[i] is 0 where byte i is not in the dump (shown as ??). */
export interface MemoryBytes {
  address: bigint;
  bytes: Uint8Array;
  present: Uint8Array;
}

export interface VarietyBar {
  name: string;
  dumpType: number;
  bytes: number;
  pageFileBytes: number;
  /** Page counts by class. */
  pages: Record<string, number>;
  /** Whether the viewer can derive it from this dump (every variety but the dump's own and larger). */
  derivable: boolean;
  note?: string;
}

export interface Composition {
  ramBytes: number;
  /** The dump's own variety. */
  variety: string;
  classification: string;
  varieties: VarietyBar[];
  /** Page class → group (kernel, user, file-cache…), for colours. */
  groups: Record<string, string>;
  diagnostics: string[];
}

export interface DerivedDump {
  name: string;
  variety: string;
  bytes: Uint8Array;
  pages: number;
}

/** Requests, by operation. */
export interface Requests {
  open: { args: { location: DumpLocation }; result: DumpSummary };
  modules: { args: Record<string, never>; result: ModuleRow[] };
  threads: { args: { all: boolean }; result: ThreadsResult };
  memoryMap: { args: Record<string, never>; result: MemoryMap };
  read: { args: { address: bigint; length: number; space: AddressSpace }; result: MemoryBytes };
  composition: { args: Record<string, never>; result: Composition };
  derive: { args: { variety: string }; result: DerivedDump };
  symbols: { args: { files: File[] }; result: { added: string[]; diagnostics: string[] } };
}

export type Op = keyof Requests;

export interface RequestMessage<K extends Op = Op> {
  id: number;
  op: K;
  args: Requests[K]['args'];
}

/** An error as the page shows it: a DumpError's stable code, or BUG for anything else. */
export interface WireError {
  code: DumpErrorCode | 'BUG';
  message: string;
}

export type ResponseMessage = { id: number; ok: true; result: unknown } | { id: number; ok: false; error: WireError };

/** Limits that keep the worker's answers bounded. */
export const MAX_READ = 64 * 1024;
