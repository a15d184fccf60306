/**
 * Processors of a modeled machine and the bug check: a KPCR+KPRCB each (processor-state pages),
 * KiProcessorBlock, the thread each one runs, and the contexts (the crashing one's is the dump
 * header's ContextRecord). A running thread's stack is rebuilt with frame 0 in its processor's
 * context: the crashing thread in KeBugCheckEx, called from the faulting driver; the others idle.
 */
import { AMD64_CONTEXT, makeAmd64Context } from '../kernel/context.js';
import { buildStack, driverStem, stackTop, userEntry, type StackPlan } from './kernel-stacks.js';
import { PRCB_BASE } from './layout.js';
import type { MachineState } from './builder-state.js';
import type { ModelThread } from './model-types.js';
import { ETHREAD, KPCR, KPRCB } from './nt-layout.js';
import { KERNEL_DATA, PAGE } from './paging.js';
import { hash32, Rng } from './rng.js';
import { THREAD_RUNNING } from './threads.js';

/** Rebuilds a thread's stack as a running one (frame 0 = the context) and marks it Running. */
function runThread(m: MachineState, t: ModelThread, plan: StackPlan): Record<string, bigint> {
  const rng = new Rng(hash32(m.seed, t.tid, 0x7275));
  const initialStack = t.stackBase - 0x1d0n;
  const built = buildStack(m, stackTop(initialStack, plan.user !== undefined), plan, rng);
  t.stack = built.stack;
  t.state = THREAD_RUNNING;
  m.writeBytes(t.ethread + BigInt(ETHREAD.State), Uint8Array.of(THREAD_RUNNING));
  return built.stack.registers;
}

export function buildProcessors(m: MachineState): void {
  const n = m.profile.processors;
  m.crashCpu = m.rng.int(0, n - 1);
  const candidates = m.processes.filter((p) => p.pid !== 4 && p.threads.length > 0);
  m.crashProcess = candidates[m.rng.int(0, candidates.length - 1)]!;
  m.crashThread = m.crashProcess.threads[m.rng.int(0, m.crashProcess.threads.length - 1)]!;
  const system = m.processes.find((p) => p.pid === 4)!;
  const faultingDriver = m.modules[2 + m.rng.int(0, m.modules.length - 3)]!;
  m.rng.int(0, 0x80); // (the draw that once placed the crash RSP: kept so later draws stay the same)
  m.rng.int(0, faultingDriver.size - 0x3000); // (likewise for the fault address)

  // The crashing thread: a system call into the faulting driver, which called KeBugCheckEx.
  const stem = driverStem(faultingDriver);
  const crashRegs = runThread(m, m.crashThread, {
    chain: [
      'ntoskrnl.exe!KiSystemServiceCopyEnd',
      'ntoskrnl.exe!NtDeviceIoControlFile',
      'ntoskrnl.exe!IofCallDriver',
      `${faultingDriver.name}!${stem}DispatchDeviceControl`,
      `${faultingDriver.name}!${stem}ProcessRequest`,
      'ntoskrnl.exe!KeBugCheckEx',
    ],
    frame0: 'context',
    user: userEntry(m.seed, m.crashThread.tid),
  });
  const rsp = crashRegs.rsp!;
  const request = faultingDriver.functions.find((f) => f.name === `${stem}ProcessRequest`)!;
  const faultAddress = faultingDriver.base + BigInt(request.rva + request.prologSize + 4);
  const exceptionRecord = rsp + 0x3a0n;
  const contextRecord = rsp + 0x400n;
  const bc = m.profile.bugCheck;
  const params: [bigint, bigint, bigint, bigint] = [...bc.parameters];
  if (bc.code === 0x1000007e) {
    params[1] = faultAddress;
    params[2] = exceptionRecord;
    params[3] = contextRecord;
  } else if (bc.code === 0xd1) {
    params[3] = faultAddress;
  }
  m.bugCheck = { code: bc.code, parameters: params };

  const blockPtrs = m.kiProcessorBlock;
  for (let i = 0; i < n; i++) {
    const kpcr = PRCB_BASE + BigInt(i) * 0x10000n;
    const pages = Math.ceil((KPCR.Prcb + KPRCB.size) / PAGE);
    const pfns = m.take('kernel-pool', pages, 'processor-state');
    for (const pfn of pfns) m.pages.set(pfn, new Uint8Array(PAGE));
    m.system.mapPages(kpcr, pfns, KERNEL_DATA);
    const prcb = kpcr + BigInt(KPCR.Prcb);
    m.w64(kpcr + BigInt(KPCR.Self), kpcr);
    m.w64(kpcr + BigInt(KPCR.CurrentPrcb), prcb);
    const idle = system.threads[i % system.threads.length]!;
    const thread = i === m.crashCpu ? m.crashThread : idle;
    m.w64(prcb + BigInt(KPRCB.CurrentThread), thread.ethread);
    let context: Uint8Array;
    if (i === m.crashCpu) {
      context = makeAmd64Context({ ...crashRegs, rip: crashRegs.rip!, rsp, rcx: BigInt(m.bugCheck.code), rdx: params[0], r8: params[1], r9: params[2] });
    } else {
      const regs = runThread(m, idle, { chain: ['ntoskrnl.exe!KiIdleLoop', 'ntoskrnl.exe!PoIdle', 'hal.dll!HalProcessorIdle'], frame0: 'context' });
      context = makeAmd64Context({ ...regs, rip: regs.rip!, rsp: regs.rsp! });
    }
    m.writeBytes(prcb + BigInt(KPRCB.Context), context);
    m.w64(blockPtrs + BigInt(i * 8), prcb);
    m.processors.push({ index: i, kpcr, prcb, currentThread: thread.ethread, context });
  }
  if (AMD64_CONTEXT.size + KPRCB.Context > KPRCB.size) throw new Error('model: context outside the KPRCB');
}
