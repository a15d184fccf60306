import * as libc from './libc.js';

/**
 * What the copy-on-write snapshot (snapshot.ts, snapshot-writer.ts) needs to know about the
 * target's instruction set: the layout of its NT_PRSTATUS register set, its system call numbers
 * and argument registers, the system call instruction a blocked thread sits after, and the write
 * loop's machine code. The logic is shared; only this differs between x86_64 and i386 targets.
 *
 * A 64-bit tracer sees a 32-bit tracee through the i386 register view: PTRACE_GETREGSET
 * NT_PRSTATUS fills the 68-byte i386 `user_regs_struct` (17 four-byte registers), and
 * PTRACE_SETREGSET takes the same (verified on Linux 6.18 in the tests).
 */
export interface SnapshotArch {
  readonly name: 'x86_64' | 'i386';
  /** Bytes per register and per pointer in the target. */
  readonly word: 4 | 8;
  /** Size of the NT_PRSTATUS register set. */
  readonly regsSize: number;
  /** Register offsets in that set: instruction pointer, system call number/result, the original system call number. */
  readonly ip: number;
  readonly ret: number;
  readonly origNr: number;
  /** Registers of system call arguments 1…6, in order. */
  readonly args: readonly number[];
  /** The two bytes at ip-2 of a thread blocked in a system call: the instruction that is re-run. */
  readonly syscallInsn: readonly [number, number];
  readonly sys: {
    readonly clone: number;
    readonly exit: number;
    readonly wait4: number;
    readonly restartSyscall: number;
    readonly pwrite64: number;
    /** mmap (x86_64) or mmap2 (i386): the offset, always 0 here, is in bytes or pages. */
    readonly mmap: number;
    readonly munmap: number;
    readonly mprotect: number;
    readonly close: number;
    readonly socketpair: number;
    readonly recvmsg: number;
  };
  /** Blocking system calls whose wrappers tolerate a restart: where a call can be injected. */
  readonly safeSyscalls: ReadonlySet<number>;
  /** clone's arguments for the snapshot child (no CLONE_VM, exit signal 0, unusable stack pointer). */
  readonly cloneArgs: readonly bigint[];
  /**
   * Whether a child that starts at the instruction after the system call instruction (whose
   * first bytes are `next`), with the unusable stack pointer, is sure to fault before doing
   * anything: the condition for choosing that thread to make the snapshot.
   */
  childFaultsAt(next: Uint8Array): boolean;
  /** pwrite64's arguments (the offset is one register or two). */
  pwriteArgs(fd: bigint, address: bigint, count: bigint, offset: bigint): bigint[];
  readonly loop: {
    /** The write loop's machine code (ends in int3). */
    readonly code: Uint8Array;
    /** Sets the registers the loop reads: descriptor, address, length, file offset, piece size. */
    setup(regs: Regs, fd: bigint, address: bigint, length: bigint, offset: bigint): void;
    /** Register holding what is left to write when the loop stops at its int3. */
    readonly remaining: number;
  };
}

/** In the first page, which mmap_min_addr keeps unmapped: any push/pop/call/ret faults. */
export const CHILD_TRAP_SP = 0x100n;
const CLONE_SETTLS = 0x80000n;
/** System call results from -4095 to -1 are errors (-errno). */
const MAX_ERRNO = 4095n;

/** A thread's NT_PRSTATUS registers, read and written as words of the target's width. */
export class Regs {
  constructor(
    readonly arch: SnapshotArch,
    readonly bytes: Uint8Array,
  ) {}

  private get view(): DataView {
    return new DataView(this.bytes.buffer, this.bytes.byteOffset, this.bytes.byteLength);
  }

  get(offset: number): bigint {
    return this.arch.word === 8 ? this.view.getBigUint64(offset, true) : BigInt(this.view.getUint32(offset, true));
  }

  /** A register as a system call sees it: -4095…-1 are errors (or -1 for "no system call"), anything else is unsigned. */
  signed(offset: number): bigint {
    const v = this.get(offset);
    const top = 1n << BigInt(this.arch.word * 8);
    return v >= top - MAX_ERRNO ? v - top : v;
  }

  set(offset: number, value: bigint): void {
    const v = BigInt.asUintN(this.arch.word * 8, value);
    if (this.arch.word === 8) this.view.setBigUint64(offset, v, true);
    else this.view.setUint32(offset, Number(v), true);
  }

  copy(): Regs {
    return new Regs(this.arch, this.bytes.slice());
  }

