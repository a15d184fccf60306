import type { CpuRegisters } from './model.js';
import { StructBuilder } from './encode.js';

export const CONTEXT_X86_SIZE = 0x2cc;
const CONTEXT_X86_BASE = 0x10007; // CONTROL | INTEGER | SEGMENTS
const CONTEXT_X86_FLOATING_POINT = 0x10008;
const CONTEXT_X86_EXTENDED_REGISTERS = 0x10020;

/** x86 CONTEXT (716 bytes) from a Linux i386 user_regs_struct, i387 FSAVE and FXSAVE images. */
export function encodeContextX86(regs: CpuRegisters): Uint8Array {
  const g = (name: string): number => Number((regs.gpr[name] ?? 0n) & 0xffffffffn);
  const b = new StructBuilder(CONTEXT_X86_SIZE);
  let flags = CONTEXT_X86_BASE;
  if (regs.fsave) {
    flags |= CONTEXT_X86_FLOATING_POINT;
    b.set(0x1c, regs.fsave.subarray(0, 108)); // cwd swd twd fip fcs foo fos + st_space[80]
  }
  if (regs.fxsave) {
    flags |= CONTEXT_X86_EXTENDED_REGISTERS;
    b.set(0xcc, regs.fxsave.subarray(0, 512));
  }
  b.u32(0, flags);
  b.u32(0x8c, g('gs')).u32(0x90, g('fs')).u32(0x94, g('es')).u32(0x98, g('ds'));
  b.u32(0x9c, g('edi')).u32(0xa0, g('esi')).u32(0xa4, g('ebx')).u32(0xa8, g('edx'));
  b.u32(0xac, g('ecx')).u32(0xb0, g('eax')).u32(0xb4, g('ebp')).u32(0xb8, g('eip'));
  b.u32(0xbc, g('cs')).u32(0xc0, g('eflags')).u32(0xc4, g('esp')).u32(0xc8, g('ss'));
  return b.bytes;
}
