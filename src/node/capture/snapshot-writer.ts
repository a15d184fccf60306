import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { failspot } from './failspot.js';
import * as libc from './libc.js';
import { ORIG_RAX, R10, R12, R13, R8, R9, RAX, RDI, RDX, readRegs, RIP, RSI, waitStopped } from './snapshot.js';

/**
 * The snapshot child writes its own memory into the dump file: dumpkit passes it the file's
 * descriptor, then has it run `pwrite64(fd, address, length, offset)` system calls, one per
 * piece of a memory range. The kernel copies straight from the child's (copy-on-write, frozen)
 * pages into the page cache: one copy of each byte, where reading the child through
 * /proc/PID/mem and writing from dumpkit costs three (page → bounce page → dumpkit → file).
 *
 * The child is ours (traced, stopped, killed when dumpkit dies by PTRACE_O_EXITKILL); each system
 * call is run at the `syscall` instruction where the snapshot was made, with a syscall-enter and
 * a syscall-exit stop. Nothing here runs the target's code or touches the target.
 *
 * How the descriptor gets there works whatever the two processes' credentials: the child makes
 * a socketpair; dumpkit takes one end with pidfd_getfd (it has ptrace rights over the child, as
 * over the target) and sends the file's descriptor over it (SCM_RIGHTS); the child receives it.
 */

// x86_64 system call numbers.
const SYS_PWRITE64 = 18;
const SYS_MMAP = 9;
const SYS_MUNMAP = 11;
const SYS_MPROTECT = 10;
const SYS_CLOSE = 3;
const SYS_SOCKETPAIR = 53;
const SYS_RECVMSG = 47;
const SYS_EXIT = 60;
const AF_UNIX = 1n;
const SOCK_STREAM_CLOEXEC = 1n | 0x80000n;
const MSG_CMSG_CLOEXEC = 0x40000000n;
const PROT_READ_WRITE = 3n;
const PROT_READ_EXEC = 5n;
const MAP_PRIVATE_ANONYMOUS = 0x22n;
const SCRATCH = 4096n;
/** Where in the scratch page the write loop goes (the first half holds the descriptor-passing buffers). */
const LOOP_AT = 0x800n;
/**
 * The write loop run in the snapshot: pwrite64 `r13`-byte pieces of `r12` bytes at `rsi` to file
 * offset `r10` of descriptor `rdi`, until done or a write fails or writes nothing; then int3 (a
 * SIGTRAP stop for us). On the stop, `r12` is what is left and `rax` the last result. It touches
 * no stack and no memory, and calls nothing but pwrite64. GNU as, from:
 *   top: test r12,r12 / je done / mov rdx,r13 / cmp r12,r13 / cmovb rdx,r12 / mov eax,18 / syscall
 *        test rax,rax / jle done / add rsi,rax / add r10,rax / sub r12,rax / jmp top
 *   done: int3
 */
const WRITE_LOOP = new Uint8Array([
  0x4d, 0x85, 0xe4, 0x74, 0x21, 0x4c, 0x89, 0xea, 0x4d, 0x39, 0xec, 0x49, 0x0f, 0x42, 0xd4, 0xb8, 0x12, 0x00, 0x00, 0x00, 0x0f, 0x05, 0x48, 0x85,
  0xc0, 0x7e, 0x0b, 0x48, 0x01, 0xc6, 0x49, 0x01, 0xc2, 0x49, 0x29, 0xc4, 0xeb, 0xda, 0xcc,
]);
/**
 * The size of each pwrite64 the loop makes. Page-cache folios are sized after the write, and on
 * virtual machines whose free memory the host has reclaimed the large ones are slow to get.
 * Measured on this project's VM, capturing 2 GiB, six alternating runs each (median total):
 * 64 KiB 1.17 s, 128 KiB 1.15 s, 256 KiB 0.94 s, 1 MiB 1.14 s, 4 MiB 2.0 s.
 */
export const WRITE_LOOP_CHUNK = 256 * 1024;

const EINTR = 4;

