// amd64 unwinder: STACK CFI, then the rbp chain, then a stack scan (rust-minidump's amd64.rs and
// Breakpad's stackwalker_amd64.cc heuristics).
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

const CALLEE_SAVED = ['rbx', 'rbp', 'r12', 'r13', 'r14', 'r15'] as const;

/** Outside the canonical 48-bit halves: cannot be an address. */
export function isNonCanonical(p: bigint): boolean {
  return p > 0x7fffffffffffn && p < 0xffff800000000000n;
}

async function byCfi(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  if (callee.frame.registers.rsp === undefined) return undefined;
  const info = await unwindInfoFor(w, callee);
  if (!info || info.kind !== 'cfi') return undefined;
  const regs = await callerByCfiRules(w, callee, info.rules, CALLEE_SAVED, { pc: 'rip', sp: 'rsp' });
  return regs && callerFrame('cfi', regs, 'rip');
}

/**
 * Windows x64 code keeps no rbp chain (its unwind data is .pdata), so Breakpad does not follow rbp
 * there; for the context frame it "simulates a return from a leaf function": the word at rsp, if it
 * looks like a return address, is the caller's pc, every other register unchanged. Breakpad labels
 * that FRAME_TRUST_LEAF; the contract's vocabulary (rust-minidump's) has no such word: 'scan'.
 */
async function bySimulatedReturn(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const rsp = callee.frame.registers.rsp;
  if (rsp === undefined || callee.frame.trust !== 'context') return undefined;
  const found = await scanForReturnAddress(w, rsp, 1, (v) => !isNonCanonical(v));
  if (!found) return undefined;
  return callerFrame('scan', { ...callee.frame.registers, rip: found.address, rsp: found.location + 8n }, 'rip');
}

async function byFramePointer(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const { rbp: lastBp, rsp: lastSp } = callee.frame.registers;
  if (lastBp === undefined || lastSp === undefined) return undefined;
  if (lastBp >= w.mask - 16n) return undefined;
  // rbp points at the saved rbp, the return address above it (rust-minidump's checks).
  const ip = await w.word(lastBp + 8n);
  const bp = await w.word(lastBp);
  if (ip === undefined || bp === undefined) return undefined;
  const sp = lastBp + 16n;
  if (bp < sp || isNonCanonical(ip)) return undefined;
  // The caller's rbp must point into the stack, its rsp be above the callee's and on the stack.
  if ((await w.stackOnlyWord(bp)) === undefined) return undefined;
  if (sp <= lastSp || (await w.stackOnlyWord(sp)) === undefined) return undefined;
  return callerFrame('frame_pointer', { rip: ip, rsp: sp, rbp: bp }, 'rip');
}

async function byScan(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const { rsp: lastSp, rbp: lastBp } = callee.frame.registers;
  if (lastSp === undefined) return undefined;
  const found = await scanForReturnAddress(w, lastSp, scanLength(w, callee), (v) => !isNonCanonical(v));
  if (!found) return undefined;
  const sp = found.location + 8n;
  const regs: RegisterSet = { rip: found.address, rsp: sp };
  // Recover rbp (Breakpad's rule): the callee pushed it just below the return address (standard
  // prologue), or never touched it (then the callee's value is the caller's, if above the new sp).
  if (lastBp !== undefined) {
    if (found.location - 8n === lastBp) {
      const bp = await w.stackOnlyWord(lastBp);
      if (bp !== undefined && bp > found.location) regs.rbp = bp;
    } else if (lastBp >= sp) regs.rbp = lastBp;
  }
  return callerFrame('scan', regs, 'rip');
}

export const amd64Unwinder: ArchUnwinder = {
  bits: 64,
  pc: 'rip',
  sp: 'rsp',
  returnAdjust: 1n,
  async caller(w, callee) {
    // On Windows Breakpad never follows rbp (rust-minidump tries it with up to 15 16-byte steps; on
    // the corpus's Windows x64 dump that skips three frames Breakpad's scan finds).
    const middle = w.os === 'windows' ? bySimulatedReturn : byFramePointer;
    return (await byCfi(w, callee)) ?? (await middle(w, callee)) ?? (await byScan(w, callee));
  },
  progressed(caller, callee) {
    return caller.registers.rsp! > callee.frame.registers.rsp!;
  },
};
