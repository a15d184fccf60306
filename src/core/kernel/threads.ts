/**
 * Threads of a process in a kernel dump, from EPROCESS.ThreadListHead (ETHREAD.ThreadListEntry):
 * TID, KTHREAD state and wait reason, kernel stack bounds, TEB, and for a thread that is not
 * running, the registers its KSWITCH_FRAME at KernelStack saved when it was switched out (the
 * walker's frame 0). Offsets: offsets.ts (x64 build 19041).
 */
import { StructView } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import type { RegisterSet } from '../unwind/types.js';
import { walkList } from './kernel-facts.js';
import { LIMITS } from './limits.js';
import { EPROCESS, ETHREAD, KSWITCH_FRAME } from './offsets.js';
import type { VirtualMemory } from './virtual.js';

/** KTHREAD_STATE names by value. */
export const THREAD_STATE_NAMES = ['Initialized', 'Ready', 'Running', 'Standby', 'Terminated', 'Waiting', 'Transition', 'DeferredReady', 'GateWaitObsolete', 'WaitingForProcessInSwap'] as const;
export const THREAD_STATE_RUNNING = 2;

export interface KernelThreadInfo {
  ethread: bigint;
  tid: number;
  pid: number;
  state: number;
  stateName: string;
  waitReason: number;
  initialStack: bigint;
  stackBase: bigint;
  stackLimit: bigint;
  kernelStack: bigint;
  teb: bigint;
  process: bigint;
}

export function parseEthread(bytes: Uint8Array, ethread: bigint): KernelThreadInfo {
  const v = new StructView(bytes, 0, `ETHREAD at ${hex(ethread)}`);
  const state = v.u8(ETHREAD.State);
  return {
    ethread,
    tid: Number(v.u64(ETHREAD.CidUniqueThread) & 0xffffffffn),
    pid: Number(v.u64(ETHREAD.CidUniqueProcess) & 0xffffffffn),
    state,
    stateName: THREAD_STATE_NAMES[state] ?? `state ${state}`,
    waitReason: v.u8(ETHREAD.WaitReason),
    initialStack: v.u64(ETHREAD.InitialStack),
    stackBase: v.u64(ETHREAD.StackBase),
    stackLimit: v.u64(ETHREAD.StackLimit),
    kernelStack: v.u64(ETHREAD.KernelStack),
    teb: v.u64(ETHREAD.Teb),
    process: v.u64(ETHREAD.Process),
  };
}

/** The threads on a process's thread list, in list order (capped; unreadable ones become diagnostics). */
export async function listThreads(vm: VirtualMemory, eprocess: bigint, diag: Diagnostics): Promise<KernelThreadInfo[]> {
  const out: KernelThreadInfo[] = [];
  const head = eprocess + BigInt(EPROCESS.ThreadListHead);
  for await (const link of walkList(vm, head, `thread list of the process at ${hex(eprocess)}`, diag, LIMITS.maxModules)) {
    const et = link - BigInt(ETHREAD.ThreadListEntry);
    try {
      out.push(parseEthread(await vm.read(et, ETHREAD.size), et));
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      diag.add(`ETHREAD at ${hex(et)} not readable: ${e.message}`);
    }
  }
  return out;
}

/**
 * Registers of a switched-out thread from its KSWITCH_FRAME at KernelStack: rip = Return,
 * rbp = the saved Rbp, rsp = KernelStack + the frame's size (as after SwapContext's `ret`).
 * Undefined (with a diagnostic) when KernelStack is outside the stack or the frame is unreadable.
 */
export async function switchFrameRegisters(vm: VirtualMemory, t: KernelThreadInfo, diag?: Diagnostics): Promise<RegisterSet | undefined> {
  const ks = t.kernelStack;
  if (ks < t.stackLimit || ks + BigInt(KSWITCH_FRAME.size) > t.stackBase) {
    diag?.add(`thread ${t.tid}: KernelStack ${hex(ks)} is outside its stack ${hex(t.stackLimit)}-${hex(t.stackBase)}`);
    return undefined;
  }
  try {
    const b = await vm.read(ks, KSWITCH_FRAME.size);
    const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
    return {
      rip: v.getBigUint64(KSWITCH_FRAME.Return, true),
      rsp: ks + BigInt(KSWITCH_FRAME.size),
      rbp: v.getBigUint64(KSWITCH_FRAME.Rbp, true),
    };
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    diag?.add(`thread ${t.tid}: KSWITCH_FRAME at ${hex(ks)} not readable: ${e.message}`);
    return undefined;
  }
}
