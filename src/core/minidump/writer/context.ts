import { encodeContextAmd64 } from './context-amd64.js';
import { encodeContextArm } from './context-arm.js';
import { encodeContextArm64 } from './context-arm64.js';
import { encodeContextX86 } from './context-x86.js';
import type { WriterArch, CpuRegisters } from './model.js';

/** The CONTEXT record for the dump's architecture. */
export function encodeContext(arch: WriterArch, regs: CpuRegisters): Uint8Array {
  switch (arch) {
    case 'amd64':
      return encodeContextAmd64(regs);
    case 'x86':
      return encodeContextX86(regs);
    case 'arm64':
      return encodeContextArm64(regs);
    case 'arm':
      return encodeContextArm(regs);
  }
}

/** Program counter and stack pointer by Linux register name, for any architecture. */
export function pcSp(arch: WriterArch, regs: CpuRegisters): { pc: bigint; sp: bigint } {
  const g = regs.gpr;
  switch (arch) {
    case 'amd64':
      return { pc: g.rip ?? 0n, sp: g.rsp ?? 0n };
    case 'x86':
      return { pc: g.eip ?? 0n, sp: g.esp ?? 0n };
    case 'arm64':
      return { pc: g.pc ?? 0n, sp: g.sp ?? 0n };
    case 'arm':
      return { pc: g.pc ?? g.r15 ?? 0n, sp: g.sp ?? g.r13 ?? 0n };
  }
}
