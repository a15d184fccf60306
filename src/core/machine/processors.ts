/**
 * Processors of a modeled machine and the bug check: a KPCR+KPRCB each (processor-state pages),
 * KiProcessorBlock, the thread each one runs, and the contexts (the crashing one's is the dump
 * header's ContextRecord).
 */
import { AMD64_CONTEXT, makeAmd64Context } from '../kernel/context.js';
import { PRCB_BASE } from './layout.js';
import type { Machine } from './machine.js';
import { KPCR, KPRCB } from './nt-layout.js';
import { KERNEL_DATA, PAGE } from './paging.js';

export function buildProcessors(m: Machine, halEntry: bigint): void {
  const n = m.profile.processors;
  m.crashCpu = m.rng.int(0, n - 1);
  const candidates = m.processes.filter((p) => p.pid !== 4 && p.threads.length > 0);
  m.crashProcess = candidates[m.rng.int(0, candidates.length - 1)]!;
  m.crashThread = m.crashProcess.threads[m.rng.int(0, m.crashProcess.threads.length - 1)]!;
  const system = m.processes.find((p) => p.pid === 4)!;
  const ntos = m.modules[0]!;
  const faultingDriver = m.modules[2 + m.rng.int(0, m.modules.length - 3)]!;
  const keBugCheckEx = m.kernBase + 0x3f5e40n;

  // The crashing thread's stack: KeBugCheckEx frame at RSP, return addresses below it.
  const rsp = m.crashThread.stackBase - 0x1000n + BigInt(m.rng.int(0, 0x80) * 8) - 0x800n;
  const faultAddress = faultingDriver.base + BigInt(0x1000 + m.rng.int(0, faultingDriver.size - 0x3000));
  const frames = [ntos.base + 0x40a1b3n, faultingDriver.base + 0x1a2cn, faultAddress + 0x17n, ntos.base + 0x2b3c11n, ntos.base + 0x3562a0n];
  frames.forEach((ret, i) => m.w64(rsp + BigInt(i * 0x48), ret));
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
    const context =
      i === m.crashCpu
        ? makeAmd64Context({ rip: keBugCheckEx, rsp, rbp: rsp + 0x80n, rcx: BigInt(m.bugCheck.code), rdx: params[0], r8: params[1], r9: params[2] })
        : makeAmd64Context({ rip: halEntry + 0x120n, rsp: thread.kernelStack, rbp: thread.kernelStack + 0x40n });
    m.writeBytes(prcb + BigInt(KPRCB.Context), context);
    m.w64(blockPtrs + BigInt(i * 8), prcb);
    m.processors.push({ index: i, kpcr, prcb, currentThread: thread.ethread, context });
  }
  if (AMD64_CONTEXT.size + KPRCB.Context > KPRCB.size) throw new Error('model: context outside the KPRCB');
}

