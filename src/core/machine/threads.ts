/**
 * Threads of a modeled machine: ETHREAD objects on their process's thread list, each with a mapped
 * kernel stack holding a real chain of frames (kernel-stacks.ts) and, for a switched-out thread,
 * the KSWITCH_FRAME at KernelStack.
 */
import { STACK_PAGES } from './layout.js';
import { buildStack, stackTop, userEntry, waitingPlan } from './kernel-stacks.js';
import type { MachineState } from './builder-state.js';
import type { ModelProcess, ModelThread } from './model-types.js';
import { EPROCESS, ETHREAD } from './nt-layout.js';
import { KERNEL_DATA, PAGE } from './paging.js';
import { hash32, Rng } from './rng.js';

/** KTHREAD_STATE values the model writes. */
export const THREAD_RUNNING = 2;
export const THREAD_WAITING = 5;
/** KWAIT_REASON: WrQueue (worker threads), UserRequest (user waits). */
const WR_QUEUE = 15;
const USER_REQUEST = 6;

export function createThread(m: MachineState, proc: ModelProcess, peb: bigint): ModelThread {
  const et = m.poolAlloc(ETHREAD.size, 64);
  m.writeBytes(et, Uint8Array.of(6, 0, 0, 0)); // Type = ThreadObject
  // Kernel stack: STACK_PAGES pages with an unmapped guard page below.
  const slot = m.stackCursor;
  m.stackCursor += BigInt((STACK_PAGES + 1) * PAGE);
  const limit = slot + BigInt(PAGE);
  const base = limit + BigInt(STACK_PAGES * PAGE);
  m.system.mapPages(limit, m.take('kernel-pool', STACK_PAGES, 'kernel-stack'), KERNEL_DATA);
  m.rng.int(0, 0x100); // (the draw that once placed KernelStack: kept so the seed's later draws stay the same)
  const initialStack = base - 0x1d0n;
  m.w64(et + BigInt(ETHREAD.InitialStack), initialStack);
  m.w64(et + BigInt(ETHREAD.StackLimit), limit);
  m.w64(et + BigInt(ETHREAD.StackBase), base);
  m.w64(et + BigInt(ETHREAD.Teb), peb === 0n ? 0n : peb + 0x1000n * BigInt(1 + proc.threads.length));
  m.w64(et + BigInt(ETHREAD.Process), proc.eprocess);
  m.w64(et + BigInt(ETHREAD.CidUniqueProcess), BigInt(proc.pid));
  const tid = m.newId();
  m.w64(et + BigInt(ETHREAD.CidUniqueThread), BigInt(tid));
  m.listAppend(proc.eprocess + BigInt(EPROCESS.ThreadListHead), et + BigInt(ETHREAD.ThreadListEntry));
  // A waiting thread: its stack through the modeled functions down to SwapContext.
  const rng = new Rng(hash32(m.seed, tid, 0x57ac));
  const user = proc.pid === 4 ? undefined : userEntry(m.seed, tid);
  const built = buildStack(m, stackTop(initialStack, user !== undefined), waitingPlan(m, proc.pid, user, rng), rng);
  const kernelStack = built.kernelStack!;
  m.w64(et + BigInt(ETHREAD.KernelStack), kernelStack);
  m.writeBytes(et + BigInt(ETHREAD.State), Uint8Array.of(THREAD_WAITING));
  m.writeBytes(et + BigInt(ETHREAD.WaitReason), Uint8Array.of(user ? USER_REQUEST : WR_QUEUE));
  return { tid, ethread: et, stackBase: base, stackLimit: limit, kernelStack, state: THREAD_WAITING, stack: built.stack };
}
