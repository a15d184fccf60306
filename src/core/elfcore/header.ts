/**
 * The ELF header and program header table of a core file (ET_CORE): the machine, the PT_NOTE
 * segments and the PT_LOAD segments. Cores can have more than 65535 segments (PN_XNUM: the count
 * is then in section header 0's sh_info), so the caps here are the core's own, not ElfFile's.
 * Field layouts follow the System V gABI (Elf32_Ehdr/Elf64_Ehdr, Elf*_Phdr, Elf*_Shdr).
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { readStruct } from '../bytes/struct-view.js';
import { DumpError } from '../errors.js';
import { EM_386, EM_AARCH64, EM_X86_64, PT_LOAD, PT_NOTE } from '../elf/elf-file.js';
import type { WriterArch } from '../minidump/writer/model.js';

export const ET_CORE = 4;
const PN_XNUM = 0xffff;

/** p_flags bits. */
export const PF_X = 1;
export const PF_W = 2;
export const PF_R = 4;

export const CORE_LIMITS = {
  /** Program headers read at most (a process has at most vm.max_map_count mappings, 65530 by default). */
  maxSegments: 1_000_000,
  /** Bytes of notes read at most (every thread's registers and XSAVE area, NT_FILE's names). */
  maxNoteBytes: 256 * 1024 * 1024,
  /** Threads (NT_PRSTATUS notes) at most. */
  maxThreads: 100_000,
  /** NT_FILE entries at most. */
  maxFileEntries: 1_000_000,
};

export interface CoreHeader {
  is64: boolean;
  machine: number;
  arch: Extract<WriterArch, 'amd64' | 'x86' | 'arm64'>;
  /** Program headers of type PT_NOTE and PT_LOAD, in file order. */
  notes: CoreProgramHeader[];
  loads: CoreProgramHeader[];
}

export interface CoreProgramHeader {
  index: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  fileSize: number;
  memSize: bigint;
  align: number;
}

const ARCH_OF: Record<number, { arch: CoreHeader['arch']; is64: boolean }> = {
  [EM_X86_64]: { arch: 'amd64', is64: true },
  [EM_386]: { arch: 'x86', is64: false },
  [EM_AARCH64]: { arch: 'arm64', is64: true },
};

export async function readCoreHeader(source: ByteSource): Promise<CoreHeader> {
  if (source.size < 52) throw new DumpError('TRUNCATED', `an ELF header needs 52 bytes but ${source.name} has ${source.size}`, { offset: 0, length: source.size });
  const ident = await readStruct(source, 0, 20, 'e_ident');
  if (ident.u32(0) !== 0x464c457f) throw new DumpError('BAD_SIGNATURE', `${source.name} is not an ELF file (no \\x7fELF)`, { offset: 0, length: 4 });
  const cls = ident.u8(4);
  if (cls !== 1 && cls !== 2) throw new DumpError('UNSUPPORTED', `ELF class ${cls} (EI_CLASS) is neither ELFCLASS32 nor ELFCLASS64`, { offset: 4, length: 1 });
  if (ident.u8(5) !== 1) throw new DumpError('UNSUPPORTED', `big-endian or unknown ELF data encoding ${ident.u8(5)} (EI_DATA): dumpkit reads little-endian cores`, { offset: 5, length: 1 });
  const type = ident.u16(16);
  if (type !== ET_CORE) throw new DumpError('UNSUPPORTED', `${source.name} is an ELF file of type ${type}, not a core (ET_CORE = 4)`, { offset: 16, length: 2 });
  const is64 = cls === 2;
  const eh = await readStruct(source, 0, is64 ? 64 : 52, is64 ? 'Elf64_Ehdr' : 'Elf32_Ehdr');
  const machine = eh.u16(18);
  const known = ARCH_OF[machine];
  if (!known) throw new DumpError('UNSUPPORTED', `core of machine ${machine} (e_machine): dumpkit reads x86_64 (62), i386 (3) and aarch64 (183) cores`, { offset: 18, length: 2 });
  if (known.is64 !== is64) throw new DumpError('UNSUPPORTED', `e_machine ${machine} with ELF class ${cls} (x32 and other mixed ABIs are not read)`, { offset: 4, length: 1 });
  const phoff = is64 ? eh.u64n(32) : eh.u32(28);
  const shoff = is64 ? eh.u64n(40) : eh.u32(32);
  const phentOff = is64 ? 54 : 42;
  const phentsize = eh.u16(phentOff);
  let phnum = eh.u16(is64 ? 56 : 44);
  const phdrSize = is64 ? 56 : 32;
  if (phnum === PN_XNUM) {
    if (shoff === 0) throw new DumpError('BAD_SIZE', 'e_phnum is PN_XNUM but there is no section header 0 holding the real count', { offset: is64 ? 56 : 44, length: 2 });
    const sh0 = await readStruct(source, shoff, is64 ? 64 : 40, 'section header 0 (PN_XNUM count)');
    phnum = sh0.u32(is64 ? 44 : 28);
  }
  if (phnum > CORE_LIMITS.maxSegments) throw new DumpError('COUNT_TOO_LARGE', `${phnum} program headers exceed the limit of ${CORE_LIMITS.maxSegments}`, { offset: is64 ? 56 : 44, length: 2 });
  if (phnum > 0 && phentsize < phdrSize) throw new DumpError('BAD_SIZE', `e_phentsize ${phentsize} is smaller than a program header (${phdrSize})`, { offset: phentOff, length: 2 });
  const notes: CoreProgramHeader[] = [];
  const loads: CoreProgramHeader[] = [];
  if (phnum > 0) {
    const all = await readStruct(source, phoff, phnum * phentsize, 'program header table');
    for (let i = 0; i < phnum; i++) {
      const p = all.sub(i * phentsize, phdrSize, `program header ${i}`);
      const ptype = p.u32(0);
      if (ptype !== PT_LOAD && ptype !== PT_NOTE) continue;
      const h: CoreProgramHeader = is64
        ? { index: i, flags: p.u32(4), offset: p.u64n(8), vaddr: p.u64(16), fileSize: p.u64n(32), memSize: p.u64(40), align: Number(p.u64(48) & 0xffffn) }
        : { index: i, flags: p.u32(24), offset: p.u32(4), vaddr: BigInt(p.u32(8)), fileSize: p.u32(16), memSize: BigInt(p.u32(20)), align: p.u32(28) };
      (ptype === PT_LOAD ? loads : notes).push(h);
    }
  }
  return { is64, machine, arch: known.arch, notes, loads };
}
