import { readFileSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import { failspot } from './failspot.js';
import * as libc from './libc.js';

/**
 * A copy-on-write snapshot of a stopped x86_64 process: one of its threads, stopped inside a
 * blocking system call, is made to run one extra `clone(0)` system call at the `syscall`
 * instruction it is already sitting after. The child is a frozen copy of the address space
 * (pages shared copy-on-write, so this costs page tables, not memory); it is auto-attached to us
 * stopped, and is given PTRACE_O_EXITKILL so it dies if dumpkit dies, and registers that make it
 * call exit(0) if it ever runs. Until then (if dumpkit is killed in the microseconds between the
 * clone and those two calls) it has an unmapped stack pointer, so its first instructions fault. The thread's registers are
 * then restored, with the interrupted system call restarted as the kernel would have done.
 * Memory is then read from the child while the target runs.
 *
 * Targets under a seccomp filter are never injected into (a filter may kill or signal the target
 * for the extra system call): they are captured by copying instead.
 *
 * clone with exit signal 0 sends the target no SIGCHLD; the killed child is a zombie child of the
 * target, invisible to wait() without __WALL, which reapSnapshot then has the target reap.
 */

// Blocking system calls whose wrappers tolerate a restart: the injection site.
const SAFE_SYSCALLS = new Set([7 /* poll */, 23 /* select */, 34 /* pause */, 35 /* nanosleep */, 61 /* wait4 */, 128 /* rt_sigtimedwait */, 130 /* rt_sigsuspend */, 202 /* futex */, 230 /* clock_nanosleep */, 232 /* epoll_wait */, 270 /* pselect6 */, 271 /* ppoll */, 281 /* epoll_pwait */]);
const SYS_CLONE = 56;
const SYS_RESTART_SYSCALL = 219;
const ERESTARTSYS = -512n;
const ERESTARTNOINTR = -513n;
const ERESTARTNOHAND = -514n;
const ERESTART_RESTARTBLOCK = -516n;

// x86_64 user_regs_struct offsets.
export const RAX = 10 * 8;
export const RDI = 14 * 8;
export const RSI = 13 * 8;
export const RDX = 12 * 8;
export const R10 = 7 * 8;
export const R8 = 9 * 8;
export const R9 = 8 * 8;
export const R12 = 3 * 8;
export const R13 = 2 * 8;
export const ORIG_RAX = 15 * 8;
export const RIP = 16 * 8;
const REGS_SIZE = 27 * 8;

const SYS_EXIT = 60;
/** In the first page, which mmap_min_addr keeps unmapped: any push/pop/ret faults. */
const CHILD_TRAP_SP = 0x100n;
const CLONE_SETTLS = 0x80000n;
const WAIT_MS = 5000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

export function waitStopped(tid: number): number {
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const [r, status] = libc.waitpid(tid, libc.__WALL | libc.WNOHANG);
    if (r === tid) {
      if ((status & 0xff) !== 0x7f) throw new DumpError('PROCESS_EXITED', `thread ${tid} exited during the snapshot`);
      return status;
    }
    if (r < 0 && libc.errno() !== libc.EINTR) throw new DumpError('CAPTURE', `waitpid(${tid}) failed during the snapshot: errno ${libc.errno()}`);
    if (Date.now() > deadline) throw new DumpError('CAPTURE', `thread ${tid} did not stop within ${WAIT_MS} ms during the snapshot`);
    Atomics.wait(sleeper, 0, 0, 0.2);
  }
}

export function readRegs(tid: number): Uint8Array | undefined {
  const b = new Uint8Array(REGS_SIZE);
  return libc.ptraceGetRegset(tid, libc.NT_PRSTATUS, b) === REGS_SIZE ? b : undefined;
}

/**
 * Makes the snapshot child. `candidates` are seized, stopped threads of a 64-bit target; returns
 * the child's pid, or undefined (with the reason) when no thread is at a safe injection site or
 * the system call fails. Never leaves a thread with changed registers.
 */
