import { readFileSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import { failspot } from './failspot.js';
import * as libc from './libc.js';
import { readRegs, writeRegs, type Regs, type SnapshotArch } from './snapshot-arch.js';
import { onlyErrno } from '../errno.js';

/**
 * A copy-on-write snapshot of a stopped x86_64 or i386 process: one of its threads, stopped
 * inside a blocking system call, is made to run one extra `clone` system call at the system call
 * instruction (`syscall`, or `int $0x80`) it is already sitting after (the differences between
 * the two are data: snapshot-arch.ts). The child is a frozen copy of the address space
 * (pages shared copy-on-write, so this costs page tables, not memory); it is auto-attached to us
 * stopped, and is given PTRACE_O_EXITKILL so it dies if dumpkit dies, and registers that make it
 * call exit(0) if it ever runs. Until then (if dumpkit is killed in the microseconds between the
 * clone and those two calls) it has an unmapped stack pointer, so its first instructions fault.
 * The thread's registers are then restored, with the interrupted system call restarted as the kernel would have done.
 * Memory is then read from the child while the target runs.
 *
 * Targets under a seccomp filter are never injected into (a filter may kill or signal the target
 * for the extra system call): they are captured by copying instead.
 *
 * clone with exit signal 0 sends the target no SIGCHLD; the killed child is a zombie child of the
 * target, invisible to wait() without __WALL, which reapSnapshot then has the target reap.
 */

const ERESTARTSYS = -512n;
const ERESTARTNOINTR = -513n;
const ERESTARTNOHAND = -514n;
const ERESTART_RESTARTBLOCK = -516n;
const ENOSYS = -38n;

const WAIT_MS = 5000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));

/** Reads `length` bytes of the target's memory at `address`, or undefined. */
export type CodeReader = (address: bigint, length: number) => Uint8Array | undefined;

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

/**
 * Makes the snapshot child. `candidates` are seized, stopped threads of a target of
 * architecture `arch`; returns the child's pid and the address of the system call instruction
 * it was made at, or undefined (with the reason) when no thread is at a safe injection site or
 * the system call fails. Never leaves a thread with changed registers.
 */
export function forkSnapshot(arch: SnapshotArch, pid: number, candidates: number[], readCode: CodeReader): { child?: number; site?: bigint; reason?: string } {
  const found = injectionSite(arch, candidates, readCode, true);
  if (!found) return { reason: `no thread is blocked in a restartable system call${arch.name === 'i386' ? ' at a site where the child would fault at once' : ''}` };
  const seccomp = seccompMode(pid);
  if (seccomp !== 0) return { reason: seccomp < 0 ? 'its seccomp state cannot be read' : 'it runs under seccomp' };
  const { tid, regs: saved, site } = found;
  // A new process (no CLONE_VM: copy-on-write memory), exit signal 0. Its stack pointer is in the
  // unmapped first page (and on x86_64 its TLS base is 0): should the child ever run before we
  // have disarmed it (dumpkit killed in that instant), it faults before it can act as a second
  // copy of the program (see SnapshotArch.cloneArgs and childFaultsAt).
  const inject = saved.copy();
  inject.setSyscall(site, arch.sys.clone, arch.cloneArgs);

  let child: number | undefined;
  let exitKillError: number | undefined;
  let failure: string | undefined;
  // syscall-enter stop, then the clone event stop, then syscall-exit stop.
  const notRun = runInjected(tid, saved, inject, libc.PTRACE_O_TRACECLONE, 6, (status) => {
    if (status >> 16 === libc.PTRACE_EVENT_CLONE) {
      const c = libc.ptraceGetEventMsg(tid);
      if (c > 0) {
        child = c;
        // The child first stops with PTRACE_EVENT_STOP. Make it die with us, and point it at
        // exit(0) so that even if it ever runs it only exits.
        waitStopped(c);
        failspot('snapshot-before-exitkill');
        // Not returning from here: the clone must reach its exit stop before registers are restored.
        if (libc.ptrace(libc.PTRACE_SETOPTIONS, c, 0, libc.PTRACE_O_EXITKILL) < 0) exitKillError = libc.errno();
        disarm(arch, c, site);
      }
      return false;
    }
    const sig = (status >> 8) & 0xff;
    if (sig !== (libc.SIGTRAP | 0x80)) throw new DumpError('CAPTURE', `unexpected stop (signal ${sig}) while making the snapshot`);
    const ret = syscallExitResult(arch, tid, arch.sys.clone);
    if (ret !== undefined && ret < 0n) failure = `clone in the target failed: errno ${-ret}`;
    return ret !== undefined;
  });
  if (notRun) return { reason: notRun };
  if (failure) return { reason: failure };
  if (child !== undefined && exitKillError !== undefined) {
    endSnapshot(child);
    return { reason: `could not tie the snapshot child's life to dumpkit's (PTRACE_O_EXITKILL: errno ${exitKillError})` };
  }
  return child ? { child, site } : { reason: 'the clone system call made no child' };
}

/**
 * Runs the system call set up in `inject` on the stopped thread `tid` (PTRACE_SYSCALL; each of
 * at most `steps` stops goes to `onStop`, which returns true once the call is done), then gives
 * the thread its registers `saved` back with its own interrupted call restarted, whatever
 * happened. Returns why nothing could be run, or undefined.
 */
