import { closeSync, openSync, readSync, writeSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';
import { failspot } from './failspot.js';
import * as libc from './libc.js';
import { readRegs, writeRegs, type SnapshotArch } from './snapshot-arch.js';
import { CONTROL_AT, MSG_BYTES, msgLayout } from './msghdr.js';
import { disarm, waitStopped } from './snapshot.js';

/**
 * The snapshot child writes its own memory into the dump file: dumpkit passes it the file's
 * descriptor, then has it run `pwrite64(fd, address, length, offset)` system calls, one per
 * piece of a memory range. The kernel copies straight from the child's (copy-on-write, frozen)
 * pages into the page cache: one copy of each byte, where reading the child through
 * /proc/PID/mem and writing from dumpkit costs three (page → bounce page → dumpkit → file).
 *
 * The child is ours (traced, stopped, killed when dumpkit dies by PTRACE_O_EXITKILL); each system
 * call is run at the system call instruction where the snapshot was made, with a syscall-enter and
 * a syscall-exit stop. Nothing here runs the target's code or touches the target.
 *
 * How the descriptor gets there works whatever the two processes' credentials: the child makes
 * a socketpair; dumpkit takes one end with pidfd_getfd (it has ptrace rights over the child, as
 * over the target) and sends the file's descriptor over it (SCM_RIGHTS); the child receives it.
 */

const AF_UNIX = 1n;
const SOCK_STREAM_CLOEXEC = 1n | 0x80000n;
const MSG_CMSG_CLOEXEC = 0x40000000n;
const PROT_READ_WRITE = 3n;
const PROT_READ_EXEC = 5n;
const MAP_PRIVATE_ANONYMOUS = 0x22n;
const SCRATCH = 4096n;
/** Where in the scratch page the write loop goes (the first half holds the descriptor-passing buffers). */
const LOOP_AT = 0x800n;
const EINTR = 4;

/** Bytes one pwrite64 wrote, or the errno that stopped it at its first byte. */
export type PieceResult = { written: number } | { errno: number };

export class ChildFileWriter {
  private ended = false;

  private constructor(
    private readonly arch: SnapshotArch,
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
  static open(arch: SnapshotArch, child: number, site: bigint, fd: number): ChildFileWriter | { reason: string } {
    if (libc.ptrace(libc.PTRACE_SETOPTIONS, child, 0, libc.PTRACE_O_EXITKILL | libc.PTRACE_O_TRACESYSGOOD) < 0) return { reason: `PTRACE_SETOPTIONS on the snapshot: errno ${libc.errno()}` };
    const call = (nr: number, ...args: bigint[]): bigint => childSyscall(arch, child, site, nr, args);
    const scratch = call(arch.sys.mmap, 0n, SCRATCH, PROT_READ_WRITE, MAP_PRIVATE_ANONYMOUS, -1n, 0n);
    if (scratch < 0n) return { reason: `mmap in the snapshot failed: errno ${-scratch}` };
    let mem: number | undefined;
    let pair: [number, number] | undefined;
    let pidfd = -1;
    let ours = -1;
    let keepScratch = false;
    try {
      const r = call(arch.sys.socketpair, AF_UNIX, SOCK_STREAM_CLOEXEC, 0n, scratch);
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
      const layout = msgLayout(arch.word);
      if (writeSync(mem, layout.message(scratch), 0, MSG_BYTES, Number(scratch)) !== MSG_BYTES) return { reason: 'cannot write into the snapshot' };
      const got = call(arch.sys.recvmsg, BigInt(pair[1]), scratch, MSG_CMSG_CLOEXEC);
      if (got !== 1n) return { reason: `recvmsg in the snapshot returned ${got}` };
      const cmsg = new Uint8Array(layout.cmsgSpace);
      readSync(mem, cmsg, 0, cmsg.length, Number(scratch) + CONTROL_AT);
      const childFd = layout.receivedFd(cmsg);
      if (childFd === undefined) return { reason: 'the snapshot received no descriptor' };
      // The write loop: without it (W^X policy refusing an executable page), one pwrite64 per
      // ptrace round trip, in bigger pieces.
      let loop: bigint | undefined;
      // (DUMPKIT_TEST_NO_WRITE_LOOP=1 takes that path on purpose, for its tests.)
      const tryLoop = process.env.DUMPKIT_TEST_NO_WRITE_LOOP !== '1';
      const code = arch.loop.code;
      if (tryLoop && writeSync(mem, code, 0, code.length, Number(scratch + LOOP_AT)) === code.length && call(arch.sys.mprotect, scratch, SCRATCH, PROT_READ_EXEC) === 0n) {
        loop = scratch + LOOP_AT;
        keepScratch = true;
      }
      return new ChildFileWriter(arch, child, site, childFd, loop);
    } catch (e) {
      return { reason: `setting up the snapshot's writes: ${captureFailure(e).message}` };
    } finally {
      if (ours >= 0) libc.close(ours);
      if (pidfd >= 0) libc.close(pidfd);
      if (mem !== undefined) closeSync(mem);
      try {
        if (pair) for (const f of pair) call(arch.sys.close, BigInt(f));
        if (!keepScratch) call(arch.sys.munmap, scratch, SCRATCH);
      } catch (e) {
        captureFailure(e); // the child is killed at the end of the snapshot anyway
      }
    }
  }

  /**
   * Has the child write `length` bytes of its memory at `address` to file offset `offset` (one
   * pwrite64: it may write less, stopping before an unreadable page). Waits without blocking
   * the event loop; a long write is the kernel copying, on another CPU.
   */
  async writePiece(address: bigint, length: number, offset: number): Promise<PieceResult> {
    if (this.ended) throw new DumpError('CAPTURE', 'snapshot writer already closed');
    const arch = this.arch;
    for (;;) {
      let ret: bigint;
      let written: number;
      if (this.loop !== undefined) {
        const regs = readRegs(arch, this.child);
        if (!regs) throw new DumpError('CAPTURE', `cannot read the registers of snapshot ${this.child}`);
        regs.set(arch.ip, this.loop);
        regs.set(arch.origNr, -1n);
        arch.loop.setup(regs, BigInt(this.childFd), address, BigInt(length), BigInt(offset));
        if (writeRegs(this.child, regs) < 0) throw new DumpError('CAPTURE', `PTRACE_SETREGSET on snapshot ${this.child}: errno ${libc.errno()}`);
        await runToTrap(this.child);
        const after = readRegs(arch, this.child);
        if (!after) throw new DumpError('CAPTURE', `cannot read the registers of snapshot ${this.child}`);
        ret = after.signed(arch.ret);
        written = length - Number(after.get(arch.loop.remaining));
      } else {
        enter(arch, this.child, this.site, arch.sys.pwrite64, arch.pwriteArgs(BigInt(this.childFd), address, BigInt(length), BigInt(offset)));
        ret = await finishAsync(arch, this.child);
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
      childSyscall(this.arch, this.child, this.site, this.arch.sys.close, [BigInt(this.childFd)]);
      disarm(this.arch, this.child, this.site);
    } catch (e) {
      captureFailure(e); // killed with the snapshot
    }
  }
}

/** Puts the child at the system call instruction with `nr` and `args`, and runs it to the syscall-enter stop. */
function enter(arch: SnapshotArch, child: number, site: bigint, nr: number, args: bigint[]): void {
  const regs = readRegs(arch, child);
  if (!regs) throw new DumpError('CAPTURE', `cannot read the registers of snapshot ${child}`);
  regs.setSyscall(site, nr, args);
  if (writeRegs(child, regs) < 0) throw new DumpError('CAPTURE', `PTRACE_SETREGSET on snapshot ${child}: errno ${libc.errno()}`);
  resumeToSyscallStop(child);
}

/** Runs one system call in the child and returns its result (negative errno on failure). */
function childSyscall(arch: SnapshotArch, child: number, site: bigint, nr: number, args: bigint[]): bigint {
  enter(arch, child, site, nr, args);
  resumeToSyscallStop(child);
  return result(arch, child);
}

async function finishAsync(arch: SnapshotArch, child: number): Promise<bigint> {
  await resumeToSyscallStopAsync(child);
  return result(arch, child);
}

function result(arch: SnapshotArch, child: number): bigint {
  const regs = readRegs(arch, child);
  if (!regs) throw new DumpError('CAPTURE', `cannot read the registers of snapshot ${child}`);
  return regs.signed(arch.ret);
}

/** PTRACE_SYSCALL until the next syscall stop; signals for the child (SIGXFSZ…) are discarded. */
function resumeToSyscallStop(child: number): void {
  for (;;) {
    if (libc.ptrace(libc.PTRACE_SYSCALL, child, 0, 0) < 0) throw new DumpError('CAPTURE', `PTRACE_SYSCALL on snapshot ${child}: errno ${libc.errno()}`);
    if (isSyscallStop(waitStopped(child))) return;
  }
}

async function resumeToSyscallStopAsync(child: number): Promise<void> {
  for (;;) {
    if (libc.ptrace(libc.PTRACE_SYSCALL, child, 0, 0) < 0) throw new DumpError('CAPTURE', `PTRACE_SYSCALL on snapshot ${child}: errno ${libc.errno()}`);
    if (isSyscallStop(await waitStoppedAsync(child))) return;
  }
}

/** PTRACE_CONT until the write loop's int3 (a SIGTRAP stop); other signals for the child are discarded. */
async function runToTrap(child: number): Promise<void> {
  for (;;) {
    if (libc.ptrace(libc.PTRACE_CONT, child, 0, 0) < 0) throw new DumpError('CAPTURE', `PTRACE_CONT on snapshot ${child}: errno ${libc.errno()}`);
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
      if ((status & 0xff) !== 0x7f) throw new DumpError('CAPTURE', `snapshot ${tid} ended while writing`);
      return status;
    }
    if (r < 0 && libc.errno() !== libc.EINTR) throw new DumpError('CAPTURE', `waitpid(${tid}): errno ${libc.errno()}`);
    if (i < 20) Atomics.wait(spin, 0, 0, 0.05);
    else await new Promise((res) => setTimeout(res, 1));
  }
}

/** A failed ptrace/syscall step (DumpError) or file operation (errno error); anything else is a bug and is rethrown. */
function captureFailure(e: unknown): Error {
  return e instanceof DumpError ? e : onlyErrno(e);
}
