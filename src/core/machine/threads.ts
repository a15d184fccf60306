/** Threads of a modeled machine: ETHREAD objects on their process's thread list, each with a mapped kernel stack. */
import { STACK_PAGES } from './layout.js';
import type { Machine } from './machine.js';
import type { ModelProcess, ModelThread } from './model-types.js';
import { EPROCESS, ETHREAD } from './nt-layout.js';
import { KERNEL_DATA, PAGE } from './paging.js';

export function createThread(m: Machine, proc: ModelProcess, peb: bigint): ModelThread {
  const et = m.poolAlloc(ETHREAD.size, 64);
  m.writeBytes(et, Uint8Array.of(6, 0, 0, 0)); // Type = ThreadObject
  // Kernel stack: STACK_PAGES pages with an unmapped guard page below.
  const slot = m.stackCursor;
  m.stackCursor += BigInt((STACK_PAGES + 1) * PAGE);
  const limit = slot + BigInt(PAGE);
  const base = limit + BigInt(STACK_PAGES * PAGE);
  m.system.mapPages(limit, m.take('kernel-pool', STACK_PAGES, 'kernel-stack'), KERNEL_DATA);
  const kernelStack = base - BigInt(0x200 + m.rng.int(0, 0x100) * 16);
  m.w64(et + BigInt(ETHREAD.InitialStack), base - 0x1d0n);
  m.w64(et + BigInt(ETHREAD.StackLimit), limit);
  m.w64(et + BigInt(ETHREAD.StackBase), base);
  m.w64(et + BigInt(ETHREAD.KernelStack), kernelStack);
  m.w64(et + BigInt(ETHREAD.Teb), peb === 0n ? 0n : peb + 0x1000n * BigInt(1 + proc.threads.length));
  m.w64(et + BigInt(ETHREAD.Process), proc.eprocess);
  m.w64(et + BigInt(ETHREAD.CidUniqueProcess), BigInt(proc.pid));
  const tid = m.newId();
  m.w64(et + BigInt(ETHREAD.CidUniqueThread), BigInt(tid));
  m.listAppend(proc.eprocess + BigInt(EPROCESS.ThreadListHead), et + BigInt(ETHREAD.ThreadListEntry));
  return { tid, ethread: et, stackBase: base, stackLimit: limit, kernelStack };
}
