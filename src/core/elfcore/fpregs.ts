/**
 * Floating-point and vector state notes, by architecture, into the writer's CpuRegisters fields:
 * - x86_64: NT_PRFPREG (NT_FPREGSET) is the 512-byte FXSAVE image (user_i387_struct);
 *   NT_X86_XSTATE is the XSAVE area, whose first 512 bytes are the same legacy FXSAVE region.
 * - i386: NT_PRFPREG is the 108-byte FSAVE image (user_i387_ia32_struct); NT_PRXFPREG ("LINUX")
 *   the 512-byte FXSAVE image; NT_X86_XSTATE as above.
 * - aarch64: NT_PRFPREG is struct user_fpsimd_state: V0..V31 (16 bytes each, 512 bytes), fpsr at
 *   512, fpcr at 516.
 * - NT_ARM_TLS: TPIDR_EL0 (8 bytes), the thread pointer.
 */
import type { Diagnostics } from '../diagnostics.js';
import type { CpuRegisters } from '../minidump/writer/model.js';
import type { CoreHeader } from './header.js';
import { NoteType, type CoreNote } from './notes.js';

const FXSAVE_SIZE = 512;
const FSAVE_SIZE = 108;
const FPSIMD_SIZE = 520;

/** Applies one thread-scoped note to that thread's registers; false when the note is not a register note. */
export function applyRegisterNote(arch: CoreHeader['arch'], regs: CpuRegisters, note: CoreNote, diagnostics: Diagnostics): boolean {
  const short = (want: number, what: string): boolean => {
    if (note.desc.length >= want) return false;
    diagnostics.add(`${what} at 0x${note.offset.toString(16)} has ${note.desc.length} bytes, fewer than ${want}: ignored`);
    return true;
  };
  const copy = (n: number): Uint8Array => note.desc.slice(0, n);
  switch (note.type) {
    case NoteType.NT_PRFPREG:
      if (arch === 'amd64') {
        if (!short(FXSAVE_SIZE, 'NT_FPREGSET')) regs.fxsave = copy(FXSAVE_SIZE);
      } else if (arch === 'x86') {
        if (!short(FSAVE_SIZE, 'NT_PRFPREG')) regs.fsave = copy(FSAVE_SIZE);
      } else if (!short(FPSIMD_SIZE, 'NT_PRFPREG (user_fpsimd_state)')) {
        regs.vregs = copy(512);
        const dv = new DataView(note.desc.buffer, note.desc.byteOffset, note.desc.byteLength);
        regs.gpr.fpsr = BigInt(dv.getUint32(512, true));
        regs.gpr.fpcr = BigInt(dv.getUint32(516, true));
      }
      return true;
    case NoteType.NT_PRXFPREG:
      if (arch === 'x86' && note.name === 'LINUX' && !short(FXSAVE_SIZE, 'NT_PRXFPREG')) regs.fxsave = copy(FXSAVE_SIZE);
      return true;
    case NoteType.NT_X86_XSTATE:
      // The legacy region of XSAVE equals FXSAVE; used when no FXSAVE note came with the thread.
      if (arch !== 'arm64' && !regs.fxsave && !short(FXSAVE_SIZE, 'NT_X86_XSTATE')) regs.fxsave = copy(FXSAVE_SIZE);
      return true;
    case NoteType.NT_ARM_TLS:
      if (arch === 'arm64' && !short(8, 'NT_ARM_TLS')) regs.gpr.tpidr_el0 = new DataView(note.desc.buffer, note.desc.byteOffset, 8).getBigUint64(0, true);
      return true;
    default:
      return false;
  }
}
