/**
 * An ELF file (ELF32 or ELF64, little-endian): the file header, section headers, program headers
 * and section contents by name. Reads only what is asked for from a ByteSource; every structure is
 * bounds-checked and every failure is a DumpError naming the byte range.
 * Field layouts follow the System V gABI (Elf32_Ehdr/Elf64_Ehdr, Elf*_Shdr, Elf*_Phdr, Elf*_Chdr).
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { readStruct, StructView } from '../bytes/struct-view.js';
import { DumpError } from '../errors.js';
import { ELF_MAX_NOTE_BYTES, ELF_MAX_PHDRS, findBuildIdNote } from './build-id.js';

export const ELF_LIMITS = {
  /** Section headers read at most (real files have < 100; a debug file with many groups < 1000). */
  maxSections: 8192,
  maxSegments: ELF_MAX_PHDRS,
  /** Largest section whose contents are read into memory (after decompression). */
  maxSectionBytes: 512 * 1024 * 1024,
};

/** e_machine values dumpkit knows. */
export const EM_386 = 3;
export const EM_ARM = 40;
export const EM_X86_64 = 62;
export const EM_AARCH64 = 183;

export const ET_EXEC = 2;
export const ET_DYN = 3;

export const SHT_PROGBITS = 1;
export const SHT_SYMTAB = 2;
export const SHT_STRTAB = 3;
export const SHT_NOTE = 7;
export const SHT_NOBITS = 8;
export const SHT_DYNSYM = 11;
const SHF_COMPRESSED = 0x800;
const ELFCOMPRESS_ZLIB = 1;

export const PT_LOAD = 1;
export const PT_NOTE = 4;
export const PT_GNU_EH_FRAME = 0x6474e550;

export interface ElfSection {
  index: number;
  name: string;
  type: number;
  flags: bigint;
  /** sh_addr: where the section is loaded (0 for non-allocated sections). */
  addr: bigint;
  /** sh_offset / sh_size: the bytes in the file (sh_size is the compressed size for SHF_COMPRESSED). */
  offset: number;
  size: number;
  link: number;
  info: number;
  entsize: number;
}

export interface ElfSegment {
  type: number;
  flags: number;
  offset: number;
  vaddr: bigint;
  fileSize: number;
  memSize: bigint;
}

export class ElfFile {
  private readonly byName = new Map<string, ElfSection>();
  private readonly cache = new Map<number, Promise<Uint8Array>>();

  private constructor(
    readonly source: ByteSource,
    readonly is64: boolean,
    /** e_type: ET_EXEC, ET_DYN… */
    readonly type: number,
    /** e_machine: EM_X86_64, EM_386, EM_AARCH64… */
    readonly machine: number,
    readonly entry: bigint,
    readonly sections: ElfSection[],
    readonly segments: ElfSegment[],
  ) {
    for (const s of sections) if (s.name && !this.byName.has(s.name)) this.byName.set(s.name, s);
  }

