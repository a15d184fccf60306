import { DumpError } from '../../core/errors.js';
import * as libc from './libc.js';
import type { PtraceTarget } from './ptrace-target.js';
import type { CrashEvent, FollowWatch } from './target.js';

/** What happened to one followed process. */
export type FollowEvent =
  | { kind: 'crash' | 'signal'; target: PtraceTarget; event: CrashEvent }
  | { kind: 'ended'; target: PtraceTarget; how: string };

/**
 * Follows any number of processes with ptrace (every thread, and threads they create) and reports
 * the signals it was asked to watch for: a crash (a fatal signal nobody handles) or chosen signals.
 * The thread that got one stays stopped, so the next stop() of its target (a capture) reports it
 * with its signal, and resume() delivers the signal: the crash takes its course, the signal gets
 * through. Other signals are passed on at once.
 *
 * One waitpid(-1) serves every followed process: ptrace stops go to the thread that seized, and
 * there is one such thread (Node's main thread), so the followers of several processes must share
 * it. Used by `capture --on-crash` and by `monitor --on-crash / --signal`.
 */
export class Follower {
  private readonly followed = new Map<PtraceTarget, FollowWatch>();

  /** Starts following `target` (seizes its threads; throws the ptrace rights message if not allowed). */
  add(target: PtraceTarget, watch: FollowWatch): void {
    target.follow();
    this.followed.set(target, watch);
  }

  /** Stops following `target`; it runs on (its held signal, if any, delivered). */
  remove(target: PtraceTarget): void {
    this.followed.delete(target);
    target.resume();
  }

  /** Stops following everything; every process runs on. */
  removeAll(): void {
    for (const t of [...this.followed.keys()]) this.remove(t);
  }

  get size(): number {
    return this.followed.size;
  }

  /** Handles every ptrace stop waiting now, without blocking; returns the watched events among them. */
  poll(): FollowEvent[] {
    const events: FollowEvent[] = [];
    for (let i = 0; i < 10_000 && this.followed.size > 0; i++) {
      const [r, status] = libc.waitpid(-1, libc.__WALL | libc.WNOHANG);
      if (r === 0) break;
      if (r < 0) {
        const err = libc.errno();
        if (err === libc.EINTR) continue;
        if (err === libc.ECHILD) {
          // Nothing is traced any more: every followed process is gone.
          for (const target of [...this.followed.keys()]) {
            this.remove(target);
            events.push({ kind: 'ended', target, how: 'gone' });
          }
          break;
        }
        throw new DumpError('CAPTURE', `waitpid failed: errno ${err}`);
      }
      let owner: PtraceTarget | undefined;
      for (const t of this.followed.keys()) {
        if (t.owns(r)) {
          owner = t;
          break;
        }
      }
      if (!owner) for (const t of this.followed.keys()) if (t.adopt(r)) owner = t;
      if (!owner) continue; // not one of ours (a process no longer followed, or dumpkit's own child)
      const outcome = owner.onFollowEvent(r, status, this.followed.get(owner)!);
      if (!outcome) continue;
      if (outcome.kind === 'ended') {
        this.followed.delete(owner);
        events.push({ kind: 'ended', target: owner, how: outcome.how });
      } else {
        events.push({ kind: outcome.kind, target: owner, event: { threadId: outcome.threadId, signo: outcome.signo, passedOn: outcome.passedOn } });
      }
    }
    return events;
  }
}

/**
 * Follows one process until a thread is about to die of a signal nobody handles (that thread stays
 * stopped for the capture). Rejects with PROCESS_EXITED if the process ends first and TIMEOUT after
 * `timeoutMs`; the process then runs on, no longer followed.
 */
export async function waitForCrash(target: PtraceTarget, options: { timeoutMs?: number; pollMs?: number } = {}): Promise<CrashEvent> {
  const deadline = options.timeoutMs === undefined ? Infinity : Date.now() + options.timeoutMs;
  const follower = new Follower();
  follower.add(target, { crash: true });
  try {
    for (;;) {
      for (const e of follower.poll()) {
        if (e.kind === 'ended') throw new DumpError('PROCESS_EXITED', `process ${target.pid} ended without a crash (${e.how})`);
        return e.event;
      }
      if (Date.now() > deadline) throw new DumpError('TIMEOUT', `process ${target.pid} did not crash within ${options.timeoutMs} ms; it runs on, no longer followed`);
      await new Promise((res) => setTimeout(res, options.pollMs ?? 2));
    }
  } catch (e) {
    follower.removeAll();
    throw e;
  }
}
