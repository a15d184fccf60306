/**
 * A PE image as it lies in a dump's memory (mapped: RVAs are offsets from the load address):
 * DOS header, NT headers (COFF file header, optional header PE32/PE32+ with its data
 * directories) and the section table, read through a MemoryReader with caps.
 * Layout: Microsoft's PE/COFF specification ("PE Format").
 */
import { StructView } from '../bytes/struct-view.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import type { MemoryReader } from '../unwind/types.js';
import { PE_LIMITS } from './limits.js';

/** IMAGE_DIRECTORY_ENTRY_* indices. */
export const IMAGE_DIRECTORY_ENTRY = {
  EXPORT: 0,
  IMPORT: 1,
  RESOURCE: 2,
  EXCEPTION: 3,
  SECURITY: 4,
  BASERELOC: 5,
  DEBUG: 6,
} as const;

export const IMAGE_SCN_MEM_EXECUTE = 0x20000000;
export const IMAGE_SCN_CNT_CODE = 0x20;

export interface PeSection {
  name: string;
  virtualSize: number;
  virtualAddress: number;
  sizeOfRawData: number;
  pointerToRawData: number;
  characteristics: number;
}

export interface PeDataDirectory {
  virtualAddress: number;
  size: number;
}

export interface PeHeaders {
  /** e_lfanew: offset of the NT headers. */
  ntHeadersOffset: number;
  machine: number;
  numberOfSections: number;
  timeDateStamp: number;
  characteristics: number;
  /** 0x10b (PE32) or 0x20b (PE32+). */
  magic: number;
  is64: boolean;
  addressOfEntryPoint: number;
  imageBase: bigint;
  sectionAlignment: number;
  fileAlignment: number;
  sizeOfImage: number;
  sizeOfHeaders: number;
  checkSum: number;
  subsystem: number;
  dataDirectories: PeDataDirectory[];
  sections: PeSection[];
}

/** Parses the headers of an image from its first bytes (`bytes` holds at least the header page when available). */
export function parsePeHeaders(bytes: Uint8Array, where = 'PE image'): PeHeaders {
  const v = new StructView(bytes, 0, `${where} headers`);
  if (v.u16(0) !== 0x5a4d) throw new DumpError('BAD_SIGNATURE', `${where}: no MZ signature (found ${hex(v.u16(0))})`, { offset: 0, length: 2 });
  const nt = v.u32(0x3c);
  if (nt < 0x40 || nt > PE_LIMITS.maxHeaderBytes - 0x18) {
    throw new DumpError('OUT_OF_BOUNDS', `${where}: e_lfanew ${hex(nt)} is outside the header page`, { offset: 0x3c, length: 4 });
  }
  if (v.u32(nt) !== 0x00004550) throw new DumpError('BAD_SIGNATURE', `${where}: no PE signature at e_lfanew ${hex(nt)}`, { offset: nt, length: 4 });
  const coff = nt + 4;
  const numberOfSections = v.u16(coff + 2);
  const sizeOfOptionalHeader = v.u16(coff + 16);
  if (numberOfSections > PE_LIMITS.maxSections) {
    throw new DumpError('COUNT_TOO_LARGE', `${where}: ${numberOfSections} sections (limit ${PE_LIMITS.maxSections})`, { offset: coff + 2, length: 2 });
  }
  const opt = coff + 20;
  const magic = v.u16(opt);
  if (magic !== 0x10b && magic !== 0x20b) throw new DumpError('BAD_SIGNATURE', `${where}: optional header magic ${hex(magic)} is neither PE32 nor PE32+`, { offset: opt, length: 2 });
  const is64 = magic === 0x20b;
  // PE32 has BaseOfData at +24 and a 32-bit ImageBase at +28; PE32+ a 64-bit ImageBase at +24.
  const imageBase = is64 ? v.u64(opt + 24) : BigInt(v.u32(opt + 28));
  const numberOfRvaAndSizes = v.u32(opt + (is64 ? 108 : 92));
  const dirStart = opt + (is64 ? 112 : 96);
  const dirCount = Math.min(numberOfRvaAndSizes, 16, Math.max(0, Math.floor((opt + sizeOfOptionalHeader - dirStart) / 8)));
  const dataDirectories: PeDataDirectory[] = [];
  for (let i = 0; i < dirCount; i++) dataDirectories.push({ virtualAddress: v.u32(dirStart + i * 8), size: v.u32(dirStart + i * 8 + 4) });
  const sizeOfImage = v.u32(opt + 56);
  if (sizeOfImage > PE_LIMITS.maxImageSize) {
    throw new DumpError('COUNT_TOO_LARGE', `${where}: SizeOfImage ${hex(sizeOfImage)} exceeds ${hex(PE_LIMITS.maxImageSize)}`, { offset: opt + 56, length: 4 });
  }
  const sections: PeSection[] = [];
  const secStart = opt + sizeOfOptionalHeader;
  for (let i = 0; i < numberOfSections; i++) {
    const s = v.sub(secStart + i * 40, 40, `${where} IMAGE_SECTION_HEADER[${i}]`);
    sections.push({
      name: s.ascii(0, 8),
      virtualSize: s.u32(8),
      virtualAddress: s.u32(12),
      sizeOfRawData: s.u32(16),
      pointerToRawData: s.u32(20),
      characteristics: s.u32(36),
    });
  }
  return {
    ntHeadersOffset: nt,
    machine: v.u16(coff),
    numberOfSections,
    timeDateStamp: v.u32(coff + 4),
    characteristics: v.u16(coff + 18),
    magic,
    is64,
    addressOfEntryPoint: v.u32(opt + 16),
    imageBase,
    sectionAlignment: v.u32(opt + 32),
    fileAlignment: v.u32(opt + 36),
    sizeOfImage,
    sizeOfHeaders: v.u32(opt + 60),
    checkSum: v.u32(opt + 64),
    subsystem: v.u16(opt + 68),
    dataDirectories,
    sections,
  };
}

