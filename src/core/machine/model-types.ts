/** What a modeled machine is made of, as its builders record it (tests read these as the truth). */
import type { ModelFunction } from './kernel-code.js';
import type { ProfileName } from './profiles.js';

export interface MachineConfig {
  ramBytes: number;
  profile: ProfileName;
  vms?: number;
  seed?: number;
}

export interface RamRun {
  basePage: number;
  pageCount: number;
}

export interface ModelModule {
  name: string;
  path: string;
  base: bigint;
  size: number;
  entry: bigint;
  ldrEntry: bigint;
  /** The modeled functions in the image (exported by name, with .pdata), by RVA. */
  functions: ModelFunction[];
}

/** One frame of a modeled thread's stack as a debugger should find it, innermost first. */
export interface ModelFrame {
  /** Module file name (`ntoskrnl.exe`), '' for a user-mode frame outside any kernel module. */
  module: string;
  /** Exported function name, '' for the user-mode frame. */
  function: string;
  /** Frame 0: the pc; callers: the return address. */
  instruction: bigint;
}

/** The truth about one thread's kernel stack, recorded where it was built. */
export interface ModelStack {
  frames: ModelFrame[];
  /** Registers of frame 0 (from the context for running threads, from the KSWITCH_FRAME otherwise). */
  registers: Record<string, bigint>;
  /** The user-mode pc and sp in the trap's machine frame, for threads that entered the kernel from user mode. */
  user?: { rip: bigint; rsp: bigint };
}

export interface ModelThread {
  tid: number;
  ethread: bigint;
  stackBase: bigint;
  stackLimit: bigint;
  kernelStack: bigint;
  /** KTHREAD.State: 5 Waiting (switched out, KSWITCH_FRAME at kernelStack) or 2 Running (context in its KPRCB). */
  state: number;
  stack: ModelStack;
}

export interface ModelProcess {
  pid: number;
  name: string;
  eprocess: bigint;
  dtb: bigint;
  threads: ModelThread[];
  /** MM_SESSION_SPACE.SessionId; undefined outside any session (System, Registry, smss). */
  sessionId?: number;
  parentPid: number;
}

export interface ModelProcessor {
  index: number;
  kpcr: bigint;
  prcb: bigint;
  currentThread: bigint;
  context: Uint8Array;
}