  /** Parses the headers. Throws DumpError (BAD_SIGNATURE, UNSUPPORTED, TRUNCATED, COUNT_TOO_LARGE…). */
  static async open(source: ByteSource): Promise<ElfFile> {
    if (source.size < 52) throw new DumpError('TRUNCATED', `ELF header needs 52 bytes but ${source.name} has ${source.size}`, { offset: 0, length: source.size });
    const ident = await readStruct(source, 0, 16, 'e_ident');
    if (ident.u32(0) !== 0x464c457f) throw new DumpError('BAD_SIGNATURE', `${source.name} is not an ELF file (no \\x7fELF)`, { offset: 0, length: 4 });
    const cls = ident.u8(4);
    if (cls !== 1 && cls !== 2) throw new DumpError('UNSUPPORTED', `ELF class ${cls} (EI_CLASS) is neither ELFCLASS32 nor ELFCLASS64`, { offset: 4, length: 1 });
    if (ident.u8(5) !== 1) throw new DumpError('UNSUPPORTED', `big-endian or unknown ELF data encoding ${ident.u8(5)} (EI_DATA)`, { offset: 5, length: 1 });
    const is64 = cls === 2;
    const eh = await readStruct(source, 0, is64 ? 64 : 52, is64 ? 'Elf64_Ehdr' : 'Elf32_Ehdr');
    const type = eh.u16(16);
    const machine = eh.u16(18);
    const entry = is64 ? eh.u64(24) : BigInt(eh.u32(24));
    const phoff = is64 ? eh.u64n(32) : eh.u32(28);
    const shoff = is64 ? eh.u64n(40) : eh.u32(32);
    const [phentOff, phnumOff, shentOff, shnumOff, shstrOff] = is64 ? [54, 56, 58, 60, 62] : [42, 44, 46, 48, 50];
    const phentsize = eh.u16(phentOff);
    let phnum = eh.u16(phnumOff);
    const shentsize = eh.u16(shentOff);
    let shnum = eh.u16(shnumOff);
    let shstrndx = eh.u16(shstrOff);
    const shdrSize = is64 ? 64 : 40;
    const phdrSize = is64 ? 56 : 32;

    // Extended numbering: section 0 holds the real counts when the header fields overflow.
    let first: StructView | undefined;
    if (shoff !== 0) {
      if (shentsize < shdrSize) throw new DumpError('BAD_SIZE', `e_shentsize ${shentsize} is smaller than a section header (${shdrSize})`, { offset: shentOff, length: 2 });
      first = await readStruct(source, shoff, shdrSize, 'section header 0');
      if (shnum === 0) shnum = is64 ? first.u64n(32) : first.u32(20);
      if (shstrndx === 0xffff) shstrndx = first.u32(is64 ? 40 : 24);
      if (phnum === 0xffff) phnum = first.u32(is64 ? 44 : 28);
    } else shnum = 0;
    if (shnum > ELF_LIMITS.maxSections) throw new DumpError('COUNT_TOO_LARGE', `${shnum} section headers exceed the limit of ${ELF_LIMITS.maxSections}`, { offset: shnumOff, length: 2 });
    if (phnum > ELF_LIMITS.maxSegments) throw new DumpError('COUNT_TOO_LARGE', `${phnum} program headers exceed the limit of ${ELF_LIMITS.maxSegments}`, { offset: phnumOff, length: 2 });

    const segments: ElfSegment[] = [];
    if (phnum > 0 && phoff !== 0) {
      if (phentsize < phdrSize) throw new DumpError('BAD_SIZE', `e_phentsize ${phentsize} is smaller than a program header (${phdrSize})`, { offset: phentOff, length: 2 });
      const all = await readStruct(source, phoff, phnum * phentsize, 'program header table');
      for (let i = 0; i < phnum; i++) {
        const p = all.sub(i * phentsize, phdrSize, `program header ${i}`);
        segments.push(
          is64
            ? { type: p.u32(0), flags: p.u32(4), offset: p.u64n(8), vaddr: p.u64(16), fileSize: p.u64n(32), memSize: p.u64(40) }
            : { type: p.u32(0), flags: p.u32(24), offset: p.u32(4), vaddr: BigInt(p.u32(8)), fileSize: p.u32(16), memSize: BigInt(p.u32(20)) },
        );
      }
    }

    const sections: ElfSection[] = [];
    if (shnum > 0) {
      const all = await readStruct(source, shoff, shnum * shentsize, 'section header table');
      for (let i = 0; i < shnum; i++) {
        const s = all.sub(i * shentsize, shdrSize, `section header ${i}`);
        sections.push(
          is64
            ? { index: i, name: '', type: s.u32(4), flags: s.u64(8), addr: s.u64(16), offset: s.u64n(24), size: s.u64n(32), link: s.u32(40), info: s.u32(44), entsize: s.u64n(56), nameOff: s.u32(0) } as ElfSection & { nameOff: number }
            : { index: i, name: '', type: s.u32(4), flags: BigInt(s.u32(8)), addr: BigInt(s.u32(12)), offset: s.u32(16), size: s.u32(20), link: s.u32(24), info: s.u32(28), entsize: s.u32(36), nameOff: s.u32(0) } as ElfSection & { nameOff: number },
        );
      }
      const strtab = sections[shstrndx];
      if (shstrndx !== 0 && strtab && strtab.type !== SHT_NOBITS) {
        const names = await readSectionBytes(source, strtab, 'section name table (.shstrtab)');
        for (const s of sections as (ElfSection & { nameOff: number })[]) {
          s.name = cString(names, s.nameOff);
          delete (s as { nameOff?: number }).nameOff;
        }
      }
    }
    return new ElfFile(source, is64, type, machine, entry, sections, segments);
  }

  /** First section with this name. */
  section(name: string): ElfSection | undefined {
    return this.byName.get(name);
  }

  /** Contents of a section (decompressed when SHF_COMPRESSED; empty for SHT_NOBITS). Cached. */
  sectionData(s: ElfSection): Promise<Uint8Array> {
    let p = this.cache.get(s.index);
    if (!p) {
      p = this.loadSection(s);
      this.cache.set(s.index, p);
    }
    return p;
  }

  /** Contents of the named section, or undefined when absent or without bytes in this file. */
  async sectionByName(name: string): Promise<Uint8Array | undefined> {
    const s = this.section(name);
    if (!s || s.type === SHT_NOBITS) return undefined;
    return this.sectionData(s);
  }

  /** p_vaddr - p_offset of the first PT_LOAD: the link-time address of the file's first byte (0 for PIE and shared objects), i.e. what the module base corresponds to. */
  firstLoadVaddr(): bigint | undefined {
    const load = this.segments.find((p) => p.type === PT_LOAD);
    return load ? load.vaddr - BigInt(load.offset) : undefined;
  }

