// 32-bit ARM unwinder: STACK CFI, then (iOS only, r7 frame records) the frame-pointer chain, then a
// stack scan (rust-minidump's arm.rs and Breakpad's stackwalker_arm.cc heuristics).
import type { RegisterSet, StackFrame } from './types.js';
import {
  callerByCfiRules,
  callerFrame,
  scanForReturnAddress,
  scanLength,
  unwindInfoFor,
  type ArchUnwinder,
  type WalkContext,
  type WalkFrame,
} from './context.js';

const CALLEE_SAVED = ['r4', 'r5', 'r6', 'r7', 'r8', 'r9', 'r10', 'r11', 'fp'] as const;
const ALIASES: Record<string, string> = { r13: 'sp', sp: 'r13', r14: 'lr', lr: 'r14', r15: 'pc', pc: 'r15' };

function withAliases(regs: RegisterSet): RegisterSet {
  for (const [a, b] of Object.entries(ALIASES)) if (regs[a] !== undefined && regs[b] === undefined) regs[b] = regs[a]!;
  return regs;
}

async function byCfi(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  if (callee.frame.registers.sp === undefined) return undefined;
  const info = await unwindInfoFor(w, callee);
  if (!info || info.kind !== 'cfi') return undefined;
  const regs = await callerByCfiRules(w, callee, info.rules, CALLEE_SAVED, { pc: 'pc', sp: 'sp' }, ALIASES);
  return regs && callerFrame('cfi', withAliases(regs), 'pc');
}

async function byFramePointer(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  // Only iOS keeps a reliable frame chain (r7); Linux/Android ARM code rarely does.
  if (w.os !== 'ios') return undefined;
  const fp = callee.frame.registers.r7;
  const sp = callee.frame.registers.sp;
  if (fp === undefined || sp === undefined || fp >= w.mask - 8n) return undefined;
  if (fp === 0n) return undefined;
  const f = await w.word(fp);
  const p = await w.word(fp + 4n);
  if (f === undefined || p === undefined) return undefined;
  return callerFrame('frame_pointer', withAliases({ pc: p, sp: fp + 8n, r7: f }), 'pc');
}

async function byScan(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const sp = callee.frame.registers.sp;
  if (sp === undefined) return undefined;
  const found = await scanForReturnAddress(w, sp, scanLength(w, callee));
  if (!found) return undefined;
  return callerFrame('scan', withAliases({ pc: found.address, sp: found.location + 4n }), 'pc');
}

export const armUnwinder: ArchUnwinder = {
  bits: 32,
  pc: 'pc',
  sp: 'sp',
  returnAdjust: 2n,
  async caller(w, callee) {
    return (await byCfi(w, callee)) ?? (await byFramePointer(w, callee)) ?? (await byScan(w, callee));
  },
  progressed(caller, callee) {
    const a = caller.registers.sp!;
    const b = callee.frame.registers.sp!;
    return a > b || (a === b && callee.frame.trust === 'context');
  },
};
