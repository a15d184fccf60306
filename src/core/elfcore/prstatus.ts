/**
 * NT_PRSTATUS: one per thread (struct elf_prstatus in <linux/elfcore.h>): the pending signal, the
 * thread's ids and times, and its general registers (elf_gregset_t, the architecture's
 * user_regs_struct / user_pt_regs).
 */
import { StructView } from '../bytes/struct-view.js';
import type { CoreHeader } from './header.js';

/** Register names in elf_gregset_t order, by Linux name (the writer's CpuRegisters.gpr keys). */
export const GREGSET_NAMES: Record<CoreHeader['arch'], readonly string[]> = {
  // struct user_regs_struct, arch/x86/include/asm/user_64.h
  amd64: ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'],
  // struct user_regs_struct, arch/x86/include/asm/user_32.h (xds… written without the x)
  x86: ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'eax', 'ds', 'es', 'fs', 'gs', 'orig_eax', 'eip', 'cs', 'eflags', 'esp', 'ss'],
  // struct user_pt_regs, arch/arm64/include/uapi/asm/ptrace.h
  arm64: [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp', 'pc', 'pstate'],
};

/**
 * Offsets in struct elf_prstatus. On 64-bit ABIs: pr_info 0, pr_cursig 12, pr_sigpend 16,
 * pr_sighold 24, pr_pid 32, pr_ppid 36, pr_pgrp 40, pr_sid 44, four struct timeval (16 bytes) from
 * 48, pr_reg 112. On i386: pr_sigpend 16, pr_sighold 20, pr_pid 24…, timevals (8 bytes) from 40,
 * pr_reg 72.
 */
const LAYOUT = {
  64: { sigpend: 16, sighold: 24, pid: 32, times: 48, timeval: 16, reg: 112, word: 8 },
  32: { sigpend: 16, sighold: 20, pid: 24, times: 40, timeval: 8, reg: 72, word: 4 },
} as const;

export interface PrStatus {
  /** pr_info: si_signo, si_code, si_errno of the signal being delivered (often zero; NT_SIGINFO has the whole siginfo). */
  info: { signo: number; code: number; errno: number };
  /** pr_cursig: the signal that made the core (for the first thread), else 0. */
  cursig: number;
  sigpend: bigint;
  sighold: bigint;
  /** pr_pid: the thread id. */
  tid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  /** User and system CPU time in microseconds (for the first thread the kernel gives the whole process's). */
  userMicros: number;
  systemMicros: number;
  gpr: Record<string, bigint>;
  /** pr_fpvalid: floating-point registers follow (NT_PRFPREG). */
  fpValid: boolean;
}

export function prstatusSize(arch: CoreHeader['arch']): number {
  const l = LAYOUT[arch === 'x86' ? 32 : 64];
  return l.reg + GREGSET_NAMES[arch].length * l.word + 4;
}

export function parsePrStatus(arch: CoreHeader['arch'], desc: Uint8Array, fileOffset: number): PrStatus {
  const l = LAYOUT[arch === 'x86' ? 32 : 64];
  const v = new StructView(desc, fileOffset, 'NT_PRSTATUS (elf_prstatus)');
  const word = (off: number): bigint => (l.word === 8 ? v.u64(off) : BigInt(v.u32(off)));
  const names = GREGSET_NAMES[arch];
  const gpr: Record<string, bigint> = {};
  names.forEach((n, i) => (gpr[n] = word(l.reg + i * l.word)));
  const micros = (off: number): number => Number(word(off)) * 1e6 + Number(word(off + l.word));
  return {
    info: { signo: v.i32(0), code: v.i32(4), errno: v.i32(8) },
    cursig: v.u16(12),
    sigpend: word(l.sigpend),
    sighold: word(l.sighold),
    tid: v.i32(l.pid),
    ppid: v.i32(l.pid + 4),
    pgrp: v.i32(l.pid + 8),
    sid: v.i32(l.pid + 12),
    userMicros: micros(l.times),
    systemMicros: micros(l.times + l.timeval),
    gpr,
    fpValid: v.i32(l.reg + names.length * l.word) !== 0,
  };
}
