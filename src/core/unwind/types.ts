// The contract between the dump kinds, the stack walker and the processor. Types only.
import type { CodeModule, InlineFrame, SymbolInfo } from '../symbols/types.js';

/** A dump's address space as the walker reads it (minidump memory lists, a kernel dump's virtual memory). */
export interface MemoryReader {
  /**
   * Bytes at `address`, or undefined when any of them is not in the dump. Never throws for an
   * address outside the dump; only DumpErrors for a broken file.
   */
  read(address: bigint, length: number): Promise<Uint8Array | undefined>;
}

/** Registers of one frame by lower-case name (`rip`, `rsp`, `eip`, `x29`, `pc`, `sp`…). */
export type RegisterSet = Record<string, bigint>;

/**
 * How a frame was found, most trusted first: Breakpad's and rust-minidump's vocabulary, spelled
 * as in rust-minidump's JSON (`frame_pointer`, `cfi_scan`).
 */
export type FrameTrust = 'context' | 'cfi' | 'frame_pointer' | 'cfi_scan' | 'scan' | 'prewalked' | 'inline' | 'none';

/** One frame of a walked stack. */
export interface StackFrame {
  /** Instruction address: the pc for frame 0, the return address for callers. */
  instruction: bigint;
  trust: FrameTrust;
  /**
   * Registers recovered for this frame; only those known valid (rust-minidump shows only frame 0's
   * in JSON). Always holds the pc and sp names of the architecture.
   */
  registers: RegisterSet;
  module?: CodeModule;
  symbol?: SymbolInfo;
  /** Inlined calls expanded from `symbol.inlines`, innermost first (each shown as its own frame with trust 'inline'). */
  inlines?: InlineFrame[];
}

/** Why a walk stopped. */
export type WalkEnd =
  | 'end-of-stack' // the caller's pc is 0 or below, or sp left the stack: a normal end
  | 'frame-cap' // limits.maxFrames reached
  | 'no-progress' // sp did not move up, or a cycle was detected
  | 'memory-missing' // a read the walker needed was not in the dump
  | 'no-caller' // no strategy found a plausible caller
  | 'no-context' // the thread had no usable context
  | 'limit'; // a dump limit (e.g. "only kernel address space is available")

/** A thread's walked stack. */
export interface CallStack {
  frames: StackFrame[];
  end: WalkEnd;
  /** Human-readable reason when the walk stopped early (a diagnostic), e.g. the dump limit text. */
  endReason?: string;
}