export function forkSnapshot(pid: number, candidates: number[], readByte2: (address: bigint) => Uint8Array | undefined): { child?: number; site?: bigint; reason?: string } {
  const site = injectionSite(candidates, readByte2);
  if (!site) return { reason: 'no thread is blocked in a restartable system call' };
  const seccomp = seccompMode(pid);
  if (seccomp !== 0) return { reason: seccomp < 0 ? 'its seccomp state cannot be read' : 'it runs under seccomp' };
  const { tid, regs: saved } = site;
  const sv = new DataView(saved.buffer);
  const inject = saved.slice();
  const iv = new DataView(inject.buffer);
  iv.setBigUint64(RIP, sv.getBigUint64(RIP, true) - 2n, true);
  iv.setBigInt64(ORIG_RAX, -1n, true); // no restart processing on the way out of the stop
  iv.setBigUint64(RAX, BigInt(SYS_CLONE), true);
  // A new process (no CLONE_VM: copy-on-write memory), exit signal 0. Its stack pointer is in the
  // unmapped first page and its TLS base is 0 (CLONE_SETTLS): should the child ever run before we
  // have disarmed it (dumpkit killed in that instant), its first stack or TLS access faults and
  // it dies before it can act as a second copy of the program.
  iv.setBigUint64(RDI, CLONE_SETTLS, true);
  iv.setBigUint64(RSI, CHILD_TRAP_SP, true); // newsp
  iv.setBigUint64(RDX, 0n, true); // parent_tid
  iv.setBigUint64(R10, 0n, true); // child_tid
  iv.setBigUint64(R8, 0n, true); // tls

  // What the thread will get back: its registers, with the interrupted call restarted.
  const restore = restartedRegs(saved);

  let child: number | undefined;
  let exitKillError: number | undefined;
  let injected = false;
  try {
    if (libc.ptrace(libc.PTRACE_SETOPTIONS, tid, 0, libc.PTRACE_O_TRACECLONE | libc.PTRACE_O_TRACESYSGOOD) < 0) return { reason: `PTRACE_SETOPTIONS failed: errno ${libc.errno()}` };
    if (libc.ptraceSetRegset(tid, libc.NT_PRSTATUS, inject) < 0) return { reason: `PTRACE_SETREGSET failed: errno ${libc.errno()}` };
    injected = true;
    // syscall-enter stop, then the clone event stop, then syscall-exit stop.
    for (let step = 0; step < 6; step++) {
      if (libc.ptrace(libc.PTRACE_SYSCALL, tid, 0, 0) < 0) throw new DumpError('CAPTURE', `PTRACE_SYSCALL failed: errno ${libc.errno()}`);
      const status = waitStopped(tid);
      const sig = (status >> 8) & 0xff;
      const event = status >> 16;
      if (event === libc.PTRACE_EVENT_CLONE) {
        const c = libc.ptraceGetEventMsg(tid);
        if (c > 0) {
          child = c;
          // The child first stops with PTRACE_EVENT_STOP. Make it die with us, and point it at
          // exit(0) so that even if it ever runs it only exits.
          waitStopped(c);
          failspot('snapshot-before-exitkill');
          // Not returning from here: the clone must reach its exit stop before registers are restored.
          if (libc.ptrace(libc.PTRACE_SETOPTIONS, c, 0, libc.PTRACE_O_EXITKILL) < 0) exitKillError = libc.errno();
          disarm(c, sv.getBigUint64(RIP, true) - 2n);
        }
        continue;
      }
      if (sig === (libc.SIGTRAP | 0x80)) {
        const now = readRegs(tid);
        const ret = now ? new DataView(now.buffer).getBigInt64(RAX, true) : 0n;
        const orig = now ? new DataView(now.buffer).getBigInt64(ORIG_RAX, true) : 0n;
        if (orig === BigInt(SYS_CLONE) && ret !== -38n /* -ENOSYS: still at entry */) {
          if (ret < 0n) return { reason: `clone in the target failed: errno ${-ret}` };
          break; // syscall-exit stop
        }
        continue;
      }
      throw new DumpError('CAPTURE', `unexpected stop (signal ${sig}) while making the snapshot`);
    }
    if (child !== undefined && exitKillError !== undefined) {
      endSnapshot(child);
      return { reason: `could not tie the snapshot child's life to dumpkit's (PTRACE_O_EXITKILL: errno ${exitKillError})` };
    }
    return child ? { child, site: sv.getBigUint64(RIP, true) - 2n } : { reason: 'the clone system call made no child' };
  } finally {
    if (injected && libc.ptraceSetRegset(tid, libc.NT_PRSTATUS, restore) < 0) {
      // Should not happen: the thread is stopped and ours. Say so loudly rather than hide it.
      throw new DumpError('CAPTURE', `could not restore the registers of thread ${tid} of process ${pid}: errno ${libc.errno()}`);
    }
    libc.ptrace(libc.PTRACE_SETOPTIONS, tid, 0, 0);
  }
}

/**
 * A stopped thread that is blocked in a restartable system call and sits just after a `syscall`
 * instruction: where one extra system call can be run and the interrupted one restarted.
 */
function injectionSite(candidates: number[], readByte2: (address: bigint) => Uint8Array | undefined): { tid: number; regs: Uint8Array } | undefined {
  for (const tid of candidates) {
    const regs = readRegs(tid);
    if (!regs) continue;
    const dv = new DataView(regs.buffer);
    if (!SAFE_SYSCALLS.has(Number(dv.getBigInt64(ORIG_RAX, true)))) continue;
    const insn = readByte2(dv.getBigUint64(RIP, true) - 2n);
    if (insn && insn[0] === 0x0f && insn[1] === 0x05) return { tid, regs };
  }
  return undefined;
}

