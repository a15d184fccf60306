import type { CpuRegisters } from './model.js';
import { StructBuilder } from './encode.js';

export const CONTEXT_ARM64_SIZE = 0x390;
/** CONTEXT_ARM64 | CONTROL | INTEGER, and FLOATING_POINT when the V registers are given. */
const CONTEXT_ARM64_BASE = 0x400003;
const CONTEXT_ARM64_FLOATING_POINT = 0x400004;

/**
 * Windows ARM64 CONTEXT (912 bytes), the layout the reader parses (context/arm64.ts): Cpsr @4,
 * X0..X28 @8, Fp @0xF0, Lr @0xF8, Sp @0x100, Pc @0x108, V0..V31 @0x110 (16 bytes each), Fpcr @0x310,
 * Fpsr @0x314; debug registers left zero. Registers by their Linux/AArch64 names: x0..x28, fp (or
 * x29), lr (or x30), sp, pc, cpsr (pstate), fpcr, fpsr; `vregs` the 512-byte V0..V31 image.
 */
export function encodeContextArm64(regs: CpuRegisters): Uint8Array {
  const g = (...names: string[]): bigint => names.map((n) => regs.gpr[n]).find((v) => v !== undefined) ?? 0n;
  const b = new StructBuilder(CONTEXT_ARM64_SIZE);
  b.u32(0, regs.vregs ? CONTEXT_ARM64_BASE | CONTEXT_ARM64_FLOATING_POINT : CONTEXT_ARM64_BASE);
  b.u32(4, Number(g('cpsr', 'pstate') & 0xffffffffn));
  for (let i = 0; i < 29; i++) b.u64(8 + i * 8, g(`x${i}`));
  b.u64(0xf0, g('fp', 'x29')).u64(0xf8, g('lr', 'x30')).u64(0x100, g('sp')).u64(0x108, g('pc'));
  if (regs.vregs) b.set(0x110, regs.vregs.subarray(0, 512));
  b.u32(0x310, Number(g('fpcr') & 0xffffffffn)).u32(0x314, Number(g('fpsr') & 0xffffffffn));
  return b.bytes;
}