  /** The GNU build id, from a SHT_NOTE section or else a PT_NOTE segment. */
  async buildId(): Promise<Uint8Array | undefined> {
    const places: { offset: number; size: number }[] = [
      ...this.sections.filter((s) => s.type === SHT_NOTE),
      ...this.segments.filter((p) => p.type === PT_NOTE).map((p) => ({ offset: p.offset, size: p.fileSize })),
    ];
    for (const { offset, size } of places) {
      if (size <= 0 || size > ELF_MAX_NOTE_BYTES || offset + size > this.source.size) continue;
      const found = findBuildIdNote(await this.source.read(offset, size));
      if (found) return found;
    }
    return undefined;
  }

  private async loadSection(s: ElfSection): Promise<Uint8Array> {
    if (s.type === SHT_NOBITS) return new Uint8Array(0);
    const what = `section ${s.name || s.index}`;
    const raw = await readSectionBytes(this.source, s, what);
    if ((s.flags & BigInt(SHF_COMPRESSED)) === 0n) return raw;
    const ch = new StructView(raw, s.offset, `Elf_Chdr of ${what}`);
    const chType = ch.u32(0);
    const hdr = this.is64 ? 24 : 12;
    const size = this.is64 ? ch.u64n(8) : ch.u32(4);
    if (chType !== ELFCOMPRESS_ZLIB) throw new DumpError('UNSUPPORTED', `${what}: compression type ${chType} (only ELFCOMPRESS_ZLIB)`, { offset: s.offset, length: 4 });
    // zlib cannot expand more than ~1032:1, so a larger claim is a lie: refuse before allocating.
    if (size > ELF_LIMITS.maxSectionBytes || size > (s.size - hdr) * 1032 + 1024) throw new DumpError('COUNT_TOO_LARGE', `${what}: ${size} decompressed bytes exceed ${ELF_LIMITS.maxSectionBytes} or what ${s.size - hdr} zlib bytes can hold`, { offset: s.offset, length: hdr });
    return inflate(raw.subarray(hdr), size, what, { offset: s.offset + hdr, length: s.size - hdr });
  }
}

async function readSectionBytes(source: ByteSource, s: ElfSection, what: string): Promise<Uint8Array> {
  if (s.size > ELF_LIMITS.maxSectionBytes) throw new DumpError('COUNT_TOO_LARGE', `${what}: ${s.size} bytes exceed ${ELF_LIMITS.maxSectionBytes}`, { offset: s.offset, length: s.size });
  if (s.offset + s.size > source.size) throw new DumpError('TRUNCATED', `${what} (${s.size} bytes at 0x${s.offset.toString(16)}) runs past the end of ${source.name}`, { offset: s.offset, length: s.size });
  return new Uint8Array(await source.read(s.offset, s.size)); // a copy (Buffer.slice would be a view)
}

/** zlib data → exactly `size` bytes, through the platform's DecompressionStream (Node ≥ 18, browsers). */
async function inflate(data: Uint8Array, size: number, what: string, range: { offset: number; length: number }): Promise<Uint8Array> {
  // Chunks are kept until the end, so memory follows what the data really expands to, not the claim.
  const chunks: Uint8Array[] = [];
  let filled = 0;
  const stream = new Blob([data as Uint8Array<ArrayBuffer>]).stream().pipeThrough(new DecompressionStream('deflate'));
  const reader = stream.getReader();
  try {
    for (;;) {
      let chunk: ReadableStreamReadResult<Uint8Array>;
      try {
        chunk = await reader.read();
      } catch (e) {
        // The stream fails only for bad compressed data (Node: Error with a Z_* code, browsers: TypeError).
        throw new DumpError('BAD_SIZE', `${what}: zlib data is corrupt (${(e as Error).message})`, range);
      }
      if (chunk.done) break;
      filled += chunk.value.length;
      if (filled > size) throw new DumpError('BAD_SIZE', `${what}: decompresses to more than the ${size} bytes its Elf_Chdr says`, range);
      chunks.push(chunk.value);
    }
  } finally {
    reader.releaseLock();
  }
  if (filled !== size) throw new DumpError('BAD_SIZE', `${what}: decompresses to ${filled} bytes, Elf_Chdr says ${size}`, range);
  const out = new Uint8Array(size);
  let at = 0;
  for (const c of chunks) {
    out.set(c, at);
    at += c.length;
  }
  return out;
}

const utf8 = new TextDecoder('utf-8');

/** NUL-terminated string at `off` in a string table ('' when out of range). */
export function cString(table: Uint8Array, off: number): string {
  if (off < 0 || off >= table.length) return '';
  let end = table.indexOf(0, off);
  if (end < 0) end = table.length;
  return utf8.decode(table.subarray(off, end));
}
