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
/** Frames bigger than this between a scanned return address and the saved rbp are not believed. */
const MAX_REASONABLE_GAP_BETWEEN_FRAMES = 128n * 1024n;

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

async function byFramePointer(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const { rbp: lastBp, rsp: lastSp } = callee.frame.registers;
  if (lastBp === undefined || lastSp === undefined) return undefined;
  if (lastBp >= w.mask - 16n) return undefined;
  // Windows code may leave a gap above rbp (it points into the frame, not at the saved rbp), so
  // rust-minidump tries up to 15 further 16-byte steps there; elsewhere rbp points at the saved rbp.
  const steps = w.os === 'windows' ? 15 : 0;
  for (let step = 0; step <= steps; step++) {
    const at = lastBp + BigInt(step) * 16n;
    const ip = await w.word(at + 8n);
    const bp = await w.word(at);
    if (ip === undefined || bp === undefined) return undefined;
    const sp = at + 16n;
    if (sp <= lastBp || bp < sp) continue;
    // The caller's rbp must point into the stack too.
    if ((await w.stackOnlyWord(bp)) === undefined) return undefined;
    if (isNonCanonical(ip)) continue;
    if (sp <= lastSp || (await w.stackOnlyWord(sp)) === undefined) continue;
    return callerFrame('frame_pointer', { rip: ip, rsp: sp, rbp: bp }, 'rip');
  }
  return undefined;
}

async function byScan(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const { rsp: lastSp, rbp: lastBp } = callee.frame.registers;
  if (lastSp === undefined) return undefined;
  const found = await scanForReturnAddress(w, lastSp, scanLength(w, callee), (v) => !isNonCanonical(v));
  if (!found) return undefined;
  const sp = found.location + 8n;
  const regs: RegisterSet = { rip: found.address, rsp: sp };
  // Recover rbp: the callee pushed it just below the return address (standard prologue), or
  // never touched it (then the callee's value is the caller's, if it points above the new sp).
  if (lastBp !== undefined && found.location > lastSp) {
    const bpAt = found.location - 8n;
    const bp = await w.stackOnlyWord(bpAt);
    if (bp === undefined) return undefined;
    if (lastBp === bpAt && bp > found.location && bp - bpAt <= MAX_REASONABLE_GAP_BETWEEN_FRAMES) {
      if ((await w.stackOnlyWord(bp)) !== undefined) regs.rbp = bp;
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
    return (await byCfi(w, callee)) ?? (await byFramePointer(w, callee)) ?? (await byScan(w, callee));
  },
  progressed(caller, callee) {
    return caller.registers.rsp! > callee.frame.registers.rsp!;
  },
};
