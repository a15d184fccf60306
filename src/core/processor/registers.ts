// Which registers the outputs show per architecture, in the order the reference tools print them.
import type { CpuArch } from '../minidump/constants.js';
import type { RegisterSet } from '../unwind/types.js';

/** rust-minidump's general-purpose register list (JSON `registers` of frame 0, sorted by name there). */
export const JSON_REGISTERS: Partial<Record<CpuArch, readonly string[]>> = {
  x86: ['eip', 'esp', 'ebp', 'ebx', 'esi', 'edi', 'eax', 'ecx', 'edx', 'eflags'],
  amd64: ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'],
  arm: ['r0', 'r1', 'r2', 'r3', 'r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r12', 'fp', 'sp', 'lr', 'pc'],
  arm64: [...Array.from({ length: 29 }, (_, i) => `x${i}`), 'fp', 'lr', 'sp', 'pc'],
};

/**
 * Breakpad minidump_stackwalk's register order per frame, as [printed name, register name]. For
 * x86, eax/ecx/edx/efl are printed only when the frame has all registers (the context frame).
 */
export const TEXT_REGISTERS: Partial<Record<CpuArch, readonly (readonly [string, string])[]>> = {
  x86: [['eip', 'eip'], ['esp', 'esp'], ['ebp', 'ebp'], ['ebx', 'ebx'], ['esi', 'esi'], ['edi', 'edi'], ['eax', 'eax'], ['ecx', 'ecx'], ['edx', 'edx'], ['efl', 'eflags']],
  amd64: JSON_REGISTERS.amd64!.map((r) => [r, r] as const),
  arm: [...Array.from({ length: 11 }, (_, i) => [`r${i}`, `r${i}`] as const), ['r12', 'r12'], ['fp', 'r11'], ['sp', 'sp'], ['lr', 'lr'], ['pc', 'pc']],
  arm64: [...Array.from({ length: 29 }, (_, i) => [`x${i}`, `x${i}`] as const), ['fp', 'x29'], ['lr', 'x30'], ['sp', 'sp'], ['pc', 'pc']],
};

/** A register's value by its output name (arm `fp` is r11, arm64 `fp`/`lr` are x29/x30). */
export function registerValue(regs: RegisterSet, arch: CpuArch, name: string): bigint | undefined {
  if (arch === 'arm' && name === 'fp') return regs.r11;
  if (arch === 'arm64' && name === 'fp') return regs.x29 ?? regs.fp;
  if (arch === 'arm64' && name === 'lr') return regs.x30 ?? regs.lr;
  return regs[name];
}

/** Hex digits of an address for the arch (8 for 32-bit targets, 16 for 64-bit). */
export function addressDigits(arch: CpuArch | undefined): 8 | 16 {
  return arch === 'x86' || arch === 'arm' || arch === 'mips' || arch === 'ppc' || arch === 'sparc' ? 8 : 16;
}

/** The last path component, for `\` and `/` paths alike. */
export function baseName(path: string): string {
  const i = Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\'));
  return i >= 0 ? path.slice(i + 1) : path;
}