  /** Sets the registers to run system call `nr` with `args` at the system call instruction at `site`. */
  setSyscall(site: bigint, nr: number, args: readonly bigint[]): void {
    this.set(this.arch.ip, site);
    this.set(this.arch.origNr, -1n); // no restart processing on the way out of the stop
    this.set(this.arch.ret, BigInt(nr));
    args.forEach((a, i) => this.set(this.arch.args[i]!, a));
  }
}

/** The thread's registers, or undefined when they cannot be read or are not of this architecture's size. */
export function readRegs(arch: SnapshotArch, tid: number): Regs | undefined {
  const b = new Uint8Array(Math.max(arch.regsSize, 512));
  const n = libc.ptraceGetRegset(tid, libc.NT_PRSTATUS, b);
  return n === arch.regsSize ? new Regs(arch, b.slice(0, n)) : undefined;
}

export function writeRegs(tid: number, regs: Regs): number {
  return libc.ptraceSetRegset(tid, libc.NT_PRSTATUS, regs.bytes);
}

// x86_64 user_regs_struct: r15 r14 r13 r12 rbp rbx r11 r10 r9 r8 rax rcx rdx rsi rdi orig_rax rip cs eflags rsp ss fs_base gs_base ds es fs gs.
const Q = (i: number): number => i * 8;
const [R10, R8, R9, R12, R13, RAX, RDX, RSI, RDI, ORIG_RAX, RIP] = [7, 9, 8, 3, 2, 10, 12, 13, 14, 15, 16].map(Q) as [number, number, number, number, number, number, number, number, number, number, number];

/**
 * The x86_64 write loop: pwrite64 `r13`-byte pieces of `r12` bytes at `rsi` to file offset `r10`
 * of descriptor `rdi`, until done or a write fails or writes nothing; then int3 (a SIGTRAP stop
 * for us). On the stop, `r12` is what is left and `rax` the last result. It touches no stack and
 * no memory, and calls nothing but pwrite64. GNU as, from:
 *   top: test r12,r12 / je done / mov rdx,r13 / cmp r12,r13 / cmovb rdx,r12 / mov eax,18 / syscall
 *        test rax,rax / jle done / add rsi,rax / add r10,rax / sub r12,rax / jmp top
 *   done: int3
 */
const X86_64_LOOP = new Uint8Array([
  0x4d, 0x85, 0xe4, 0x74, 0x21, 0x4c, 0x89, 0xea, 0x4d, 0x39, 0xec, 0x49, 0x0f, 0x42, 0xd4, 0xb8, 0x12, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x85,
  0xc0, 0x7e, 0x0b, 0x48, 0x01, 0xc6, 0x49, 0x01, 0xc2, 0x49, 0x29, 0xc4, 0xeb, 0xda, 0xcc,
]);

/**
 * The size of each pwrite64 the write loop makes. Page-cache folios are sized after the write,
 * and on virtual machines whose free memory the host has reclaimed the large ones are slow to
 * get. Measured on this project's VM, capturing 2 GiB, six alternating runs each, one-off with a temporary override (median total):
 * 64 KiB 1.17 s, 128 KiB 1.15 s, 256 KiB 0.94 s, 1 MiB 1.14 s, 4 MiB 2.0 s.
 */
export const WRITE_LOOP_CHUNK = 256 * 1024;

export const X86_64: SnapshotArch = {
  name: 'x86_64',
  word: 8,
  regsSize: 27 * 8,
  ip: RIP,
  ret: RAX,
  origNr: ORIG_RAX,
  args: [RDI, RSI, RDX, R10, R8, R9],
  syscallInsn: [0x0f, 0x05], // syscall
  sys: { clone: 56, exit: 60, wait4: 61, restartSyscall: 219, pwrite64: 18, mmap: 9, munmap: 11, mprotect: 10, close: 3, socketpair: 53, recvmsg: 47 },
  // poll select pause nanosleep wait4 rt_sigtimedwait rt_sigsuspend futex clock_nanosleep epoll_wait pselect6 ppoll epoll_pwait
  safeSyscalls: new Set([7, 23, 34, 35, 61, 128, 130, 202, 230, 232, 270, 271, 281]),
  // flags CLONE_SETTLS (tls 0: the child's first TLS access faults too), newsp, parent_tid, child_tid, tls.
  cloneArgs: [CLONE_SETTLS, CHILD_TRAP_SP, 0n, 0n, 0n],
  // With no stack and no TLS, whatever glibc runs after its `syscall` faults before it can act.
  childFaultsAt: () => true,
  pwriteArgs: (fd, address, count, offset) => [fd, address, count, offset],
  loop: {
    code: X86_64_LOOP,
    setup(regs, fd, address, length, offset) {
      regs.set(RDI, fd);
      regs.set(RSI, address);
      regs.set(R10, offset);
      regs.set(R12, length);
      regs.set(R13, BigInt(WRITE_LOOP_CHUNK));
    },
    remaining: R12,
  },
};

