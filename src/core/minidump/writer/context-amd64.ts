import type { CpuRegisters } from './model.js';
import { StructBuilder } from './encode.js';

export const CONTEXT_AMD64_SIZE = 0x4d0;
/** CONTEXT_AMD64 | CONTROL | INTEGER | SEGMENTS | FLOATING_POINT. */
export const CONTEXT_AMD64_FLAGS_WITH_FP = 0x10000f;
export const CONTEXT_AMD64_FLAGS_NO_FP = 0x100007;

/** AMD64 CONTEXT (1232 bytes) from a Linux x86_64 user_regs_struct and FXSAVE image. */
export function encodeContextAmd64(regs: CpuRegisters): Uint8Array {
  const g = (name: string): bigint => regs.gpr[name] ?? 0n;
  const b = new StructBuilder(CONTEXT_AMD64_SIZE);
  b.u32(0x30, regs.fxsave ? CONTEXT_AMD64_FLAGS_WITH_FP : CONTEXT_AMD64_FLAGS_NO_FP);
  if (regs.fxsave) b.u32(0x34, new DataView(regs.fxsave.buffer, regs.fxsave.byteOffset).getUint32(24, true));
  b.u16(0x38, Number(g('cs'))).u16(0x3a, Number(g('ds'))).u16(0x3c, Number(g('es')));
  b.u16(0x3e, Number(g('fs'))).u16(0x40, Number(g('gs'))).u16(0x42, Number(g('ss')));
  b.u32(0x44, Number(g('eflags') & 0xffffffffn));
  const order = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];
  order.forEach((name, i) => b.u64(0x78 + i * 8, g(name)));
  if (regs.fxsave) b.set(0x100, regs.fxsave.subarray(0, 512));
  return b.bytes;
}
