import { ContextSize } from '../constants.js';
import { zeroFilled, type CpuContext } from './types.js';

const AMD64_REGS64: [string, number][] = [
  ['dr0', 0x48], ['dr1', 0x50], ['dr2', 0x58], ['dr3', 0x60], ['dr6', 0x68], ['dr7', 0x70],
  ['rax', 0x78], ['rcx', 0x80], ['rdx', 0x88], ['rbx', 0x90], ['rsp', 0x98], ['rbp', 0xa0], ['rsi', 0xa8], ['rdi', 0xb0],
  ['r8', 0xb8], ['r9', 0xc0], ['r10', 0xc8], ['r11', 0xd0], ['r12', 0xd8], ['r13', 0xe0], ['r14', 0xe8], ['r15', 0xf0],
  ['rip', 0xf8],
];
const AMD64_REGS16: [string, number][] = [['cs', 0x38], ['ds', 0x3a], ['es', 0x3c], ['fs', 0x3e], ['gs', 0x40], ['ss', 0x42]];

/** AMD64 CONTEXT (1232 bytes; LLDB's 720-byte and XSTATE-extended ones accepted). */
export function parseAmd64Context(bytes: Uint8Array): CpuContext {
  const v = zeroFilled(bytes, ContextSize.AMD64);
  const registers: Record<string, bigint> = {};
  for (const [name, off] of AMD64_REGS64) registers[name] = v.getBigUint64(off, true);
  for (const [name, off] of AMD64_REGS16) registers[name] = BigInt(v.getUint16(off, true));
  registers.mxcsr = BigInt(v.getUint32(0x34, true));
  registers.eflags = BigInt(v.getUint32(0x44, true));
  return {
    arch: 'amd64',
    layout: 'amd64',
    contextFlags: v.getUint32(0x30, true),
    size: bytes.length,
    pc: registers.rip!,
    sp: registers.rsp!,
    fp: registers.rbp!,
    registers,
  };
}
