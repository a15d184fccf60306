// x86 unwinder: STACK WIN (FPO records and FrameData program strings, Breakpad's handling of
// .raSearch, callee parameter sizes and the rescans around them), STACK CFI, the ebp chain, then a
// stack scan. Follows Breakpad's stackwalker_x86.cc for STACK WIN and rust-minidump's x86.rs for the
// frame-pointer and scan strategies.
import type { StackWinRecord } from '../symbols/types.js';
import { evaluateWinProgram, type WinVariables } from './postfix.js';
import type { FrameTrust, RegisterSet, StackFrame } from './types.js';
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

const CALLEE_SAVED = ['ebp', 'ebx', 'edi', 'esi'] as const;
const MAX_REASONABLE_GAP_BETWEEN_FRAMES = 128n * 1024n;
const M32 = 0xffffffffn;

/**
 * Bytes of parameters the callee of `callee` pushed for it (Breakpad's `.cbCalleeParams`): from the
 * grand-callee's STACK WIN record, else its function's parameter size, else 0.
 */
function calleeParameterSize(grand: WalkFrame | undefined): bigint {
  if (!grand) return 0n;
  if (grand.winRecord) return BigInt(grand.winRecord.parameterSize);
  return BigInt(grand.symbol?.parameterSize ?? 0);
}

async function byStackWin(
  w: WalkContext,
  callee: WalkFrame,
  grand: WalkFrame | undefined,
  record: StackWinRecord,
): Promise<StackFrame | undefined> {
  const regs = callee.frame.registers;
  const esp = regs.esp;
  const ebp = regs.ebp;
  if (esp === undefined || ebp === undefined) return undefined;
  callee.winRecord = record;
  const isContext = callee.frame.trust === 'context';
  const cbCalleeParams = calleeParameterSize(grand);
  let raSearchStart = (esp + cbCalleeParams + BigInt(record.localSize) + BigInt(record.savedRegisterSize)) & M32;

  // Breakpad scans up to three words above the computed start, in case esp was aligned. A context
  // frame in an FPO system-call stub may still have its own pc on top: skip that word.
  const startOld = raSearchStart;
  const near = await scanForReturnAddress(w, raSearchStart, 3);
  if (near) {
    raSearchStart = near.location;
    if (isContext && record.type === 0 && raSearchStart === startOld && near.address === regs.eip) {
      const next = await scanForReturnAddress(w, raSearchStart + 4n, 3);
      raSearchStart = next ? next.location : raSearchStart + 4n;
    }
  }

  let program: string;
  let recoverEbp = true;
  if (record.programString !== undefined && record.programString !== '') program = record.programString;
  else if (record.allocatesBasePointer) {
    // ebp is used as a general register and saved in the saved-register area.
    program = '$eip .raSearchStart ^ = $ebp $esp .cbCalleeParams + .cbSavedRegs + 8 - ^ = $esp .raSearchStart 4 + =';
  } else {
    // ebp untouched: the caller's is the callee's; ebx passes through too (Breakpad does so).
    program = '$eip .raSearchStart ^ = $esp .raSearchStart 4 + =';
    if (regs.ebx !== undefined) program += ' $ebx $ebx =';
    recoverEbp = false;
  }
  // With an alignment operator esp-relative positions are lost: the return address is at ebp + 4.
  if (program.includes('@')) raSearchStart = (ebp + 4n) & M32;

  const vars: WinVariables = new Map([
    ['$ebp', ebp],
    ['$esp', esp],
    ['.cbCalleeParams', cbCalleeParams],
    ['.cbSavedRegs', BigInt(record.savedRegisterSize)],
    ['.cbLocals', BigInt(record.localSize)],
    ['.cbParams', BigInt(record.parameterSize)],
    ['.raSearchStart', raSearchStart],
    ['.raSearch', raSearchStart],
  ]);
  if (regs.ebx !== undefined) vars.set('$ebx', regs.ebx);

  let trust: FrameTrust = 'cfi';
  const r = await evaluateWinProgram(program, vars, w.reader);
  let out: WinVariables;
  let assigned: Set<string>;
  if ('error' in r) {
    w.note(`STACK WIN program at 0x${callee.lookupAddress.toString(16)} is malformed (${r.error}); other strategies used`);
    return undefined;
  }
  if ('unavailable' in r || !r.assigned.has('$eip') || !r.assigned.has('$esp')) {
    // Evaluation failed (e.g. ebp points off the stack): look for a return address instead.
    const found = await scanForReturnAddress(w, esp, scanLength(w, callee));
    if (!found) return undefined;
    out = 'variables' in r ? r.variables : new Map(vars);
    assigned = 'assigned' in r ? r.assigned : new Set();
    out.set('$eip', found.address);
    out.set('$esp', (found.location + 4n) & M32);
    trust = 'scan';
  } else {
    out = r.variables;
    assigned = r.assigned;
  }

  let eip = out.get('$eip') ?? 0n;
  if (eip !== 0n || (out.get('$ebp') ?? 0n) !== 0n) {
    let offset = 0n;
    // A computed return address outside every module is wrong: look one word further up.
    if (!w.modules.at(eip)) {
      const start = (raSearchStart + 4n) & M32;
      const found = await scanForReturnAddress(w, start, scanLength(w, callee));
      if (found) {
        eip = found.address;
        out.set('$eip', eip);
        out.set('$esp', (found.location + 4n) & M32);
        offset = found.location - start;
        trust = 'cfi_scan';
      }
    }
    if (recoverEbp) {
      // If the ebp found looks wrong (frames were skipped, or it does not point into the stack),
      // look for a saved ebp in the saved-register area, highest address first.
      const bp = out.get('$ebp') ?? 0n;
      const skipped = trust !== 'cfi' && bp <= raSearchStart + offset;
      if (skipped || (await w.stackOnlyWord(bp)) === undefined) {
        const end = (esp + cbCalleeParams) & M32;
        for (let at = end + BigInt(record.savedRegisterSize) + offset; at >= end; at -= 4n) {
          const candidate = await w.stackOnlyWord(at);
          if (candidate === undefined) break;
          if ((await w.stackOnlyWord(candidate)) !== undefined) {
            out.set('$ebp', candidate);
            break;
          }
        }
      }
    }
  }

  const caller: RegisterSet = { eip: out.get('$eip') ?? 0n, esp: out.get('$esp') ?? 0n, ebp: out.get('$ebp') ?? 0n };
  for (const n of ['ebx', 'esi', 'edi'] as const) {
    if (assigned.has(`$${n}`)) caller[n] = out.get(`$${n}`)!;
  }
  return callerFrame(trust, caller, 'eip');
}

