import type { CpuArch } from '../constants.js';

/**
 * A thread's CPU context decoded from its on-disk CONTEXT. Registers are addressable by their usual
 * lower-case names (`rip`, `rsp`, `eax`, `x0`, `fp`, `r15`, `cpsr`, `d3`…), all as bigint.
 */
export interface CpuContext {
  arch: CpuArch;
  /** Which on-disk layout was decoded. */
  layout: 'x86' | 'amd64' | 'arm64' | 'arm64_old' | 'arm';
  contextFlags: number;
  /** Size of the record in the file (may be shorter than the layout: missing bytes read as zero). */
  size: number;
  pc: bigint;
  sp: bigint;
  fp: bigint;
  registers: Record<string, bigint>;
}

/** Copies a context into a buffer of at least `full` bytes, zero-filling what the file lacks. */
export function zeroFilled(bytes: Uint8Array, full: number): DataView {
  if (bytes.length >= full) return new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const b = new Uint8Array(full);
  b.set(bytes);
  return new DataView(b.buffer);
}
