/**
 * What the debugger engine's commands return and what a host (CLI, browser) lends it; the command
 * table's entry type and the part of the engine the commands and the stack source use
 * (`DebuggerEngine` implements `DebuggerSession`), so that they need not import the engine.
 */
import type { ByteSink } from '../bytes/byte-sink.js';
import type { DumpError } from '../errors.js';
import type { SymbolProvider } from '../symbols/types.js';
import type { CallStack, MemoryReader } from '../unwind/types.js';
import type { Disassembler } from './disassembler.js';
import type { ExpressionContext } from './expression.js';
import type { KernelTarget } from './kernel-target.js';
import type { MinidumpTarget } from './minidump-target.js';
import type { ExportedSymbol } from './pe-exports.js';
import type { DebugModule, DebugThread, Registers } from './target.js';

/** The result of one command: the text a debugger prints, structured data when there is some, an error. */
export interface CommandResult {
  text: string;
  data?: unknown;
  error?: { code: string; message: string };
  /** `q`: the session ends. */
  quit?: boolean;
}

/** What the host (the Node shell, a browser page) gives the engine. All optional. */
export interface DebuggerHost {
  /** Loads a disassembler (`u`, `r`'s current instruction). */
  disassembler?: () => Promise<Disassembler>;
  /** Symbols beyond the in-memory PE exports (Breakpad .sym files: `--symbols DIR`). */
  symbols?: SymbolProvider;
  /**
   * Writes a file safely (temporary name, rename when complete, never over an existing file unless
   * `overwrite`): `.dump` of a minidump streams into the sink.
   */
  writeFile?: <T>(path: string, overwrite: boolean, write: (sink: ByteSink) => Promise<T>) => Promise<T>;
  /**
   * Derives a kernel dump of another variety from the open one (`.dump /f|/k|/a|/s`) with the
   * varieties engine; returns the line to print. Refuses to grow a dump.
   */
  deriveKernelDump?: (variety: string, path: string, overwrite: boolean) => Promise<string>;
}

export interface CommandContext {
  /** Text after the command name. */
  args: string;
  /** The command name as typed (`dq`, `lmv`). */
  name: string;
  signal: AbortSignal;
}

export type DebugTarget = MinidumpTarget | KernelTarget;

/** Bytes read for display: which of them the dump holds, and the first reason one was missing. */
export interface UnitRead {
  bytes: Uint8Array;
  valid: Uint8Array;
  missing?: DumpError;
}

/** What the stack source reads of the session: the dump, the host's symbols, the current context. */
export interface StackContext {
  readonly target: DebugTarget;
  readonly host: DebuggerHost;
  /** Current thread number (`~Ns`). */
  currentThread: number;
  /** Registers set by `.cxr` / `.ecxr` (undefined: the current thread's). */
  contextOverride: { registers: Registers; what: string } | undefined;
  registers(): Promise<Registers | undefined>;
}

/** The walked stack of the current context (`k`, `.frame`). */
export interface StackWalks {
  current(maxFrames?: number): Promise<CallStack>;
}

/** The engine as the commands see it: session state and the helpers they share. */
export interface DebuggerSession extends StackContext {
  readonly name: string;
  /** `.ignore_missing_pages`: missing pages read as zeros. */
  ignoreMissingPages: boolean;
  /** Where `d*` and `u` without an address go on from. */
  next: { dump?: { command: string; address: bigint }; disasm?: bigint };
  /** Current stack frame (`.frame`). */
  currentFrame: number;
  readonly stack: StackWalks;
  readonly pointerSize: 4 | 8;
  readonly isKernel: boolean;
  kernel(command: string): KernelTarget;
  commands(): readonly Command[];
  execute(line: string, options?: { signal?: AbortSignal }): Promise<CommandResult>;
  thread(): Promise<DebugThread | undefined>;
  pc(): Promise<bigint | undefined>;
  sp(): Promise<bigint | undefined>;
  disassembler(): Promise<Disassembler | undefined>;
  read(address: bigint, length: number): Promise<Uint8Array>;
  readUnits(address: bigint, length: number): Promise<UnitRead>;
  missingNote(e: DumpError | undefined): string[];
  memoryReader(): MemoryReader;
  moduleAt(address: bigint): Promise<DebugModule | undefined>;
  moduleNamed(name: string): Promise<DebugModule | undefined>;
  exports(m: DebugModule): Promise<ExportedSymbol[]>;
  nearestSymbol(address: bigint): Promise<{ module: DebugModule; name?: string; start?: bigint; next?: { name: string; start: bigint } } | undefined>;
  symbolize(address: bigint): Promise<string | undefined>;
  resolveSymbol(text: string): Promise<bigint | undefined>;
  expressionContext(): ExpressionContext;
  evaluatePrefix(text: string, from?: number): Promise<{ value: bigint; end: number }>;
  parseRange(text: string, unitSize: number): Promise<{ start: bigint; count: number | undefined; countBig: bigint | undefined; rest: string; large: boolean } | undefined>;
  formatAddress(a: bigint): string;
  regHex(v: bigint): string;
}

/** A command family's entry in the command table (commands/index.ts). */
export interface Command {
  /** Names it answers to (`dq`, `dd`, …); the first is the one help lists. */
  names: string[];
  /** Usage line, WinDbg style. */
  usage: string;
  /** One line for `.help`. */
  summary: string;
  /** Longer help for `.help NAME`. */
  help: string;
  /** Kernel dumps only / user-mode dumps only / any. */
  targets?: 'kernel' | 'user';
  run(engine: DebuggerSession, ctx: CommandContext): Promise<CommandResult | string>;
}
