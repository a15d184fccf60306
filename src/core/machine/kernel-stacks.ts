/**
 * Kernel stacks of a modeled machine's threads: chains of frames through the modeled functions
 * (kernel-code.ts), each frame laid out as its prologue leaves it (pushed and saved registers
 * where the unwind codes say, the return address of the `call` above it), frame 0 either a
 * KSWITCH_FRAME at KernelStack (switched-out threads) or a processor's context (running ones).
 * The chain is recorded as the thread's ModelStack, the truth tests compare walks with.
 */
import { KSWITCH_FRAME } from '../kernel/offsets.js';
import type { MachineState } from './builder-state.js';
import type { ModelFrame, ModelModule, ModelStack } from './model-types.js';
import type { ModelFunction } from './kernel-code.js';
import { Rng } from './rng.js';

const CALLEE_SAVED = ['rbx', 'rbp', 'rsi', 'rdi', 'r12', 'r13', 'r14', 'r15'] as const;

/** Machine frame selectors and flags of a thread that entered the kernel from user mode. */
const USER_CS = 0x33n;
const USER_SS = 0x2bn;
const USER_RFLAGS = 0x246n;

export interface StackPlan {
  /** Functions, outermost first, as `module!function`. */
  chain: string[];
  /** 'switch': frame 0 is the KSWITCH_FRAME of a waiting thread; 'context': a running thread's context. */
  frame0: 'switch' | 'context';
  /** The user-mode pc/sp in the machine frame (outermost function has a machine-frame prologue). */
  user?: { rip: bigint; rsp: bigint };
}

export interface BuiltStack {
  stack: ModelStack;
  /** KTHREAD.KernelStack for a switched-out thread. */
  kernelStack?: bigint;
}

function find(m: MachineState, qualified: string): { module: ModelModule; fn: ModelFunction } {
  const [modName, fnName] = qualified.split('!') as [string, string];
  const module = m.modules.find((x) => x.name === modName);
  const fn = module?.functions.find((f) => f.name === fnName);
  if (!module || !fn) throw new Error(`model: no function ${qualified}`);
  return { module, fn };
}

/** The call site in `caller` that calls `callee` (by name, or an indirect `call rax`). */
function callSite(caller: { module: ModelModule; fn: ModelFunction }, callee: string): { callRva: number; returnRva: number } {
  const [modName, fnName] = callee.split('!') as [string, string];
  const site =
    caller.fn.calls.find((c) => c.target === callee || (modName === caller.module.name && c.target === fnName)) ?? caller.fn.calls.find((c) => c.target === '*');
  if (!site) throw new Error(`model: ${caller.module.name}!${caller.fn.name} has no call to ${callee}`);
  return site;
}

/**
 * Writes a stack whose outermost function was entered with RSP = `top` (the address of its return
 * address, or of the machine frame) and returns the truth. Register values come from `rng`.
 */
