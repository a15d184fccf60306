// arm64 unwinder: STACK CFI, then the x29 frame record chain, then a stack scan (rust-minidump's
// arm64.rs and Breakpad's stackwalker_arm64.cc heuristics). Return addresses may carry pointer
// authentication bits: they are masked off to the address space the modules occupy.
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

const CALLEE_SAVED = ['x19', 'x20', 'x21', 'x22', 'x23', 'x24', 'x25', 'x26', 'x27', 'x28', 'x29', 'fp'] as const;
const ALIASES: Record<string, string> = { x29: 'fp', fp: 'x29', x30: 'lr', lr: 'x30' };

/** Outside [0x1000, 2^52): not a user-space code address. */
function implausible(p: bigint): boolean {
  return p < 0x1000n || p > 0x000fffffffffffffn;
}

/** Strips pointer-authentication bits: keeps the bits up to the highest module end (at least 47 bits, Apple's default). */
export function stripPointerAuth(w: WalkContext, p: bigint): bigint {
  let max = (1n << 47n) - 1n;
  if (w.modules.end > max) max = w.modules.end;
  let high = 1n;
  while (high <= max) high <<= 1n;
  return p & (high - 1n);
}

function withAliases(regs: RegisterSet): RegisterSet {
  for (const [a, b] of Object.entries(ALIASES)) if (regs[a] !== undefined && regs[b] === undefined) regs[b] = regs[a]!;
  return regs;
}

async function byCfi(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  if (callee.frame.registers.sp === undefined) return undefined;
  const info = await unwindInfoFor(w, callee);
  if (!info || info.kind !== 'cfi') return undefined;
  const regs = await callerByCfiRules(w, callee, info.rules, CALLEE_SAVED, { pc: 'pc', sp: 'sp' }, ALIASES);
  if (!regs) return undefined;
  regs.pc = stripPointerAuth(w, regs.pc!);
  for (const n of ['lr', 'x30', 'fp', 'x29']) if (regs[n] !== undefined) regs[n] = stripPointerAuth(w, regs[n]!);
  return callerFrame('cfi', withAliases(regs), 'pc');
}

async function byFramePointer(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const fp = callee.frame.registers.x29 ?? callee.frame.registers.fp;
  const sp = callee.frame.registers.sp;
  if (fp === undefined || sp === undefined) return undefined;
  if (fp >= w.mask - 16n) return undefined;
  let callerFp = 0n;
  let callerPc = 0n;
  let callerSp = sp;
  if (fp !== 0n) {
    const f = await w.word(fp);
    const p = await w.word(fp + 8n);
    if (f === undefined || p === undefined) return undefined;
    callerFp = stripPointerAuth(w, f);
    callerPc = stripPointerAuth(w, p);
    callerSp = fp + 16n;
  }
  if (implausible(callerPc)) return undefined;
  const regs: RegisterSet = { pc: callerPc, sp: callerSp, x29: callerFp };
  if (callerFp !== 0n) {
    const lr = await w.word(callerFp + 8n);
    if (lr !== undefined) regs.x30 = stripPointerAuth(w, lr);
  }
  return callerFrame('frame_pointer', withAliases(regs), 'pc');
}

async function byScan(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const sp = callee.frame.registers.sp;
  if (sp === undefined) return undefined;
  const found = await scanForReturnAddress(w, sp, scanLength(w, callee), (v) => !implausible(v));
  if (!found) return undefined;
  return callerFrame('scan', { pc: found.address, sp: found.location + 8n }, 'pc');
}

export const arm64Unwinder: ArchUnwinder = {
  bits: 64,
  pc: 'pc',
  sp: 'sp',
  returnAdjust: 4n,
  async caller(w, callee) {
    return (await byCfi(w, callee)) ?? (await byFramePointer(w, callee)) ?? (await byScan(w, callee));
  },
  progressed(caller, callee) {
    const a = caller.registers.sp!;
    const b = callee.frame.registers.sp!;
    if (a > b) return true;
    if (a < b) return false;
    // Same sp: only a leaf (the context frame) or a CFI entry may return without popping anything,
    // and never to the same pc.
    if (caller.registers.pc === callee.frame.registers.pc) return false;
    return callee.frame.trust === 'context' || caller.trust === 'cfi';
  },
};
