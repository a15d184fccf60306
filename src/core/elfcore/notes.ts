/**
 * The notes of a core's PT_NOTE segments: Elf_Nhdr (namesz, descsz, type) then the name and the
 * descriptor, each padded to 4 bytes (8 when the segment's p_align says 8).
 */
import type { ByteSource } from '../bytes/byte-source.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { CORE_LIMITS, type CoreProgramHeader } from './header.js';

/** Note types (<elf.h>, <linux/elf.h>) that dumpkit reads from cores. */
export const NoteType = {
  NT_PRSTATUS: 1,
  /** NT_FPREGSET: x86_64 FXSAVE (512 bytes), i386 FSAVE (108 bytes), aarch64 user_fpsimd_state. */
  NT_PRFPREG: 2,
  NT_PRPSINFO: 3,
  NT_AUXV: 6,
  NT_386_TLS: 0x200,
  NT_X86_XSTATE: 0x202,
  NT_ARM_TLS: 0x401,
  NT_PRXFPREG: 0x46e62b7f,
  NT_SIGINFO: 0x53494749,
  NT_FILE: 0x46494c45,
} as const;

export interface CoreNote {
  /** "CORE", "LINUX"… (without the terminating NUL). */
  name: string;
  type: number;
  /** File offset of the descriptor (for error messages). */
  offset: number;
  desc: Uint8Array;
}

/** Every note of every PT_NOTE segment, in file order. Bytes past the end of the file are reported, not read. */
export async function readNotes(source: ByteSource, segments: CoreProgramHeader[], diagnostics: Diagnostics): Promise<CoreNote[]> {
  const out: CoreNote[] = [];
  let total = 0;
  for (const seg of segments) {
    let size = seg.fileSize;
    if (seg.offset >= source.size) {
      diagnostics.add(`PT_NOTE segment ${seg.index} at 0x${seg.offset.toString(16)} starts past the end of ${source.name}: its notes are missing`);
      continue;
    }
    if (seg.offset + size > source.size) {
      diagnostics.add(`PT_NOTE segment ${seg.index} (0x${seg.offset.toString(16)}, ${size} bytes) runs past the end of ${source.name}: only ${source.size - seg.offset} bytes read`);
      size = source.size - seg.offset;
    }
    total += size;
    if (total > CORE_LIMITS.maxNoteBytes) throw new DumpError('COUNT_TOO_LARGE', `notes of more than ${CORE_LIMITS.maxNoteBytes} bytes`, { offset: seg.offset, length: size });
    const bytes = await source.read(seg.offset, size);
    parseNoteBlock(bytes, seg.offset, seg.align === 8 ? 8 : 4, out, diagnostics);
  }
  return out;
}

function parseNoteBlock(bytes: Uint8Array, fileOffset: number, align: 4 | 8, out: CoreNote[], diagnostics: Diagnostics): void {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const pad = (n: number): number => (n + align - 1) & ~(align - 1);
  let o = 0;
  while (o + 12 <= bytes.length) {
    const namesz = dv.getUint32(o, true);
    const descsz = dv.getUint32(o + 4, true);
    const type = dv.getUint32(o + 8, true);
    const nameOff = o + 12;
    const descOff = nameOff + pad(namesz);
    if (namesz > bytes.length || descsz > bytes.length || descOff + descsz > bytes.length) {
      diagnostics.add(`note at 0x${(fileOffset + o).toString(16)} (type 0x${type.toString(16)}, name ${namesz} bytes, descriptor ${descsz} bytes) runs past its PT_NOTE segment: the notes after it are not read`);
      return;
    }
    let name = '';
    for (let i = 0; i < namesz && bytes[nameOff + i] !== 0; i++) name += String.fromCharCode(bytes[nameOff + i]!);
    out.push({ name, type, offset: fileOffset + descOff, desc: bytes.subarray(descOff, descOff + descsz) });
    o = descOff + pad(descsz);
  }
}