/** Bytes one pwrite64 wrote, or the errno that stopped it at its first byte. */
export type PieceResult = { written: number } | { errno: number };

export class ChildFileWriter {
  private ended = false;

  private constructor(
    private readonly child: number,
    private readonly site: bigint,
    /** The file's descriptor number in the child. */
    private readonly childFd: number,
    /** Address of the write loop in the child, if it could be installed. */
    private readonly loop: bigint | undefined,
  ) {}

  /** False when the write loop could not be installed (one ptrace round trip per pwrite64 instead). */
  get hasLoop(): boolean {
    return this.loop !== undefined;
  }

  /**
   * Gives the child `fd` (an open file of ours). Returns the writer, or why it cannot be made
   * (an old kernel without pidfd_getfd, a security module refusing a socketpair, no free
   * descriptor…); the child is left as it was found, stopped.
   */
  static open(child: number, site: bigint, fd: number): ChildFileWriter | { reason: string } {
    if (libc.ptrace(libc.PTRACE_SETOPTIONS, child, 0, libc.PTRACE_O_EXITKILL | libc.PTRACE_O_TRACESYSGOOD) < 0) return { reason: `PTRACE_SETOPTIONS on the snapshot: errno ${libc.errno()}` };
    const call = (nr: number, ...args: bigint[]): bigint => childSyscall(child, site, nr, args);
    const scratch = call(SYS_MMAP, 0n, SCRATCH, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1n, 0n);
    if (scratch < 0n) return { reason: `mmap in the snapshot failed: errno ${-scratch}` };
    let mem: number | undefined;
    let pair: [number, number] | undefined;
    let pidfd = -1;
    let ours = -1;
    let keepScratch = false;
    try {
      const r = call(SYS_SOCKETPAIR, AF_UNIX, SOCK_STREAM_CLOEXEC, 0n, scratch);
      if (r < 0n) return { reason: `socketpair in the snapshot failed: errno ${-r}` };
      mem = openSync(`/proc/${child}/mem`, 'r+');
      const fds = new Uint8Array(8);
      if (readSync(mem, fds, 0, 8, Number(scratch)) !== 8) return { reason: 'cannot read the snapshot socketpair' };
      const fv = new DataView(fds.buffer);
      pair = [fv.getInt32(0, true), fv.getInt32(4, true)];
      pidfd = libc.pidfdOpen(child);
      if (pidfd < 0) return { reason: `pidfd_open: errno ${libc.errno()}` };
      ours = libc.pidfdGetfd(pidfd, pair[0]);
      if (ours < 0) return { reason: `pidfd_getfd: errno ${libc.errno()}` };
      if (libc.sendFd(ours, fd) !== 1) return { reason: `sendmsg: errno ${libc.errno()}` };
      // struct msghdr at 0, struct iovec at 64, control buffer at 128, one data byte at 256.
      const msg = new Uint8Array(256);
      const mv = new DataView(msg.buffer);
      mv.setBigUint64(16, scratch + 64n, true);
      mv.setBigUint64(24, 1n, true);
      mv.setBigUint64(32, scratch + 128n, true);
      mv.setBigUint64(40, 24n, true);
      mv.setBigUint64(64, scratch + 200n, true);
      mv.setBigUint64(72, 1n, true);
      if (writeSync(mem, msg, 0, msg.length, Number(scratch)) !== msg.length) return { reason: 'cannot write into the snapshot' };
      const got = call(SYS_RECVMSG, BigInt(pair[1]), scratch, MSG_CMSG_CLOEXEC);
      if (got !== 1n) return { reason: `recvmsg in the snapshot returned ${got}` };
      const cmsg = new Uint8Array(24);
      readSync(mem, cmsg, 0, 24, Number(scratch) + 128);
      const cv = new DataView(cmsg.buffer);
      if (cv.getBigUint64(0, true) !== 20n || cv.getInt32(8, true) !== 1 || cv.getInt32(12, true) !== 1) return { reason: 'the snapshot received no descriptor' };
      const childFd = cv.getInt32(16, true);
      // The write loop: without it (W^X policy refusing an executable page), one pwrite64 per
      // ptrace round trip, in bigger pieces.
      let loop: bigint | undefined;
      // (DUMPKIT_TEST_NO_WRITE_LOOP=1 takes that path on purpose, for its tests.)
      const tryLoop = process.env.DUMPKIT_TEST_NO_WRITE_LOOP !== '1';
      if (tryLoop && writeSync(mem, WRITE_LOOP, 0, WRITE_LOOP.length, Number(scratch + LOOP_AT)) === WRITE_LOOP.length && call(SYS_MPROTECT, scratch, SCRATCH, PROT_READ_EXEC) === 0n) {
        loop = scratch + LOOP_AT;
        keepScratch = true;
      }
      return new ChildFileWriter(child, site, childFd, loop);
    } catch (e) {
      return { reason: `setting up the snapshot's writes: ${(e as Error).message}` };
    } finally {
      if (ours >= 0) libc.close(ours);
      if (pidfd >= 0) libc.close(pidfd);
      if (mem !== undefined) closeSync(mem);
      try {
        if (pair) for (const f of pair) call(SYS_CLOSE, BigInt(f));
        if (!keepScratch) call(SYS_MUNMAP, scratch, SCRATCH);
      } catch {
        /* the child is killed at the end of the snapshot anyway */
      }
    }
  }

