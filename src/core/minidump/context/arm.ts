import { ContextSize } from '../constants.js';
import { zeroFilled, type CpuContext } from './types.js';

/**
 * Breakpad ARM (32-bit) context, 368 bytes: u32 flags; r0..r15; cpsr; u64 fpscr; d0..d31; extra[8].
 * `fp` is r11 (Linux/Android convention) unless `appleFp` asks for r7.
 */
export function parseArmContext(bytes: Uint8Array, appleFp = false): CpuContext {
  const v = zeroFilled(bytes, ContextSize.ARM);
  const registers: Record<string, bigint> = {};
  for (let i = 0; i < 16; i++) registers[`r${i}`] = BigInt(v.getUint32(4 + i * 4, true));
  registers.sp = registers.r13!;
  registers.lr = registers.r14!;
  registers.pc = registers.r15!;
  registers.cpsr = BigInt(v.getUint32(0x44, true));
  registers.fpscr = v.getBigUint64(0x48, true);
  for (let i = 0; i < 32; i++) registers[`d${i}`] = v.getBigUint64(0x50 + i * 8, true);
  registers.fp = appleFp ? registers.r7! : registers.r11!;
  return { arch: 'arm', layout: 'arm', contextFlags: v.getUint32(0, true), size: bytes.length, pc: registers.pc, sp: registers.sp, fp: registers.fp, registers };
}