/** `saved` (a thread stopped inside a system call) with the interrupted call restarted, as the kernel would. */
function restartedRegs(saved: Uint8Array): Uint8Array {
  const sv = new DataView(saved.buffer, saved.byteOffset, saved.byteLength);
  const restore = saved.slice();
  const rv = new DataView(restore.buffer);
  const err = sv.getBigInt64(RAX, true);
  const nr = sv.getBigInt64(ORIG_RAX, true);
  if (err === ERESTARTSYS || err === ERESTARTNOINTR || err === ERESTARTNOHAND || err === ERESTART_RESTARTBLOCK) {
    rv.setBigInt64(RAX, err === ERESTART_RESTARTBLOCK ? BigInt(SYS_RESTART_SYSCALL) : nr, true);
    rv.setBigUint64(RIP, sv.getBigUint64(RIP, true) - 2n, true);
  }
  rv.setBigInt64(ORIG_RAX, -1n, true);
  return restore;
}

const SYS_WAIT4 = 61;

/**
 * Reaps the dead snapshot child, which is a zombie child of the target (exit signal 0: no
 * SIGCHLD, so the target never waits for it): one of `candidates` (stopped threads of the
 * target) runs `wait4(child, NULL, __WALL, NULL)` at its `syscall` instruction, then gets its
 * registers back with its own system call restarted, as for the clone. Returns whether it did.
 */
export function reapSnapshot(child: number, candidates: number[], readByte2: (address: bigint) => Uint8Array | undefined): { reaped: boolean; tid?: number; signal?: number } {
  const site = injectionSite(candidates, readByte2);
  if (!site) return { reaped: false };
  const { tid, regs: saved } = site;
  const sv = new DataView(saved.buffer);
  const inject = saved.slice();
  const iv = new DataView(inject.buffer);
  iv.setBigUint64(RIP, sv.getBigUint64(RIP, true) - 2n, true);
  iv.setBigInt64(ORIG_RAX, -1n, true);
  iv.setBigUint64(RAX, BigInt(SYS_WAIT4), true);
  iv.setBigUint64(RDI, BigInt(child), true);
  iv.setBigUint64(RSI, 0n, true);
  iv.setBigUint64(RDX, BigInt(libc.__WALL), true);
  iv.setBigUint64(R10, 0n, true);
  const restore = restartedRegs(saved);
  let injected = false;
  try {
    if (libc.ptrace(libc.PTRACE_SETOPTIONS, tid, 0, libc.PTRACE_O_TRACESYSGOOD) < 0) return { reaped: false };
    if (libc.ptraceSetRegset(tid, libc.NT_PRSTATUS, inject) < 0) return { reaped: false };
    injected = true;
    for (let step = 0; step < 4; step++) {
      if (libc.ptrace(libc.PTRACE_SYSCALL, tid, 0, 0) < 0) return { reaped: false };
      const status = waitStopped(tid);
      const sig = (status >> 8) & 0xff;
      // A signal for the thread arrived: give up; the caller delivers it when it lets the thread go.
      if (sig !== (libc.SIGTRAP | 0x80)) return { reaped: false, tid, signal: status >> 16 ? 0 : sig };
      const now = readRegs(tid);
      const v = now ? new DataView(now.buffer) : undefined;
      if (v && v.getBigInt64(ORIG_RAX, true) === BigInt(SYS_WAIT4) && v.getBigInt64(RAX, true) !== -38n /* -ENOSYS: at entry */) {
        return { reaped: v.getBigInt64(RAX, true) === BigInt(child), tid };
      }
    }
    return { reaped: false, tid };
  } finally {
    if (injected && libc.ptraceSetRegset(tid, libc.NT_PRSTATUS, restore) < 0) {
      throw new DumpError('CAPTURE', `could not restore the registers of thread ${tid}: errno ${libc.errno()}`);
    }
    libc.ptrace(libc.PTRACE_SETOPTIONS, tid, 0, 0);
  }
}

/** Sets the child's registers to run `exit(0)` at the `syscall` instruction at `site`. */
function disarm(child: number, site: bigint): void {
  const regs = readRegs(child);
  if (!regs) return;
  const v = new DataView(regs.buffer);
  v.setBigUint64(RIP, site, true);
  v.setBigUint64(RAX, BigInt(SYS_EXIT), true);
  v.setBigUint64(RDI, 0n, true);
  v.setBigInt64(ORIG_RAX, -1n, true);
  libc.ptraceSetRegset(child, libc.NT_PRSTATUS, regs);
}

/** Ends a snapshot child (it is ours: traced, stopped). */
export function endSnapshot(child: number): void {
  libc.kill(child, libc.SIGKILL);
  const deadline = Date.now() + WAIT_MS;
  for (;;) {
    const [r] = libc.waitpid(child, libc.__WALL | libc.WNOHANG);
    if (r === child || (r < 0 && libc.errno() !== libc.EINTR) || Date.now() > deadline) return;
    Atomics.wait(sleeper, 0, 0, 1);
  }
}

/** The `Seccomp:` mode from /proc/PID/status (0 none, 1 strict, 2 filter), or -1 if unknown. */
function seccompMode(pid: number): number {
  try {
    const m = /^Seccomp:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
    return m ? Number(m[1]) : -1;
  } catch {
    return -1;
  }
}