function runInjected(tid: number, saved: Regs, inject: Regs, options: number, steps: number, onStop: (status: number) => boolean): string | undefined {
  const restore = restartedRegs(saved);
  let injected = false;
  try {
    if (libc.ptrace(libc.PTRACE_SETOPTIONS, tid, 0, options | libc.PTRACE_O_TRACESYSGOOD) < 0) return `PTRACE_SETOPTIONS failed: errno ${libc.errno()}`;
    if (writeRegs(tid, inject) < 0) return `PTRACE_SETREGSET failed: errno ${libc.errno()}`;
    injected = true;
    for (let step = 0; step < steps; step++) {
      if (libc.ptrace(libc.PTRACE_SYSCALL, tid, 0, 0) < 0) throw new DumpError('CAPTURE', `PTRACE_SYSCALL failed: errno ${libc.errno()}`);
      if (onStop(waitStopped(tid))) break;
    }
    return undefined;
  } finally {
    if (injected && writeRegs(tid, restore) < 0) {
      // Should not happen: the thread is stopped and ours. Say so loudly rather than hide it.
      throw new DumpError('CAPTURE', `could not restore the registers of thread ${tid}: errno ${libc.errno()}`);
    }
    libc.ptrace(libc.PTRACE_SETOPTIONS, tid, 0, 0);
  }
}

/** At a syscall stop of `tid`: the result of system call `nr` if this is its exit stop, else undefined. */
function syscallExitResult(arch: SnapshotArch, tid: number, nr: number): bigint | undefined {
  const now = readRegs(arch, tid);
  if (!now || now.signed(arch.origNr) !== BigInt(nr)) return undefined;
  const ret = now.signed(arch.ret);
  return ret === ENOSYS ? undefined /* still at entry */ : ret;
}

/**
 * A stopped thread that is blocked in a restartable system call and sits just after the system
 * call instruction: where one extra system call can be run and the interrupted one restarted.
 * With `forChild`, the instruction after it must also make a child started there fault at once.
 */
function injectionSite(arch: SnapshotArch, candidates: number[], readCode: CodeReader, forChild: boolean): { tid: number; regs: Regs; site: bigint } | undefined {
  for (const tid of candidates) {
    const regs = readRegs(arch, tid);
    if (!regs || !arch.safeSyscalls.has(Number(regs.signed(arch.origNr)))) continue;
    const site = regs.get(arch.ip) - 2n;
    const code = readCode(site, 3);
    if (!code || code[0] !== arch.syscallInsn[0] || code[1] !== arch.syscallInsn[1]) continue;
    if (forChild && !arch.childFaultsAt(code.subarray(2))) continue;
    return { tid, regs, site };
  }
  return undefined;
}

/** `saved` (a thread stopped inside a system call) with the interrupted call restarted, as the kernel would. */
function restartedRegs(saved: Regs): Regs {
  const arch = saved.arch;
  const restore = saved.copy();
  const err = saved.signed(arch.ret);
  if (err === ERESTARTSYS || err === ERESTARTNOINTR || err === ERESTARTNOHAND || err === ERESTART_RESTARTBLOCK) {
    restore.set(arch.ret, err === ERESTART_RESTARTBLOCK ? BigInt(arch.sys.restartSyscall) : saved.get(arch.origNr));
    restore.set(arch.ip, saved.get(arch.ip) - 2n);
  }
  restore.set(arch.origNr, -1n);
  return restore;
}

/**
 * Reaps the dead snapshot child, which is a zombie child of the target (exit signal 0: no
 * SIGCHLD, so the target never waits for it): one of `candidates` (stopped threads of the
 * target) runs `wait4(child, NULL, __WALL, NULL)` at its system call instruction, then gets its
 * registers back with its own system call restarted, as for the clone. Returns whether it did.
 */
export function reapSnapshot(arch: SnapshotArch, child: number, candidates: number[], readCode: CodeReader): { reaped: boolean; tid?: number; signal?: number } {
  const found = injectionSite(arch, candidates, readCode, false);
  if (!found) return { reaped: false };
  const { tid, regs: saved, site } = found;
  const inject = saved.copy();
  inject.setSyscall(site, arch.sys.wait4, [BigInt(child), 0n, BigInt(libc.__WALL), 0n]);
  let out: { reaped: boolean; tid?: number; signal?: number } = { reaped: false, tid };
  try {
    runInjected(tid, saved, inject, 0, 4, (status) => {
      const sig = (status >> 8) & 0xff;
      // A signal for the thread arrived: give up; the caller delivers it when it lets the thread go.
      if (sig !== (libc.SIGTRAP | 0x80)) {
        out = { reaped: false, tid, signal: status >> 16 ? 0 : sig };
        return true;
      }
      const ret = syscallExitResult(arch, tid, arch.sys.wait4);
      if (ret !== undefined) out = { reaped: ret === BigInt(child), tid };
      return ret !== undefined;
    });
  } catch (e) {
    if (!(e instanceof DumpError)) throw e; // the injected wait4 failed: the zombie stays
    return { reaped: false, tid };
  }
  return out;
}

/** Sets the child's registers to run `exit(0)` at the system call instruction at `site`. */
export function disarm(arch: SnapshotArch, child: number, site: bigint): void {
  const regs = readRegs(arch, child);
  if (!regs) return;
  regs.setSyscall(site, arch.sys.exit, [0n]);
  writeRegs(child, regs);
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
  } catch (e) {
    onlyErrno(e);
    return -1;
  }
}