  /**
   * Has the child write `length` bytes of its memory at `address` to file offset `offset` (one
   * pwrite64: it may write less, stopping before an unreadable page). Waits without blocking
   * the event loop; a long write is the kernel copying, on another CPU.
   */
  async writePiece(address: bigint, length: number, offset: number): Promise<PieceResult> {
    if (this.ended) throw new Error('snapshot writer already closed');
    for (;;) {
      let ret: bigint;
      let written: number;
      if (this.loop !== undefined) {
        const regs = readRegs(this.child);
        if (!regs) throw new Error(`cannot read the registers of snapshot ${this.child}`);
        const v = new DataView(regs.buffer);
        v.setBigUint64(RIP, this.loop, true);
        v.setBigInt64(ORIG_RAX, -1n, true);
        v.setBigUint64(RDI, BigInt(this.childFd), true);
        v.setBigUint64(RSI, address, true);
        v.setBigUint64(R10, BigInt(offset), true);
        v.setBigUint64(R12, BigInt(length), true);
        v.setBigUint64(R13, BigInt(WRITE_LOOP_CHUNK), true);
        if (libc.ptraceSetRegset(this.child, libc.NT_PRSTATUS, regs) < 0) throw new Error(`PTRACE_SETREGSET on snapshot ${this.child}: errno ${libc.errno()}`);
        await runToTrap(this.child);
        const after = readRegs(this.child);
        if (!after) throw new Error(`cannot read the registers of snapshot ${this.child}`);
        const a = new DataView(after.buffer);
        ret = a.getBigInt64(RAX, true);
        written = length - Number(a.getBigUint64(R12, true));
      } else {
        enter(this.child, this.site, SYS_PWRITE64, [BigInt(this.childFd), address, BigInt(length), BigInt(offset)]);
        ret = await finishAsync(this.child);
        written = ret > 0n ? Number(ret) : 0;
      }
      if (written > 0) return { written };
      if (ret === -BigInt(EINTR)) continue;
      return ret < 0n ? { errno: Number(-ret) } : { written: 0 };
    }
  }

  /** Closes the child's descriptor and points it at exit(0) again; it is killed with the snapshot. */
  close(): void {
    if (this.ended) return;
    this.ended = true;
    try {
      childSyscall(this.child, this.site, SYS_CLOSE, [BigInt(this.childFd)]);
      const regs = readRegs(this.child);
      if (regs) {
        const v = new DataView(regs.buffer);
        v.setBigUint64(RIP, this.site, true);
        v.setBigUint64(RAX, BigInt(SYS_EXIT), true);
        v.setBigUint64(RDI, 0n, true);
        v.setBigInt64(ORIG_RAX, -1n, true);
        libc.ptraceSetRegset(this.child, libc.NT_PRSTATUS, regs);
      }
    } catch {
      /* killed with the snapshot */
    }
  }
}