export function buildStack(m: MachineState, top: bigint, plan: StackPlan, rng: Rng): BuiltStack {
  const regs: Record<string, bigint> = {};
  for (const r of CALLEE_SAVED) regs[r] = BigInt(rng.u32()) | 0x10000n; // small values: not addresses
  const outerToInner: ModelFrame[] = [];
  let entry = top;
  if (plan.user) {
    m.w64(entry, plan.user.rip);
    m.w64(entry + 8n, USER_CS);
    m.w64(entry + 16n, USER_RFLAGS);
    m.w64(entry + 24n, plan.user.rsp);
    m.w64(entry + 32n, USER_SS);
    outerToInner.push({ module: '', function: '', instruction: plan.user.rip });
  } else m.w64(entry, 0n); // the outermost frame returns to 0: the end of the stack
  let registers: Record<string, bigint> = {};
  let kernelStack: bigint | undefined;
  plan.chain.forEach((name, i) => {
    const f = find(m, name);
    let rsp = entry;
    for (const s of f.fn.shape.steps) {
      if (s.op === 'push') {
        rsp -= 8n;
        m.w64(rsp, regs[s.reg]!);
      } else if (s.op === 'alloc') rsp -= BigInt(s.size);
      else if (s.op === 'save') m.w64(rsp + BigInt(s.offset), regs[s.reg]!);
      else if (s.op === 'setfp') regs.rbp = rsp + BigInt(s.offset);
    }
    // The body uses the registers it saved (the frame pointer stays).
    const usesFp = f.fn.shape.steps.some((s) => s.op === 'setfp');
    for (const s of f.fn.shape.steps) if ((s.op === 'push' || s.op === 'save') && !(usesFp && s.reg === 'rbp')) regs[s.reg] = BigInt(rng.u32()) | 0x10000n;
    const base = f.module.base;
    if (i < plan.chain.length - 1) {
      const site = callSite(f, plan.chain[i + 1]!);
      const ret = base + BigInt(site.returnRva);
      outerToInner.push({ module: f.module.name, function: f.fn.name, instruction: ret });
      entry = rsp - 8n;
      m.w64(entry, ret);
      return;
    }
    if (plan.frame0 === 'switch') {
      // The thread called SwapContext, which left a KSWITCH_FRAME below the return address.
      const ret = base + BigInt(f.fn.calls[0]!.returnRva);
      kernelStack = rsp - BigInt(KSWITCH_FRAME.size);
      m.w64(kernelStack + BigInt(KSWITCH_FRAME.Return), ret);
      m.w64(kernelStack + BigInt(KSWITCH_FRAME.Rbp), regs.rbp!);
      m.w64(kernelStack + BigInt(KSWITCH_FRAME.ApcBypass), 0n);
      outerToInner.push({ module: f.module.name, function: f.fn.name, instruction: ret });
      registers = { rip: ret, rsp, rbp: regs.rbp! };
    } else {
      const rip = base + BigInt(f.fn.calls[0]?.callRva ?? f.fn.rva + f.fn.prologSize + 2);
      outerToInner.push({ module: f.module.name, function: f.fn.name, instruction: rip });
      registers = { ...regs, rip, rsp };
    }
  });
  const stack: ModelStack = { frames: outerToInner.reverse(), registers };
  if (plan.user) stack.user = plan.user;
  return kernelStack !== undefined ? { stack, kernelStack } : { stack };
}

const NT = 'ntoskrnl.exe';

function driverStem(module: ModelModule): string {
  return module.name.replace(/\.[^.]+$/, '').replace(/[^A-Za-z0-9]/g, '_');
}

/** A switched-out thread's plan: System threads wait in a worker loop, user threads in a system call. */
export function waitingPlan(m: MachineState, pid: number, userStack: { rip: bigint; rsp: bigint } | undefined, rng: Rng): StackPlan {
  const drivers = m.modules.slice(2);
  const drv = drivers[rng.int(0, drivers.length - 1)]!;
  const stem = driverStem(drv);
  const wait = [`${NT}!KiSwapThread`, `${NT}!KiSwapContext`];
  if (pid === 4 || !userStack) {
    const chain =
      rng.int(0, 1) === 0
        ? [`${NT}!KiStartSystemThread`, `${NT}!PspSystemThreadStartup`, `${NT}!ExpWorkerThread`, `${NT}!KeRemoveQueueEx`, ...wait]
        : [`${NT}!KiStartSystemThread`, `${NT}!PspSystemThreadStartup`, `${drv.name}!${stem}Worker`, `${NT}!KeWaitForSingleObject`, ...wait];
    return { chain, frame0: 'switch' };
  }
  const k = rng.int(0, 2);
  const chain =
    k === 0
      ? [`${NT}!KiSystemServiceCopyEnd`, `${NT}!NtWaitForSingleObject`, `${NT}!KeWaitForSingleObject`, ...wait]
      : k === 1
        ? [`${NT}!KiSystemServiceCopyEnd`, `${NT}!NtDelayExecution`, `${NT}!KeDelayExecutionThread`, ...wait]
        : [`${NT}!KiSystemServiceCopyEnd`, `${NT}!NtDeviceIoControlFile`, `${NT}!IofCallDriver`, `${drv.name}!${stem}DispatchDeviceControl`, `${NT}!KeWaitForSingleObject`, ...wait];
  return { chain, frame0: 'switch', user: userStack };
}

/** Where the outermost frame starts below InitialStack (a machine frame at the end of the KTRAP_FRAME, or a start frame). */
export function stackTop(initialStack: bigint, user: boolean): bigint {
  return user ? initialStack - 0x28n : initialStack - 0x38n;
}

/** A user-mode pc/sp for a thread of a user process: ntdll-like code and a stack in unmapped user space. */
export function userEntry(seed: number, tid: number): { rip: bigint; rsp: bigint } {
  const r = new Rng(seed ^ (tid * 0x9e3779b1));
  return { rip: 0x00007ffa10000000n + BigInt(r.int(0x1000, 0x9ffff) * 16 + 4), rsp: 0x000000e000000000n + BigInt(r.int(0x100, 0xfffff)) * 0x1000n + 0xe58n };
}

export { find as findModelFunction, driverStem };
