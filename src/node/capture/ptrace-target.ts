import { closeSync, openSync, read, readFileSync, readSync, readdirSync, statSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import type { CpuRegisters } from '../../core/minidump/writer/model.js';
import * as libc from './libc.js';
import { cgroupLimitReason } from './cgroup.js';
import { endSnapshot, forkSnapshot, reapSnapshot } from './snapshot.js';
import { I386, X86_64, type SnapshotArch } from './snapshot-arch.js';
import { ChildFileWriter } from './snapshot-writer.js';
import { exitedError, FATAL_SIGNALS, type FollowOutcome, type FollowWatch, type Snapshot, type StoppedThread, type TargetProcess } from './target.js';
import { onlyErrno } from '../errno.js';

const X64_REGS = ['r15', 'r14', 'r13', 'r12', 'rbp', 'rbx', 'r11', 'r10', 'r9', 'r8', 'rax', 'rcx', 'rdx', 'rsi', 'rdi', 'orig_rax', 'rip', 'cs', 'eflags', 'rsp', 'ss', 'fs_base', 'gs_base', 'ds', 'es', 'fs', 'gs'];
const I386_REGS = ['ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'eax', 'ds', 'es', 'fs', 'gs', 'orig_eax', 'eip', 'cs', 'eflags', 'esp', 'ss'];
/** x86_64 user_regs_struct names → i386 names, for a 32-bit tracee seen through the 64-bit layout. */
const X64_TO_I386: Record<string, string> = { rbx: 'ebx', rcx: 'ecx', rdx: 'edx', rsi: 'esi', rdi: 'edi', rbp: 'ebp', rax: 'eax', rip: 'eip', rsp: 'esp', orig_rax: 'orig_eax' };

const STOP_TIMEOUT_MS = 5000;
const PF_KTHREAD = 0x00200000;
const PF_EXITING = 0x00000004;
const SIGSTOP = 19;
const SIGTSTP = 20;
const SIGTTIN = 21;
const SIGTTOU = 22;
const MAX_THREADS = 100_000;
const sleeper = new Int32Array(new SharedArrayBuffer(4));
function sleepMs(ms: number): void {
  Atomics.wait(sleeper, 0, 0, ms);
}

/**
 * A live Linux process, controlled with PTRACE_SEIZE + PTRACE_INTERRUPT (never PTRACE_ATTACH:
 * a seized tracee is detached and runs again if dumpkit dies, even by SIGKILL).
 */
export class PtraceTarget implements TargetProcess {
  readonly is64: boolean;
  private readonly seized = new Map<number, number /* signal to re-deliver */>();
  /** Threads already in a stop that waitForCrash consumed (the crashing thread). */
  private readonly alreadyStopped = new Map<number, StoppedThread>();
  /** Threads created while stop() interrupted a followed process: attached to us by TRACECLONE. */
  private readonly autoAttached = new Set<number>();
  private memFd: number | undefined;
  private useProcMem = false;
  /** Signals passed on to the process while it was followed. */
  private passedOn = 0;

  constructor(readonly pid: number) {
    let stat: string;
    try {
      stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    } catch (e) {
      throw procError(pid, e);
    }
    // Field 9 (flags): PF_KTHREAD marks a kernel thread, which has no user memory at all.
    const flags = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[6]);
    if (flags & PF_KTHREAD) {
      throw new DumpError('UNSUPPORTED', `process ${pid} (${stat.slice(stat.indexOf('(') + 1, stat.lastIndexOf(')'))}) is a kernel thread: it has no user address space to dump`);
    }
    try {
      readFileSync(`/proc/${pid}/maps`); // the same access check as ptrace's: say "permission" now, not "gone" later
    } catch (e) {
      throw procError(pid, e);
    }
    this.is64 = detectIs64(pid);
  }

  procFile(name: string): Uint8Array | undefined {
    try {
      return readFileSync(`/proc/${this.pid}/${name}`);
    } catch (e) {
      onlyErrno(e);
      return undefined;
    }
  }

  threadName(tid: number): string | undefined {
    try {
      return readFileSync(`/proc/${this.pid}/task/${tid}/comm`, 'utf8').replace(/\n$/, '');
    } catch (e) {
      onlyErrno(e);
      return undefined;
    }
  }

  stop(): StoppedThread[] {
    const out: StoppedThread[] = [];
    try {
      // Threads seized by waitForCrash are running: interrupt them too (the crashing one is stopped already).
      const following = [...this.seized.keys()];
      for (const tid of following) {
        const held = this.alreadyStopped.get(tid);
        if (held) {
          out.push(held);
          continue;
        }
        if (libc.ptrace(libc.PTRACE_INTERRUPT, tid) < 0 && libc.errno() !== libc.ESRCH) throw ptraceError(this.pid, libc.errno(), 'PTRACE_INTERRUPT');
      }
      for (const tid of following) {
        if (this.alreadyStopped.has(tid)) continue;
        const st = this.waitStop(tid);
        if (st === undefined) this.seized.delete(tid);
        else out.push(st);
      }
      this.alreadyStopped.clear();
      // Threads can be created while we seize the others: list again until nothing is new.
      for (let round = 0; round < 100; round++) {
        const tids = this.listTasks().filter((t) => !this.seized.has(t));
        if (tids.length === 0) break;
        for (const tid of tids) {
          if (this.seized.size >= MAX_THREADS) throw new DumpError('COUNT_TOO_LARGE', `process ${this.pid} has more than ${MAX_THREADS} threads`);
          if (this.autoAttached.delete(tid)) {
            this.seized.set(tid, 0); // already ours, stopping by itself
            continue;
          }
          if (libc.ptrace(libc.PTRACE_SEIZE, tid) < 0) {
            const err = libc.errno();
            if (err === libc.ESRCH) continue; // thread exited meanwhile
            // Once one thread is seized, permission is proven: a later EPERM means the process is exiting.
            if (err === libc.EPERM && this.seized.size > 0) throw exitedError(this.pid);
            throw ptraceError(this.pid, err, 'PTRACE_SEIZE');
          }
          this.seized.set(tid, 0);
          if (libc.ptrace(libc.PTRACE_INTERRUPT, tid) < 0 && libc.errno() !== libc.ESRCH) {
            throw libc.errno() === libc.EPERM ? exitedError(this.pid) : ptraceError(this.pid, libc.errno(), 'PTRACE_INTERRUPT');
          }
        }
        for (const tid of tids) {
          if (!this.seized.has(tid)) continue;
          const st = this.waitStop(tid);
          if (st === undefined) {
            this.seized.delete(tid);
            continue;
          }
          out.push(st);
        }
      }
      if (out.length === 0 || this.gone()) {
        throw exitedError(this.pid);
      }
      return out;
    } catch (e) {
      this.resume();
      // A target that dies while we stop it shows up as EPERM/ESRCH/timeouts: say what happened.
      if (this.gone()) throw exitedError(this.pid);
      throw e;
    }
  }

  /** The process has exited or is exiting (its leader is gone, a zombie, or on its way out). */
  gone(): boolean {
    return processGone(this.pid);
  }

  /** One-letter state of a thread from /proc/PID/task/TID/stat, undefined if gone. */
  private taskState(tid: number): string | undefined {
    try {
      const s = readFileSync(`/proc/${this.pid}/task/${tid}/stat`, 'latin1');
      return s.charAt(s.lastIndexOf(')') + 2);
    } catch (e) {
      onlyErrno(e);
      return undefined;
    }
  }

  private listTasks(): number[] {
    try {
      return readdirSync(`/proc/${this.pid}/task`).map(Number).filter((n) => Number.isInteger(n) && n > 0);
    } catch (e) {
      if (this.seized.size > 0) throw exitedError(this.pid);
      throw procError(this.pid, e);
    }
  }

  /** Waits for the stop of one seized thread; undefined if it exited. */
  private waitStop(tid: number): StoppedThread | undefined {
    const deadline = Date.now() + STOP_TIMEOUT_MS;
    for (;;) {
      const [r, status] = libc.waitpid(tid, libc.__WALL | libc.WNOHANG);
      if (r < 0) {
        const err = libc.errno();
        if (err === libc.EINTR) continue;
        if (err === libc.ECHILD) return undefined;
        throw new DumpError('CAPTURE', `waitpid(${tid}) failed: errno ${err}`);
      }
      if (r === 0) {
        const state = this.taskState(tid);
        if (state === undefined || state === 'Z' || state === 'X') return undefined; // killed meanwhile
        if (Date.now() > deadline) throw new DumpError('CAPTURE', `thread ${tid} of process ${this.pid} did not stop within ${STOP_TIMEOUT_MS} ms`);
        sleepMs(1);
        continue;
      }
      if ((status & 0xff) !== 0x7f) return undefined; // exited or killed
      const sig = (status >> 8) & 0xff;
      const event = status >> 16;
      if (event === libc.PTRACE_EVENT_CLONE) {
        // Only while following a crash (TRACECLONE): the thread stopped making a thread, which is
        // auto-attached to us and will stop on its own; the next listing round collects it.
        const child = libc.ptraceGetEventMsg(tid);
        if (child > 0) this.autoAttached.add(child);
        const registers = this.readRegisters(tid);
        return registers ? { id: tid, registers } : undefined;
      }
      if (event !== libc.PTRACE_EVENT_STOP) return this.readStoppedThread(tid, sig);
      const registers = this.readRegisters(tid);
      return registers ? { id: tid, registers } : undefined; // undefined: died after stopping
    }
  }

  /** A thread in a signal-delivery-stop for `sig`: its registers and siginfo; resume() delivers the signal. */
  private readStoppedThread(tid: number, sig: number): StoppedThread | undefined {
    const registers = this.readRegisters(tid);
    if (!registers) return undefined; // died after stopping
    const thread: StoppedThread = { id: tid, registers };
    this.seized.set(tid, sig);
    const si = new Uint8Array(128);
    if (libc.ptraceGetSiginfo(tid, si) >= 0) {
      const dv = new DataView(si.buffer);
      const address = this.is64 ? dv.getBigUint64(16, true) : BigInt(dv.getUint32(16, true));
      thread.signal = { signo: dv.getInt32(0, true), code: dv.getInt32(8, true), address };
    } else thread.signal = { signo: sig, code: 0, address: 0n };
    return thread;
  }

  private readRegisters(tid: number): CpuRegisters | undefined {
    const buf = new Uint8Array(512);
    const n = libc.ptraceGetRegset(tid, libc.NT_PRSTATUS, buf);
    if (n < 0 && libc.errno() === libc.ESRCH) return undefined;
    if (n < 0) throw new DumpError('CAPTURE', `PTRACE_GETREGSET NT_PRSTATUS failed for thread ${tid}: errno ${libc.errno()}`);
    const dv = new DataView(buf.buffer);
    const gpr: Record<string, bigint> = {};
    if (n >= X64_REGS.length * 8) {
      // 64-bit user_regs_struct (also what a 32-bit tracee shows through a 64-bit view on some kernels).
      X64_REGS.forEach((name, i) => {
        const v = dv.getBigUint64(i * 8, true);
        if (this.is64) gpr[name] = v;
        else gpr[X64_TO_I386[name] ?? name] = v & 0xffffffffn;
      });
    } else if (n >= I386_REGS.length * 4) {
      I386_REGS.forEach((name, i) => (gpr[name] = BigInt(dv.getUint32(i * 4, true))));
    } else throw new DumpError('CAPTURE', `NT_PRSTATUS of thread ${tid} is ${n} bytes, neither the x86_64 (216) nor the i386 (68) layout`);
    const regs: CpuRegisters = { gpr };
    if (this.is64) {
      const fx = new Uint8Array(512);
      if (libc.ptraceGetRegset(tid, libc.NT_PRFPREG, fx) === 512) regs.fxsave = fx;
    } else {
      const fs = new Uint8Array(512);
      const m = libc.ptraceGetRegset(tid, libc.NT_PRFPREG, fs);
      if (m === 108) regs.fsave = fs.slice(0, 108);
      else if (m === 512) regs.fxsave = fs;
      const fx = new Uint8Array(512);
      if (!regs.fxsave && libc.ptraceGetRegset(tid, libc.NT_PRXFPREG, fx) === 512) regs.fxsave = fx;
    }
    return regs;
  }

  readMemory(address: bigint, buf: Uint8Array): number {
    if (!this.useProcMem) {
      const r = libc.readProcessMemory(this.pid, address, buf);
      if (r >= 0) return r;
      const err = libc.errno();
      if (err === libc.EFAULT || err === libc.EIO) return 0;
      // A dying process fails with EPERM too: that is not a reason to read on, as zeros, elsewhere.
      if (err === libc.ESRCH || processGone(this.pid)) throw exitedError(this.pid);
      this.useProcMem = true; // ENOSYS/EPERM: fall back to /proc/PID/mem
    }
    try {
      this.memFd ??= openSync(`/proc/${this.pid}/mem`, 'r');
      return readSync(this.memFd, buf, 0, buf.length, address);
    } catch (e) {
      onlyErrno(e);
      if (processGone(this.pid)) throw exitedError(this.pid);
      return 0; // an unreadable page
    }
  }

  snapshot(threads: StoppedThread[]): Snapshot | { reason: string } {
    const arch = this.snapshotArch;
    const candidates = threads.filter((t) => !t.signal).map((t) => t.id);
    const r = forkSnapshot(arch, this.pid, candidates, this.readCode);
    if (r.child === undefined || r.site === undefined) return { reason: r.reason ?? 'unknown' };
    const child = r.child;
    const site = r.site;
    let ended = false;
    // Read through /proc/CHILD/mem, not process_vm_readv: the latter pins pages (FOLL_PIN), which
    // makes the kernel unshare (copy) every copy-on-write page it touches — doubling the work and
    // giving the child a private copy of the whole address space. /proc/PID/mem only references them.
    let memFd: number | undefined;
    try {
      memFd = openSync(`/proc/${child}/mem`, 'r');
    } catch (e) {
      onlyErrno(e);
      memFd = undefined;
    }
    return {
      readMemory: (address, buf) => {
        if (memFd === undefined) {
          const n = libc.readProcessMemory(child, address, buf);
          return n >= 0 ? n : 0;
        }
        try {
          return readSync(memFd, buf, 0, buf.length, address);
        } catch (e) {
          onlyErrno(e);
          return 0;
        }
      },
      readMemoryAsync: (address, buf) =>
        new Promise<number>((resolve) => {
          if (memFd === undefined) return resolve(0);
          read(memFd, buf, 0, buf.length, address, (err, n) => resolve(err ? 0 : n));
        }),
      fileWriter: (fd) => {
        const limited = cgroupLimitReason(this.pid);
        if (limited) return { reason: limited };
        return ChildFileWriter.open(arch, child, site, fd);
      },
      end: () => {
        if (memFd !== undefined) closeSync(memFd);
        memFd = undefined;
        if (!ended) {
          endSnapshot(child);
          this.reap(child);
        }
        ended = true;
      },
    };
  }

  /** The instruction set the snapshot code is run for. */
  private get snapshotArch(): SnapshotArch {
    return this.is64 ? X86_64 : I386;
  }

  /** A few bytes of the target's code (the injection site), or undefined. */
  private readonly readCode = (address: bigint, length: number): Uint8Array | undefined => {
    const b = new Uint8Array(length);
    return libc.readProcessMemory(this.pid, address, b) === length ? b : undefined;
  };

  readMappedFile(path: string, offset: number, length: number): Uint8Array | undefined {
    for (const p of [`/proc/${this.pid}/root${path}`, path]) {
      let fd: number | undefined;
      try {
        fd = openSync(p, 'r');
        const buf = new Uint8Array(length);
        const n = readSync(fd, buf, 0, length, offset);
        return buf.subarray(0, n);
      } catch (e) {
        onlyErrno(e); // try the next way
      } finally {
        if (fd !== undefined) closeSync(fd);
      }
    }
    return undefined;
  }

  /**
   * Starts following the process: seizes every thread without stopping it, and threads it creates
   * (TRACECLONE). Its ptrace stops then come to whoever calls waitpid (follow.ts), which hands
   * them to onFollowEvent. Safe to call again after resume() (it seizes afresh).
   */
  follow(): void {
    for (let round = 0; round < 100; round++) {
      const tids = this.listTasks().filter((t) => !this.seized.has(t));
      if (tids.length === 0) break;
      for (const tid of tids) {
        if (libc.ptrace(libc.PTRACE_SEIZE, tid, 0, libc.PTRACE_O_TRACECLONE) < 0) {
          const err = libc.errno();
          if (err === libc.ESRCH) continue;
          this.resume();
          throw ptraceError(this.pid, err, 'PTRACE_SEIZE');
        }
        this.seized.set(tid, 0);
      }
    }
  }

  /** `tid` is a thread of this process that dumpkit has seized. */
  owns(tid: number): boolean {
    return this.seized.has(tid);
  }

  /**
   * While followed: takes `tid`, a thread waitpid reported that is not known yet, if it belongs to
   * this process. A new thread's first stop can be reported before its creator's
   * PTRACE_EVENT_CLONE, which names it; dropping that stop would leave the thread stopped for ever.
   */
  adopt(tid: number): boolean {
    if (this.seized.size === 0) return false;
    try {
      statSync(`/proc/${this.pid}/task/${tid}`);
    } catch (e) {
      onlyErrno(e);
      return false;
    }
    this.seized.set(tid, 0);
    return true;
  }

  /**
   * One waitpid status of a followed thread. A signal in `watch` (a crash: a fatal signal the
   * process does not handle; or one of `watch.signals`) leaves that thread stopped, reported by
   * the next stop() with its signal, which resume() then delivers; anything else is passed on at
   * once. Returns what happened, or undefined when the thread was simply let go on.
   */
  onFollowEvent(tid: number, status: number, watch: FollowWatch): FollowOutcome | undefined {
    if ((status & 0xff) !== 0x7f) {
      // A thread ended; the leader ending (or the whole process being killed) ends the following.
      this.seized.delete(tid);
      if (tid === this.pid || this.gone()) {
        this.resume();
        return { kind: 'ended', how: (status & 0x7f) === 0 ? `exit status ${(status >> 8) & 0xff}` : `signal ${status & 0x7f}` };
      }
      return undefined;
    }
    const sig = (status >> 8) & 0xff;
    const event = status >> 16;
    if (event === libc.PTRACE_EVENT_CLONE) {
      const child = libc.ptraceGetEventMsg(tid);
      // Auto-attached; its first stop is a PTRACE_EVENT_STOP (which may have been reported already: adopt()).
      if (child > 0 && !this.seized.has(child)) this.seized.set(child, 0);
      libc.ptrace(libc.PTRACE_CONT, tid, 0, 0);
      return undefined;
    }
    if (event === libc.PTRACE_EVENT_STOP) {
      // A new thread's first stop, or a group-stop (SIGSTOP and friends): keep job control as it was.
      const groupStop = sig === SIGSTOP || sig === SIGTSTP || sig === SIGTTIN || sig === SIGTTOU;
      libc.ptrace(groupStop ? libc.PTRACE_LISTEN : libc.PTRACE_CONT, tid, 0, 0);
      return undefined;
    }
    // A signal-delivery-stop.
    const kind = watch.crash && FATAL_SIGNALS.has(sig) && !this.handles(sig) ? 'crash' : watch.signals?.has(sig) ? 'signal' : undefined;
    if (kind) {
      const thread = this.readStoppedThread(tid, sig);
      if (thread) {
        this.alreadyStopped.set(tid, thread);
        return { kind, threadId: tid, signo: sig, passedOn: this.passedOn };
      }
      return undefined;
    }
    this.passedOn++;
    libc.ptrace(libc.PTRACE_CONT, tid, 0, sig);
    return undefined;
  }

  /**
   * Reaps the dead snapshot child (a zombie child of the target until the target waits for it,
   * which it never will): one thread of the target, stopped briefly (or already stopped, in a
   * pause), runs wait4 for it. Best effort: if no thread is at a usable site, the zombie stays
   * until the target exits, as it would have.
   */
  private reap(child: number): void {
    try {
      if (this.seized.size > 0) {
        const r = reapSnapshot(this.snapshotArch, child, [...this.seized].filter(([, sig]) => sig === 0).map(([tid]) => tid), this.readCode);
        if (r.signal && r.tid !== undefined) this.seized.set(r.tid, r.signal);
        return;
      }
      // The target runs: stop one thread at a time, each only for the injected wait4.
      for (const tid of this.listTasks().slice(0, 16)) {
        if (libc.ptrace(libc.PTRACE_SEIZE, tid) < 0) continue;
        this.seized.set(tid, 0);
        let reaped = false;
        try {
          if (libc.ptrace(libc.PTRACE_INTERRUPT, tid) < 0) continue;
          const st = this.waitStop(tid);
          if (!st || st.signal) continue; // a signal-delivery stop: resume() delivers it
          const r = reapSnapshot(this.snapshotArch, child, [tid], this.readCode);
          if (r.signal) this.seized.set(tid, r.signal);
          reaped = r.reaped;
        } finally {
          this.resume();
        }
        if (reaped) return;
      }
    } catch (e) {
      this.resume(); // best effort: never leave a thread stopped over a zombie
      if (!(e instanceof DumpError)) throw e; // a bug, not a failed ptrace step
    }
  }

  /** The process has a handler for `sig` (SigCgt in /proc/PID/status): a first-chance signal, passed on. */
  private handles(sig: number): boolean {
    const m = /^SigCgt:\s*([0-9a-f]+)/m.exec(new TextDecoder().decode(this.procFile('status') ?? new Uint8Array()));
    return !!m && ((BigInt('0x' + m[1]) >> BigInt(sig - 1)) & 1n) === 1n;
  }

  resume(): void {
    for (const [tid, sig] of this.seized) libc.ptrace(libc.PTRACE_DETACH, tid, 0, sig);
    this.seized.clear();
    this.alreadyStopped.clear();
    this.autoAttached.clear();
    if (this.memFd !== undefined) {
      closeSync(this.memFd);
      this.memFd = undefined;
    }
  }
}

function detectIs64(pid: number): boolean {
  let fd: number | undefined;
  try {
    fd = openSync(`/proc/${pid}/exe`, 'r');
    const b = new Uint8Array(5);
    readSync(fd, b, 0, 5, 0);
    return b[4] !== 1;
  } catch (e) {
    onlyErrno(e);
    // Unreadable exe link (permissions): guess from auxv size later; default to the tracer's width.
    return true;
  } finally {
    if (fd !== undefined) closeSync(fd);
  }
}

function procError(pid: number, e: unknown): DumpError {
  const code = (e as NodeJS.ErrnoException).code;
  if (code === 'ENOENT') return new DumpError('NO_SUCH_PROCESS', `no process with id ${pid}`);
  if (code === 'EACCES' || code === 'EPERM') return processGone(pid) ? exitedError(pid) : permissionError(pid);
  return new DumpError('CAPTURE', `cannot read /proc/${pid}: ${code ?? String(e)}`);
}

export function permissionError(pid: number): DumpError {
  return new DumpError(
    'PERMISSION',
    `not allowed to trace process ${pid}: run as root or as its owner with CAP_SYS_PTRACE, or lower kernel.yama.ptrace_scope (now ${ptraceScope()}); a process that is not dumpable (setuid, prctl PR_SET_DUMPABLE 0) or in another user namespace needs CAP_SYS_PTRACE there; another tracer (debugger) may also be attached`,
  );
}

function ptraceScope(): string {
  try {
    return readFileSync('/proc/sys/kernel/yama/ptrace_scope', 'utf8').trim();
  } catch (e) {
    onlyErrno(e);
    return 'not set: no Yama';
  }
}

/**
 * True when the process is gone or dying: a zombie or dead, or still running its exit (PF_EXITING
 * in the leader's flags, before its state turns Z). ptrace and /proc then fail with EPERM, EACCES
 * or ESRCH, which must not be reported as a permission problem.
 */
function processGone(pid: number): boolean {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'latin1');
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    const state = fields[0];
    return state === 'Z' || state === 'X' || state === 'x' || (Number(fields[6]) & PF_EXITING) !== 0;
  } catch (e) {
    onlyErrno(e);
    return true;
  }
}

function ptraceError(pid: number, err: number, what: string): DumpError {
  // A process that exits while we attach makes ptrace fail with EPERM, not ESRCH: say what happened.
  if (err === libc.EPERM) return processGone(pid) ? exitedError(pid) : permissionError(pid);
  if (err === libc.ESRCH) return exitedError(pid);
  return new DumpError('CAPTURE', `${what} on process ${pid} failed: errno ${err}`);
}