/** A mapped image in some address space: headers plus RVA-bounded reads. */
export class PeImage {
  private constructor(
    readonly memory: MemoryReader,
    readonly base: bigint,
    readonly headers: PeHeaders,
  ) {}

  /**
   * Reads the headers at `base`. Undefined when the header page is not in memory; DumpError when
   * it is there but is not a well-formed PE header.
   */
  static async open(memory: MemoryReader, base: bigint, what = `PE image at ${hex(base)}`): Promise<PeImage | undefined> {
    const page = await memory.read(base, PE_LIMITS.maxHeaderBytes);
    if (!page) return undefined;
    return new PeImage(memory, base, parsePeHeaders(page, what));
  }

  /** Builds an image over bytes already read (tests, files). */
  static fromHeaders(memory: MemoryReader, base: bigint, headers: PeHeaders): PeImage {
    return new PeImage(memory, base, headers);
  }

  get sizeOfImage(): number {
    return this.headers.sizeOfImage;
  }

  directory(index: number): PeDataDirectory | undefined {
    const d = this.headers.dataDirectories[index];
    return d && d.virtualAddress !== 0 && d.size !== 0 ? d : undefined;
  }

  /** The section holding `rva`, if any. */
  sectionAt(rva: number): PeSection | undefined {
    return this.headers.sections.find((s) => rva >= s.virtualAddress && rva < s.virtualAddress + Math.max(s.virtualSize, s.sizeOfRawData));
  }

  isExecutable(rva: number): boolean {
    const s = this.sectionAt(rva);
    return s !== undefined && (s.characteristics & (IMAGE_SCN_MEM_EXECUTE | IMAGE_SCN_CNT_CODE)) !== 0;
  }

  /**
   * `length` bytes at `rva`; undefined when any is not in memory. A range outside SizeOfImage or
   * over the directory cap is a DumpError (the image's own fields point there).
   */
  async readRva(rva: number, length: number, what: string): Promise<Uint8Array | undefined> {
    if (!Number.isSafeInteger(rva) || rva < 0 || length < 0 || rva + length > this.headers.sizeOfImage) {
      throw new DumpError('OUT_OF_BOUNDS', `${what}: RVA ${hex(rva)}+${hex(length)} is outside the image (SizeOfImage ${hex(this.headers.sizeOfImage)}) at ${hex(this.base)}`);
    }
    if (length > PE_LIMITS.maxDirectoryBytes) {
      throw new DumpError('COUNT_TOO_LARGE', `${what}: ${length} bytes at RVA ${hex(rva)} exceed the ${PE_LIMITS.maxDirectoryBytes}-byte cap`);
    }
    return this.memory.read(this.base + BigInt(rva), length);
  }

  /** A NUL-terminated ASCII string at `rva` (at most `max` characters), read page by page. */
  async readCString(rva: number, what: string, max: number = PE_LIMITS.maxExportNameChars): Promise<string | undefined> {
    let out = '';
    let at = rva;
    while (out.length < max) {
      const n = Math.min(0x1000 - (at % 0x1000), max - out.length, this.headers.sizeOfImage - at);
      if (n <= 0) break;
      const b = await this.readRva(at, n, what);
      if (!b) return undefined;
      const nul = b.indexOf(0);
      const end = nul < 0 ? b.length : nul;
      for (let i = 0; i < end; i++) out += String.fromCharCode(b[i]!);
      if (nul >= 0) return out;
      at += n;
    }
    return out;
  }
}
