import { encodeContextAmd64 } from './context-amd64.js';
import { encodeContextX86 } from './context-x86.js';
import type { WriterArch, CpuRegisters } from './model.js';

/** The CONTEXT record for the dump's architecture. */
export function encodeContext(arch: WriterArch, regs: CpuRegisters): Uint8Array {
  return arch === 'amd64' ? encodeContextAmd64(regs) : encodeContextX86(regs);
}

/** Program counter and stack pointer by Linux register name, for either architecture. */
export function pcSp(arch: WriterArch, regs: CpuRegisters): { pc: bigint; sp: bigint } {
  return arch === 'amd64'
    ? { pc: regs.gpr.rip ?? 0n, sp: regs.gpr.rsp ?? 0n }
    : { pc: regs.gpr.eip ?? 0n, sp: regs.gpr.esp ?? 0n };
}
