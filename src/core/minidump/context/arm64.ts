import { ContextSize } from '../constants.js';
import { zeroFilled, type CpuContext } from './types.js';

function aliases(registers: Record<string, bigint>): void {
  registers.fp = registers.x29!;
  registers.lr = registers.x30!;
}

/** Windows ARM64 CONTEXT (912 bytes): Cpsr @4, X0..X28 @8, Fp, Lr, Sp @0x100, Pc @0x108, V0–V31, Fpcr, Fpsr. */
export function parseArm64Context(bytes: Uint8Array): CpuContext {
  const v = zeroFilled(bytes, ContextSize.ARM64);
  const registers: Record<string, bigint> = {};
  for (let i = 0; i < 31; i++) registers[`x${i}`] = v.getBigUint64(8 + i * 8, true);
  registers.sp = v.getBigUint64(0x100, true);
  registers.pc = v.getBigUint64(0x108, true);
  registers.cpsr = BigInt(v.getUint32(4, true));
  registers.fpcr = BigInt(v.getUint32(0x310, true));
  registers.fpsr = BigInt(v.getUint32(0x314, true));
  aliases(registers);
  return { arch: 'arm64', layout: 'arm64', contextFlags: v.getUint32(0, true), size: bytes.length, pc: registers.pc, sp: registers.sp, fp: registers.fp!, registers };
}

/** Breakpad's old ARM64 context (796 bytes, packed): u64 flags; x0..x28, fp, lr, sp, pc; u32 cpsr, fpsr, fpcr; v[32]. */
export function parseArm64OldContext(bytes: Uint8Array): CpuContext {
  const v = zeroFilled(bytes, ContextSize.ARM64_OLD);
  const registers: Record<string, bigint> = {};
  for (let i = 0; i < 31; i++) registers[`x${i}`] = v.getBigUint64(8 + i * 8, true);
  registers.sp = v.getBigUint64(8 + 31 * 8, true);
  registers.pc = v.getBigUint64(8 + 32 * 8, true);
  registers.cpsr = BigInt(v.getUint32(0x110, true));
  registers.fpsr = BigInt(v.getUint32(0x114, true));
  registers.fpcr = BigInt(v.getUint32(0x118, true));
  aliases(registers);
  return {
    arch: 'arm64',
    layout: 'arm64_old',
    contextFlags: Number(v.getBigUint64(0, true) & 0xffffffffn),
    size: bytes.length,
    pc: registers.pc,
    sp: registers.sp,
    fp: registers.fp!,
    registers,
  };
}
