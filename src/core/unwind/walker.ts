// The stack walker's driver: frame 0 from the thread's registers, then callers from one
// arch-specific unwinder (amd64.ts, x86.ts, arm64.ts, arm.ts) until the stack ends or a bound is hit.
// Strategies, most trusted first: CFI from the symbol provider (STACK CFI rules, STACK WIN on x86),
// the frame-pointer chain, then scanning the stack for a word that points into known code.
// The heuristics follow rust-minidump's minidump-unwind and Breakpad's stackwalker_*.cc (read, not
// copied); where they differ, the choice is noted at the place.
import type { CpuArch } from '../minidump/constants.js';
import { amd64Unwinder } from './amd64.js';
import { armUnwinder } from './arm.js';
import { arm64Unwinder } from './arm64.js';
import { WALK_DEFAULTS, WalkContext, type ArchUnwinder, type WalkArch, type WalkFrame, type WalkInput } from './context.js';
import type { CallStack, StackFrame, WalkEnd } from './types.js';
import { x86Unwinder } from './x86.js';

export { WALK_DEFAULTS, type WalkInput, type WalkLimits, type WalkArch } from './context.js';

async function symbolize(w: WalkContext, f: WalkFrame): Promise<void> {
  const module = w.modules.at(f.lookupAddress);
  if (!module) return;
  f.module = module;
  f.frame.module = module;
  const symbol = await w.lookup(module, f.lookupAddress);
  if (symbol) {
    f.symbol = symbol;
    f.frame.symbol = symbol;
    if (symbol.inlines && symbol.inlines.length) f.frame.inlines = symbol.inlines;
  }
}

/** The address a frame's symbol and module are looked up at: the pc for frame 0, else inside the call. */
export function frameLookupAddress(frame: StackFrame, arch: WalkArch): bigint {
  if (frame.trust === 'context' || frame.instruction === 0n) return frame.instruction;
  return frame.instruction - UNWINDERS[arch]!.returnAdjust;
}

const UNWINDERS: Partial<Record<CpuArch, ArchUnwinder>> = { amd64: amd64Unwinder, x86: x86Unwinder, arm64: arm64Unwinder, arm: armUnwinder };

/**
 * Walks one thread's stack. Never throws for bad data (DumpErrors from the memory reader
 * propagate: they mean the file itself is broken); bounded by `limits.maxFrames` frames of at most
 * a few hundred word reads each.
 */
export async function walkStack(input: WalkInput): Promise<CallStack> {
  const unwinder = UNWINDERS[input.arch];
  if (!unwinder) {
    input.diagnostics?.add(`${input.label ? input.label + ': ' : ''}no stack walker for ${input.arch}`);
    return { frames: [], end: 'no-context', endReason: `no stack walker for ${input.arch}` };
  }
  const pc = input.registers[unwinder.pc];
  const sp = input.registers[unwinder.sp];
  if (pc === undefined || sp === undefined) {
    return { frames: [], end: 'no-context', endReason: `the context has no ${unwinder.pc}/${unwinder.sp}` };
  }
  const w = new WalkContext(input, unwinder.bits);
  const maxFrames = Math.max(1, Math.floor(input.limits?.maxFrames ?? WALK_DEFAULTS.maxFrames));
  const arch = input.arch as WalkArch;

  const first: WalkFrame = { frame: { instruction: pc, trust: 'context', registers: { ...input.registers } }, lookupAddress: pc };
  await symbolize(w, first);
  const walked: WalkFrame[] = [first];
  const seen = new Set<string>([`${pc}:${sp}`]);
  let end: WalkEnd;
  let endReason: string | undefined;
  for (;;) {
    if (walked.length >= maxFrames) {
      end = 'frame-cap';
      endReason = `stopped after ${maxFrames} frames (the frame cap)`;
      w.note(endReason);
      break;
    }
    const callee = walked[walked.length - 1]!;
    const grand = walked.length >= 2 ? walked[walked.length - 2] : undefined;
    const caller = await unwinder.caller(w, callee, grand);
    if (!caller) {
      const calleeSp = callee.frame.registers[unwinder.sp]!;
      if ((await w.stackOnlyWord(calleeSp)) === undefined) {
        end = 'memory-missing';
        endReason = `the stack at 0x${calleeSp.toString(16)} is not in the dump`;
        if (walked.length === 1) w.note(endReason);
      } else {
        end = 'no-caller';
        endReason = 'no strategy found a caller';
      }
      break;
    }
    const callerPc = caller.registers[unwinder.pc]!;
    const callerSp = caller.registers[unwinder.sp]!;
    // A pc in the first page is the end marker (0) or garbage: both walkers stop there.
    if (callerPc < 4096n) {
      end = 'end-of-stack';
      break;
    }
    if (!unwinder.progressed(caller, callee)) {
      end = 'no-progress';
      endReason = `the caller's ${unwinder.sp} 0x${callerSp.toString(16)} is not above the callee's`;
      break;
    }
    const key = `${callerPc}:${callerSp}`;
    if (seen.has(key)) {
      end = 'no-progress';
      endReason = `frame ${walked.length} repeats an earlier frame (pc 0x${callerPc.toString(16)}, sp 0x${callerSp.toString(16)})`;
      w.note(endReason);
      break;
    }
    seen.add(key);
    const f: WalkFrame = { frame: caller, lookupAddress: frameLookupAddress(caller, arch) };
    await symbolize(w, f);
    walked.push(f);
  }
  return { frames: walked.map((f) => f.frame), end, ...(endReason !== undefined ? { endReason } : {}) };
}

