import { ContextSize } from '../constants.js';
import { zeroFilled, type CpuContext } from './types.js';

/** Offsets of the x86 CONTEXT (716 bytes) general registers. */
const X86_REGS: [string, number][] = [
  ['dr0', 0x04], ['dr1', 0x08], ['dr2', 0x0c], ['dr3', 0x10], ['dr6', 0x14], ['dr7', 0x18],
  ['gs', 0x8c], ['fs', 0x90], ['es', 0x94], ['ds', 0x98],
  ['edi', 0x9c], ['esi', 0xa0], ['ebx', 0xa4], ['edx', 0xa8], ['ecx', 0xac], ['eax', 0xb0], ['ebp', 0xb4],
  ['eip', 0xb8], ['cs', 0xbc], ['eflags', 0xc0], ['esp', 0xc4], ['ss', 0xc8],
];

export function parseX86Context(bytes: Uint8Array): CpuContext {
  const v = zeroFilled(bytes, ContextSize.X86);
  const registers: Record<string, bigint> = {};
  for (const [name, off] of X86_REGS) registers[name] = BigInt(v.getUint32(off, true));
  return {
    arch: 'x86',
    layout: 'x86',
    contextFlags: v.getUint32(0, true),
    size: bytes.length,
    pc: registers.eip!,
    sp: registers.esp!,
    fp: registers.ebp!,
    registers,
  };
}
