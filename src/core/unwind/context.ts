// What every architecture's unwinder shares: the walk's inputs, memory and symbol helpers, the stack
// scan and CFI rule evaluation. The driver is walker.ts; one unwinder per arch in amd64.ts, x86.ts,
// arm64.ts, arm.ts.
import type { Diagnostics } from '../diagnostics.js';
import type { CpuArch, OsName } from '../minidump/constants.js';
import type { CodeModule, SymbolInfo, SymbolProvider, StackWinRecord, UnwindInfo } from '../symbols/types.js';
import type { ModuleIndex } from './modules.js';
import { evaluateCfiRules } from './postfix.js';
import type { FrameTrust, MemoryReader, RegisterSet, StackFrame } from './types.js';

export type WalkArch = 'amd64' | 'x86' | 'arm64' | 'arm';

export interface WalkLimits {
  /** Frames per stack, frame 0 included (default 1024: deeper real stacks are runaway recursion). */
  maxFrames?: number;
  /**
   * Words a stack scan looks at above the callee's sp (default 40, as Breakpad and rust-minidump;
   * ×4 right after the context frame or a CFI frame, as both do).
   */
  maxScanWords?: number;
}

export interface WalkInput {
  arch: CpuArch;
  /** Frame 0's registers, lower-case names (CpuContext.registers). */
  registers: RegisterSet;
  memory: MemoryReader;
  modules: ModuleIndex;
  symbols?: SymbolProvider;
  /**
   * The thread's stack memory, prefetched: read synchronously first. When given, stack scans and
   * the "is this on the stack" checks stay inside it (as both reference walkers do); rule and
   * frame-pointer dereferences fall back to `memory`.
   */
  stack?: { base: bigint; bytes: Uint8Array };
  limits?: WalkLimits;
  diagnostics?: Diagnostics;
  /** The dump's OS, for OS-specific conventions (Windows amd64 frame pointers, iOS ARM r7). */
  os?: OsName;
  /** Prefix for diagnostics (e.g. `thread 3060`). */
  label?: string;
}

export const WALK_DEFAULTS = { maxFrames: 1024, maxScanWords: 40 } as const;

/** A frame as the walker keeps it: the public frame plus what later frames need. */
export interface WalkFrame {
  frame: StackFrame;
  /** The address symbols and unwind data are looked up at (pc for frame 0, return address − adjust after). */
  lookupAddress: bigint;
  module?: CodeModule;
  symbol?: SymbolInfo;
  /** The STACK WIN record used to unwind this frame (x86), for its caller's parameter size. */
  winRecord?: StackWinRecord;
}

/** What an architecture contributes to the walk. */
export interface ArchUnwinder {
  readonly bits: 32 | 64;
  readonly pc: string;
  readonly sp: string;
  /** Subtracted from a return address to land inside the call instruction (1 on x86, 4 on arm64, 2 on arm). */
  readonly returnAdjust: bigint;
  /** A caller of `callee` (`grand` is callee's callee), or undefined when no strategy found one. */
  caller(w: WalkContext, callee: WalkFrame, grand: WalkFrame | undefined): Promise<StackFrame | undefined>;
  /** Whether the caller's sp shows progress (Breakpad/rust-minidump: sp must grow; arm allows equal for leaves). */
  progressed(caller: StackFrame, callee: WalkFrame): boolean;
}

/** Shared state and helpers of one walk: memory, modules, symbols, diagnostics. */
export class WalkContext {
  readonly wordSize: number;
  readonly mask: bigint;
  readonly scanWords: number;
  private readonly lookups = new Map<bigint, Promise<SymbolInfo | undefined>>();
  private readonly noted = new Set<string>();
  private readonly view: DataView | undefined;

  constructor(readonly input: WalkInput, readonly bits: 32 | 64) {
    this.wordSize = bits / 8;
    this.mask = bits === 32 ? 0xffffffffn : 0xffffffffffffffffn;
    this.scanWords = Math.max(0, Math.floor(input.limits?.maxScanWords ?? WALK_DEFAULTS.maxScanWords));
    const s = input.stack;
    this.view = s ? new DataView(s.bytes.buffer, s.bytes.byteOffset, s.bytes.byteLength) : undefined;
  }

  get modules(): ModuleIndex {
    return this.input.modules;
  }

  get os(): OsName | undefined {
    return this.input.os;
  }

  /** A word from the prefetched stack: the value, or undefined when the stack bytes do not hold it (null: no stack given). */
  stackWord(address: bigint): bigint | undefined | null {
    const s = this.input.stack;
    if (!s || !this.view) return null;
    if (address < s.base) return undefined;
    const off = address - s.base;
    if (off + BigInt(this.wordSize) > BigInt(s.bytes.length)) return undefined;
    const o = Number(off);
    return this.wordSize === 8 ? this.view.getBigUint64(o, true) : BigInt(this.view.getUint32(o, true));
  }

  /** A word anywhere in the dump: the stack first, then the memory reader. */
  async word(address: bigint): Promise<bigint | undefined> {
    if (address < 0n || address + BigInt(this.wordSize) - 1n > this.mask) return undefined;
    const w = this.stackWord(address);
    if (w !== undefined && w !== null) return w;
    const b = await this.input.memory.read(address, this.wordSize);
    if (!b || b.length < this.wordSize) return undefined;
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return this.wordSize === 8 ? v.getBigUint64(0, true) : BigInt(v.getUint32(0, true));
  }

