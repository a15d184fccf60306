import type { CpuRegisters } from './model.js';
import { StructBuilder } from './encode.js';

export const CONTEXT_ARM_SIZE = 368;
/** MD_CONTEXT_ARM | INTEGER, and FLOATING_POINT when the D registers are given (Breakpad's flags). */
const CONTEXT_ARM_BASE = 0x40000002;
const CONTEXT_ARM_FLOATING_POINT = 0x40000004;

/**
 * Breakpad's 32-bit ARM context (368 bytes), the layout the reader parses (context/arm.ts): flags @0,
 * r0..r15 @4, cpsr @0x44, u64 fpscr @0x48, d0..d31 @0x50, extra[8] @0x150 (zero). Registers by
 * name: r0..r15 (sp, lr, pc stand for r13..r15 when those are not given), cpsr, fpscr; `vregs` the
 * 256-byte d0..d31 image.
 */
export function encodeContextArm(regs: CpuRegisters): Uint8Array {
  const alias: Record<number, string> = { 13: 'sp', 14: 'lr', 15: 'pc' };
  const g = (...names: string[]): bigint => names.map((n) => regs.gpr[n]).find((v) => v !== undefined) ?? 0n;
  const b = new StructBuilder(CONTEXT_ARM_SIZE);
  b.u32(0, regs.vregs ? CONTEXT_ARM_BASE | CONTEXT_ARM_FLOATING_POINT : CONTEXT_ARM_BASE);
  for (let i = 0; i < 16; i++) b.u32(4 + i * 4, Number(g(`r${i}`, alias[i] ?? `r${i}`) & 0xffffffffn));
  b.u32(0x44, Number(g('cpsr') & 0xffffffffn));
  b.u64(0x48, g('fpscr'));
  if (regs.vregs) b.set(0x50, regs.vregs.subarray(0, 256));
  return b.bytes;
}