async function byCfi(w: WalkContext, callee: WalkFrame, grand: WalkFrame | undefined): Promise<StackFrame | undefined> {
  if (callee.frame.registers.esp === undefined) return undefined;
  const info = await unwindInfoFor(w, callee);
  if (!info) return undefined;
  if (info.kind === 'win') return byStackWin(w, callee, grand, info.record);
  const regs = await callerByCfiRules(w, callee, info.rules, CALLEE_SAVED, { pc: 'eip', sp: 'esp' });
  // Breakpad requires eip, esp and ebp from x86 CFI.
  if (!regs || regs.ebp === undefined) return undefined;
  return callerFrame('cfi', regs, 'eip');
}

async function byFramePointer(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const bp = callee.frame.registers.ebp;
  if (bp === undefined || bp >= M32 - 8n) return undefined;
  // %eip = *(%ebp + 4), %ebp = *(%ebp), %esp = %ebp + 8; rust-minidump (like Breakpad) does no
  // further validation here: more checks would make it scan, and find frames Breakpad does not.
  const ip = await w.word(bp + 4n);
  const nextBp = await w.word(bp);
  if (ip === undefined || nextBp === undefined) return undefined;
  return callerFrame('frame_pointer', { eip: ip, esp: bp + 8n, ebp: nextBp }, 'eip');
}

async function byScan(w: WalkContext, callee: WalkFrame): Promise<StackFrame | undefined> {
  const { esp: lastSp, ebp: lastBp } = callee.frame.registers;
  if (lastSp === undefined) return undefined;
  const found = await scanForReturnAddress(w, lastSp, scanLength(w, callee));
  if (!found) return undefined;
  const sp = found.location + 4n;
  const regs: RegisterSet = { eip: found.address, esp: sp };
  // Breakpad: the word below the return address is a saved ebp if it points a little way up the
  // stack (a standard prologue); otherwise the callee's ebp is kept (it did not touch it).
  const bpAt = found.location - 4n;
  const bp = await w.stackOnlyWord(bpAt);
  if (bp !== undefined && bp > bpAt && bp - bpAt <= MAX_REASONABLE_GAP_BETWEEN_FRAMES) regs.ebp = bp;
  else if (lastBp !== undefined) regs.ebp = lastBp;
  return callerFrame('scan', regs, 'eip');
}

export const x86Unwinder: ArchUnwinder = {
  bits: 32,
  pc: 'eip',
  sp: 'esp',
  returnAdjust: 1n,
  async caller(w, callee, grand) {
    return (await byCfi(w, callee, grand)) ?? (await byFramePointer(w, callee)) ?? (await byScan(w, callee));
  },
  progressed(caller, callee) {
    // Breakpad lets the first unwind keep sp (a context frame in a function's very first instruction).
    const a = caller.registers.esp!;
    const b = callee.frame.registers.esp!;
    return callee.frame.trust === 'context' ? a >= b : a > b;
  },
};