// i386 user_regs_struct: ebx ecx edx esi edi ebp eax xds xes xfs xgs orig_eax eip xcs eflags esp xss.
const D = (i: number): number => i * 4;
const [EBX, ECX, EDX, ESI, EDI, EBP, EAX, ORIG_EAX, EIP] = [0, 1, 2, 3, 4, 5, 6, 11, 12].map(D) as [number, number, number, number, number, number, number, number, number];

/**
 * The i386 write loop: pwrite64 pieces of at most WRITE_LOOP_CHUNK bytes (the immediate at byte
 * 5, set from the constant below) of `ebp` bytes at `ecx` to the 64-bit file offset `edi:esi`
 * of descriptor `ebx`, until done or a write fails or writes nothing; then int3. On the stop,
 * `ebp` is what is left and `eax` the last result. No stack, no memory, nothing but pwrite64
 * (int $0x80 keeps every register but eax). `as --32`, from:
 *   top:  test %ebp,%ebp / je done / mov $CHUNK,%edx / cmp %edx,%ebp / cmovb %ebp,%edx
 *         mov $181,%eax / int $0x80 / test %eax,%eax / jle done
 *         add %eax,%ecx / add %eax,%esi / adc $0,%edi / sub %eax,%ebp / jmp top
 *   done: int3
 */
const I386_LOOP = new Uint8Array([
  0x85, 0xed, 0x74, 0x20, 0xba, 0x00, 0x00, 0x04, 0x00, 0x39, 0xd5, 0x0f, 0x42, 0xd5, 0xb8, 0xb5, 0x00, 0x00, 0x00, 0xcd, 0x80, 0x85, 0xc0, 0x7e,
  0x0b, 0x01, 0xc1, 0x01, 0xc6, 0x83, 0xd7, 0x00, 0x29, 0xc5, 0xeb, 0xdc, 0xcc,
]);
new DataView(I386_LOOP.buffer).setUint32(5, WRITE_LOOP_CHUNK, true);

export const I386: SnapshotArch = {
  name: 'i386',
  word: 4,
  regsSize: 17 * 4,
  ip: EIP,
  ret: EAX,
  origNr: ORIG_EAX,
  args: [EBX, ECX, EDX, ESI, EDI, EBP],
  syscallInsn: [0xcd, 0x80], // int $0x80 (also where the vDSO's sysenter/syscall path returns: see below)
  sys: { clone: 120, exit: 1, wait4: 114, restartSyscall: 0, pwrite64: 181, mmap: 192, munmap: 91, mprotect: 125, close: 6, socketpair: 360, recvmsg: 372 },
  // poll _newselect pause nanosleep wait4 rt_sigtimedwait rt_sigsuspend futex epoll_wait clock_nanosleep
  // pselect6 ppoll epoll_pwait, and the time64 ones glibc calls first: clock_nanosleep pselect6 ppoll rt_sigtimedwait futex.
  safeSyscalls: new Set([168, 142, 29, 162, 114, 177, 179, 240, 256, 267, 308, 309, 319, 407, 413, 414, 421, 422]),
  // flags 0 (no CLONE_SETTLS: on i386 it would need a struct user_desc in the target's memory),
  // newsp, parent_tid, tls, child_tid. The child keeps the thread's TLS (%gs), so its safety is
  // its stack pointer alone, and childFaultsAt below requires that its very first instruction
  // use the stack.
  cloneArgs: [0n, CHILD_TRAP_SP, 0n, 0n, 0n],
  // glibc's i386 system calls go through the vDSO's __kernel_vsyscall, and the kernel makes its
  // sysenter/syscall return land after an `int $0x80` there, followed by `pop %ebp; pop %edx;
  // pop %ecx; ret`: a child starting there with esp in the unmapped first page faults on its
  // first pop (and, having no stack for a signal frame, is killed by the SIGSEGV). Any pop (58–5f),
  // push (50–57) or ret (c3) as the next instruction does the same; elsewhere we do not inject.
  childFaultsAt: (next) => next.length > 0 && ((next[0]! >= 0x50 && next[0]! <= 0x5f) || next[0] === 0xc3),
  pwriteArgs: (fd, address, count, offset) => [fd, address, count, offset & 0xffffffffn, offset >> 32n],
  loop: {
    code: I386_LOOP,
    setup(regs, fd, address, length, offset) {
      regs.set(EBX, fd);
      regs.set(ECX, address);
      regs.set(ESI, offset & 0xffffffffn);
      regs.set(EDI, offset >> 32n);
      regs.set(EBP, length);
    },
    remaining: EBP,
  },
};