  /** A word on the thread's stack (the prefetched stack when given, else anywhere in the dump). */
  async stackOnlyWord(address: bigint): Promise<bigint | undefined> {
    const w = this.stackWord(address);
    if (w === null) return this.word(address);
    return w;
  }

  readonly reader = (address: bigint): Promise<bigint | undefined> => this.word(address);

  /** Symbol at an address (cached per walk). */
  lookup(module: CodeModule, address: bigint): Promise<SymbolInfo | undefined> {
    const symbols = this.input.symbols;
    if (!symbols) return Promise.resolve(undefined);
    let p = this.lookups.get(address);
    if (!p) {
      p = symbols.lookup(module, address);
      this.lookups.set(address, p);
    }
    return p;
  }

  unwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined> {
    return this.input.symbols ? this.input.symbols.unwindInfo(module, address) : Promise.resolve(undefined);
  }

  /**
   * Whether a stack word could be a return address: inside a known module and, when that module's
   * symbols are loaded, inside a known function (checked at address − 1, as rust-minidump does, so a
   * call to a noreturn function at a function's very end still counts).
   */
  async returnAddressSeemsValid(address: bigint): Promise<boolean> {
    const a = address - 1n;
    if (a <= 0n) return false;
    const module = this.modules.at(a);
    if (!module) return false;
    const symbols = this.input.symbols;
    if (!symbols) return true;
    if (await this.lookup(module, a)) return true;
    return symbols.status(module) !== 'loaded';
  }

  /** Adds a diagnostic once per walk. */
  note(message: string): void {
    if (this.noted.has(message)) return;
    this.noted.add(message);
    this.input.diagnostics?.add(this.input.label ? `${this.input.label}: ${message}` : message);
  }
}

/** Builds a caller frame from registers (only defined values kept). */
export function callerFrame(trust: FrameTrust, registers: RegisterSet, pcName: string): StackFrame {
  return { instruction: registers[pcName]!, trust, registers };
}

/**
 * Registers a callee passes through to its caller unchanged unless rules say otherwise (the
 * callee-saved ones that are known in the callee).
 */
export function calleeSaved(callee: RegisterSet, names: readonly string[]): RegisterSet {
  const out: RegisterSet = {};
  for (const n of names) if (callee[n] !== undefined) out[n] = callee[n]!;
  return out;
}

/**
 * Scans up the stack from `start` for a word that looks like a return address (Breakpad's and
 * rust-minidump's stack scan). Returns the word's address and value.
 */
export async function scanForReturnAddress(
  w: WalkContext,
  start: bigint,
  words: number,
  plausible: (value: bigint) => boolean = () => true,
): Promise<{ location: bigint; address: bigint } | undefined> {
  const size = BigInt(w.wordSize);
  for (let i = 0; i < words; i++) {
    const location = start + BigInt(i) * size;
    if (location > w.mask) return undefined;
    const value = await w.stackOnlyWord(location);
    if (value === undefined) return undefined;
    if (plausible(value) && (await w.returnAddressSeemsValid(value))) return { location, address: value };
  }
  return undefined;
}

/** Scan length after `callee`: 4× the default right after the context frame or a CFI frame. */
export function scanLength(w: WalkContext, callee: WalkFrame): number {
  const t = callee.frame.trust;
  return t === 'context' || t === 'cfi' ? w.scanWords * 4 : w.scanWords;
}

/**
 * Evaluates CFI rules for `callee` and builds its caller's registers: callee-saved registers pass
 * through, `.cfa` becomes sp, `.ra` the pc, and each rule sets (or clears) its register.
 * A malformed rule becomes a diagnostic and undefined (the walker then tries the next strategy).
 */
export async function callerByCfiRules(
  w: WalkContext,
  callee: WalkFrame,
  rules: Record<string, string>,
  saved: readonly string[],
  names: { pc: string; sp: string },
  aliases: Record<string, string> = {},
): Promise<RegisterSet | undefined> {
  const r = await evaluateCfiRules(rules, callee.frame.registers, w.reader, w.bits);
  if ('error' in r) {
    w.note(`STACK CFI rules at 0x${callee.lookupAddress.toString(16)} are malformed (${r.error}); other strategies used`);
    return undefined;
  }
  if ('unavailable' in r) return undefined;
  const regs = calleeSaved(callee.frame.registers, saved);
  for (const n of r.cleared) {
    delete regs[n];
    if (aliases[n]) delete regs[aliases[n]!];
  }
  for (const [n, v] of Object.entries(r.registers)) {
    regs[n] = v;
    if (aliases[n]) regs[aliases[n]!] = v;
  }
  regs[names.sp] = r.cfa;
  regs[names.pc] = r.ra;
  return regs;
}

/** Module and unwind info for a frame's lookup address (shared by the arch unwinders). */
export async function unwindInfoFor(w: WalkContext, f: WalkFrame): Promise<UnwindInfo | undefined> {
  const module = f.module ?? w.modules.at(f.lookupAddress);
  if (!module) return undefined;
  return w.unwindInfo(module, f.lookupAddress);
}