const ARG_OFFSETS = [RDI, RSI, RDX, R10, R8, R9];

/** Puts the child at the `syscall` instruction with `nr` and `args`, and runs it to the syscall-enter stop. */
function enter(child: number, site: bigint, nr: number, args: bigint[]): void {
  const regs = readRegs(child);
  if (!regs) throw new Error(`cannot read the registers of snapshot ${child}`);
  const v = new DataView(regs.buffer);
  v.setBigUint64(RIP, site, true);
  v.setBigInt64(ORIG_RAX, -1n, true);
  v.setBigUint64(RAX, BigInt(nr), true);
  args.forEach((a, i) => v.setBigUint64(ARG_OFFSETS[i]!, BigInt.asUintN(64, a), true));
  if (libc.ptraceSetRegset(child, libc.NT_PRSTATUS, regs) < 0) throw new Error(`PTRACE_SETREGSET on snapshot ${child}: errno ${libc.errno()}`);
  resumeToSyscallStop(child, waitStopped);
}

/** Runs one system call in the child and returns its result (negative errno on failure). */
function childSyscall(child: number, site: bigint, nr: number, args: bigint[]): bigint {
  enter(child, site, nr, args);
  resumeToSyscallStop(child, waitStopped);
  return result(child);
}

async function finishAsync(child: number): Promise<bigint> {
  await resumeToSyscallStopAsync(child);
  return result(child);
}

function result(child: number): bigint {
  const regs = readRegs(child);
  if (!regs) throw new Error(`cannot read the registers of snapshot ${child}`);
  return new DataView(regs.buffer).getBigInt64(RAX, true);
}

/** PTRACE_SYSCALL until the next syscall stop; signals for the child (SIGXFSZ…) are discarded. */
function resumeToSyscallStop(child: number, wait: (tid: number) => number): void {
  for (;;) {
    if (libc.ptrace(libc.PTRACE_SYSCALL, child, 0, 0) < 0) throw new Error(`PTRACE_SYSCALL on snapshot ${child}: errno ${libc.errno()}`);
    if (isSyscallStop(wait(child))) return;
  }
}

async function resumeToSyscallStopAsync(child: number): Promise<void> {
  for (;;) {
    if (libc.ptrace(libc.PTRACE_SYSCALL, child, 0, 0) < 0) throw new Error(`PTRACE_SYSCALL on snapshot ${child}: errno ${libc.errno()}`);
    if (isSyscallStop(await waitStoppedAsync(child))) return;
  }
}

/** PTRACE_CONT until the write loop's int3 (a SIGTRAP stop); other signals for the child are discarded. */
async function runToTrap(child: number): Promise<void> {
  for (;;) {
    if (libc.ptrace(libc.PTRACE_CONT, child, 0, 0) < 0) throw new Error(`PTRACE_CONT on snapshot ${child}: errno ${libc.errno()}`);
    failspot('snapshot-writing');
    const status = await waitStoppedAsync(child);
    if (((status >> 8) & 0xff) === libc.SIGTRAP) return;
  }
}

function isSyscallStop(status: number): boolean {
  return ((status >> 8) & 0xff) === (libc.SIGTRAP | 0x80);
}

const spin = new Int32Array(new SharedArrayBuffer(4));

/** waitpid for a stop: briefly polls (short writes end in microseconds), then yields to the event loop between polls. */
async function waitStoppedAsync(tid: number): Promise<number> {
  for (let i = 0; ; i++) {
    const [r, status] = libc.waitpid(tid, libc.__WALL | libc.WNOHANG);
    if (r === tid) {
      if ((status & 0xff) !== 0x7f) throw new Error(`snapshot ${tid} ended while writing`);
      return status;
    }
    if (r < 0 && libc.errno() !== libc.EINTR) throw new Error(`waitpid(${tid}): errno ${libc.errno()}`);
    if (i < 20) Atomics.wait(spin, 0, 0, 0.05);
    else await new Promise((res) => setTimeout(res, 1));
  }
}
