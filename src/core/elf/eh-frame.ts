/**
 * Call frame information: CIEs and FDEs of `.eh_frame` (GCC/LSB layout, with `.eh_frame_hdr`'s
 * binary-search table when present) and of `.debug_frame` (DWARF 2–5). Finds the FDE covering an
 * address; cfi-rules.ts runs its instructions.
 */
import { DumpError } from '../errors.js';
import { DwarfReader } from './dwarf-reader.js';
import type { ElfFile } from './elf-file.js';

/** FDEs indexed at most when a section has no usable `.eh_frame_hdr` table. */
export const CFI_MAX_ENTRIES = 2_000_000;

// DW_EH_PE_* pointer encodings (LSB 3.0, "DWARF Exception Header Encoding").
export const DW_EH_PE_omit = 0xff;
const DW_EH_PE_absptr = 0x00;
const DW_EH_PE_uleb128 = 0x01;
const DW_EH_PE_udata2 = 0x02;
const DW_EH_PE_udata4 = 0x03;
const DW_EH_PE_udata8 = 0x04;
const DW_EH_PE_sleb128 = 0x09;
const DW_EH_PE_sdata2 = 0x0a;
const DW_EH_PE_sdata4 = 0x0b;
const DW_EH_PE_sdata8 = 0x0c;
const DW_EH_PE_pcrel = 0x10;
const DW_EH_PE_textrel = 0x20;
const DW_EH_PE_datarel = 0x30;
const DW_EH_PE_funcrel = 0x40;
const DW_EH_PE_aligned = 0x50;
const DW_EH_PE_indirect = 0x80;

export type CfiKind = 'eh_frame' | 'debug_frame';

export interface Cie {
  /** Offset of the CIE's length field in its section. */
  offset: number;
  version: number;
  augmentation: string;
  addressSize: number;
  codeAlign: bigint;
  dataAlign: bigint;
  raRegister: number;
  /** DW_EH_PE_* of FDE addresses ('R'), absptr by default. */
  fdeEncoding: number;
  lsdaEncoding: number;
  /** 'S': the frames it covers are signal trampolines. */
  signalFrame: boolean;
  hasAugmentationData: boolean;
  initialInstructions: Uint8Array;
  /** File offset of initialInstructions[0]. */
  instructionsOffset: number;
}

export interface Fde {
  offset: number;
  cie: Cie;
  pcBegin: bigint;
  pcEnd: bigint;
  instructions: Uint8Array;
  instructionsOffset: number;
}

/** Bases for DW_EH_PE_* applications: where the bytes being decoded live. */
export interface PointerBases {
  /** Address of the byte being decoded is `sectionAddr + position` (pcrel). */
  sectionAddr: bigint;
  /** datarel base: `.eh_frame_hdr`'s address in the header, the GOT (`.got.plt`/`.got`) in `.eh_frame` on i386. */
  dataRel?: bigint;
  textRel?: bigint;
  funcRel?: bigint;
}

/**
 * Reads one DW_EH_PE_* encoded pointer. `indirect` pointers are returned as the address of the
 * pointer (dumpkit only needs them to step over personality routines).
 */
export function readEncodedPointer(r: DwarfReader, encoding: number, addressSize: number, bases: PointerBases): bigint | undefined {
  if (encoding === DW_EH_PE_omit) return undefined;
  const at = r.pos;
  const mask = addressSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  const app = encoding & 0x70;
  if (app === DW_EH_PE_aligned) {
    const misalign = (Number((bases.sectionAddr + BigInt(r.pos)) % BigInt(addressSize)) + addressSize) % addressSize;
    if (misalign) r.skip(addressSize - misalign);
  }
  let v: bigint;
  switch (encoding & 0x0f) {
    case DW_EH_PE_absptr:
      v = r.uN(addressSize);
      break;
    case DW_EH_PE_uleb128:
      v = r.uleb();
      break;
    case DW_EH_PE_udata2:
      v = BigInt(r.u16());
      break;
    case DW_EH_PE_udata4:
      v = BigInt(r.u32());
      break;
    case DW_EH_PE_udata8:
      v = r.u64();
      break;
    case DW_EH_PE_sleb128:
      v = r.sleb();
      break;
    case DW_EH_PE_sdata2:
      v = BigInt(r.i16());
      break;
    case DW_EH_PE_sdata4:
      v = BigInt(r.i32());
      break;
    case DW_EH_PE_sdata8:
      v = r.i64();
      break;
    default:
      throw new DumpError('UNSUPPORTED', `${r.what}: pointer encoding 0x${encoding.toString(16)} has an unknown format`, { offset: r.fileOffset + at, length: 1 });
  }
  let base = 0n;
  switch (app) {
    case 0:
    case DW_EH_PE_aligned:
      break;
    case DW_EH_PE_pcrel:
      base = bases.sectionAddr + BigInt(at);
      break;
    case DW_EH_PE_datarel:
      if (bases.dataRel === undefined) throw new DumpError('UNSUPPORTED', `${r.what}: DW_EH_PE_datarel pointer without a data base`, { offset: r.fileOffset + at, length: 1 });
      base = bases.dataRel;
      break;
    case DW_EH_PE_textrel:
      if (bases.textRel === undefined) throw new DumpError('UNSUPPORTED', `${r.what}: DW_EH_PE_textrel pointer without a text base`, { offset: r.fileOffset + at, length: 1 });
      base = bases.textRel;
      break;
    case DW_EH_PE_funcrel:
      base = bases.funcRel ?? 0n;
      break;
    default:
      throw new DumpError('UNSUPPORTED', `${r.what}: pointer encoding 0x${encoding.toString(16)} has an unknown application`, { offset: r.fileOffset + at, length: 1 });
  }
  void DW_EH_PE_indirect; // indirect: the value is the pointer's address; not dereferenced here
  return (v + base) & mask;
}

/** Size in bytes of a pointer encoding's value format, for pc_range (which has no application). */
function readRange(r: DwarfReader, encoding: number, addressSize: number): bigint {
  return readEncodedPointer(r, encoding & 0x0f, addressSize, { sectionAddr: 0n }) ?? 0n;
}

interface IndexEntry {
  pc: bigint;
  fdeOffset: number;
}

/** The CFI of one section, with an address index built lazily. */
export class CfiSection {
  private readonly cies = new Map<number, Cie>();
  private index: IndexEntry[] | undefined;
  private hdrTable: { pcs: BigUint64Array; fdes: BigUint64Array } | undefined;
  /** Oddities found while indexing (skipped entries), as DumpError messages. */
  readonly problems: string[] = [];

  constructor(
    readonly kind: CfiKind,
    readonly data: Uint8Array,
    /** sh_addr of the section (eh_frame pcrel base). */
    readonly sectionAddr: bigint,
    /** File offset of the section, for messages. */
    readonly fileOffset: number,
    readonly addressSize: number,
    readonly bases: Omit<PointerBases, 'sectionAddr'> = {},
    /** `.eh_frame_hdr` contents and address, when present (eh_frame only). */
    private readonly hdr?: { data: Uint8Array; addr: bigint; fileOffset: number },
  ) {}

  /** `.eh_frame` (+ `.eh_frame_hdr`) or `.debug_frame` of an ELF file; undefined when absent or empty. */
  static async fromElf(elf: ElfFile, kind: CfiKind): Promise<CfiSection | undefined> {
    const sec = elf.section(kind === 'eh_frame' ? '.eh_frame' : '.debug_frame');
    if (!sec) return undefined;
    const data = await elf.sectionData(sec);
    if (data.length === 0) return undefined;
    const addressSize = elf.is64 ? 8 : 4;
    const got = elf.section('.got.plt') ?? elf.section('.got');
    const text = elf.section('.text');
    let hdr: { data: Uint8Array; addr: bigint; fileOffset: number } | undefined;
    if (kind === 'eh_frame') {
      const h = elf.section('.eh_frame_hdr');
      if (h) {
        const hd = await elf.sectionData(h);
        if (hd.length > 0) hdr = { data: hd, addr: h.addr, fileOffset: h.offset };
      }
    }
    return new CfiSection(kind, data, sec.addr, sec.offset, addressSize, { dataRel: got?.addr, textRel: text?.addr }, hdr);
  }

  /** The FDE whose range holds `pc` (link-time address), or undefined. Throws DumpError for a corrupt entry on the way. */
  findFde(pc: bigint): Fde | undefined {
    const fromHdr = this.hdr ? this.searchHdr(pc) : undefined;
    if (fromHdr !== undefined) {
      if (fromHdr === null) return undefined;
      const fde = this.parseEntry(fromHdr);
      return fde && 'pcBegin' in fde && fde.pcBegin <= pc && pc < fde.pcEnd ? fde : undefined;
    }
    const idx = this.buildIndex();
    let lo = 0;
    let hi = idx.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (idx[mid]!.pc <= pc) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    // Ranges may nest or overlap in hostile files; check a few candidates below.
    for (let i = found; i >= 0 && i > found - 4; i--) {
      const fde = this.parseEntry(idx[i]!.fdeOffset);
      if (fde && 'pcBegin' in fde && fde.pcBegin <= pc && pc < fde.pcEnd) return fde;
    }
    return undefined;
  }

  /** Every FDE in section order (bounded by CFI_MAX_ENTRIES); corrupt entries end the walk with a problem noted. */
  *fdes(): Generator<Fde> {
    let off = 0;
    for (let n = 0; off < this.data.length && n < CFI_MAX_ENTRIES; n++) {
      let next: number;
      let entry: Cie | Fde | undefined;
      try {
        next = this.entryEnd(off);
        if (next < 0) return;
        entry = this.parseEntry(off);
      } catch (e) {
        if (e instanceof DumpError) {
          this.problems.push(e.message);
          return;
        }
        throw e;
      }
      if (entry && 'pcBegin' in entry) yield entry;
      off = next;
    }
  }

  /** End offset of the entry at `off`; -1 for the zero terminator. */
  private entryEnd(off: number): number {
    const r = this.reader(off, `${this.kind} entry at 0x${off.toString(16)}`);
    const len32 = r.u32();
    if (len32 === 0) return this.kind === 'eh_frame' ? -1 : off + 4;
    const len = len32 === 0xffffffff ? r.offset(true) : len32;
    const end = r.pos + len;
    if (end > this.data.length) throw new DumpError('TRUNCATED', `${this.kind} entry at 0x${off.toString(16)}: length ${len} runs past the section's end`, { offset: this.fileOffset + off, length: len });
    return end;
  }

  private reader(off: number, what: string, end = this.data.length): DwarfReader {
    return new DwarfReader(this.data, this.fileOffset, what, off, end);
  }

  /** Parses the CIE or FDE at `off` (undefined for a zero-length entry). */
  parseEntry(off: number): Cie | Fde | undefined {
    const what = `${this.kind} entry at 0x${off.toString(16)}`;
    const r = this.reader(off, what);
    const len32 = r.u32();
    if (len32 === 0) return undefined;
    const dwarf64 = len32 === 0xffffffff;
    const len = dwarf64 ? r.offset(true) : len32;
    const end = r.pos + len;
    if (end > this.data.length) throw new DumpError('TRUNCATED', `${what}: length ${len} runs past the section's end`, { offset: this.fileOffset + off, length: len });
    const body = this.reader(r.pos, what, end);
    const idPos = body.pos;
    const id = dwarf64 ? body.u64() : BigInt(body.u32());
    const isCie = this.kind === 'eh_frame' ? id === 0n : id === (dwarf64 ? 0xffffffffffffffffn : 0xffffffffn);
    if (isCie) return this.cieAt(off);
    const cieOff = this.kind === 'eh_frame' ? idPos - Number(id) : Number(id);
    if (cieOff < 0 || cieOff >= this.data.length || cieOff === off) {
      throw new DumpError('OUT_OF_BOUNDS', `${what}: CIE pointer 0x${id.toString(16)} points outside the section`, { offset: this.fileOffset + idPos, length: dwarf64 ? 8 : 4 });
    }
    const cie = this.cieAt(cieOff);
    const bases: PointerBases = { ...this.bases, sectionAddr: this.sectionAddr };
    const pcBegin = readEncodedPointer(body, cie.fdeEncoding, cie.addressSize, bases) ?? 0n;
    const range = readRange(body, cie.fdeEncoding, cie.addressSize);
    if (cie.hasAugmentationData) body.skip(body.ulebNum());
    const instructionsOffset = this.fileOffset + body.pos;
    return { offset: off, cie, pcBegin, pcEnd: pcBegin + range, instructions: body.bytesOf(body.remaining), instructionsOffset };
  }

  private cieAt(off: number): Cie {
    const cached = this.cies.get(off);
    if (cached) return cached;
    if (this.cies.size > CFI_MAX_ENTRIES) this.cies.clear();
    const what = `${this.kind} CIE at 0x${off.toString(16)}`;
    const r = this.reader(off, what);
    const len32 = r.u32();
    const dwarf64 = len32 === 0xffffffff;
    const len = dwarf64 ? r.offset(true) : len32;
    const end = r.pos + len;
    if (len32 === 0 || end > this.data.length) throw new DumpError('TRUNCATED', `${what}: length ${len} is zero or runs past the section's end`, { offset: this.fileOffset + off, length: 4 });
    const b = this.reader(r.pos, what, end);
    const id = dwarf64 ? b.u64() : BigInt(b.u32());
    const expected = this.kind === 'eh_frame' ? 0n : dwarf64 ? 0xffffffffffffffffn : 0xffffffffn;
    if (id !== expected) throw new DumpError('BAD_SIGNATURE', `${what}: an FDE's CIE pointer leads to an entry that is not a CIE`, { offset: this.fileOffset + off, length: 4 });
    const versionAt = b.pos;
    const version = b.u8();
    if (version !== 1 && version !== 3 && version !== 4) throw new DumpError('BAD_VERSION', `${what}: CIE version ${version} (1, 3 or 4 expected)`, { offset: this.fileOffset + versionAt, length: 1 });
    const augmentation = b.cstr();
    let addressSize = this.addressSize;
    if (version === 4) {
      addressSize = b.u8();
      const segmentSize = b.u8();
      if ((addressSize !== 4 && addressSize !== 8) || segmentSize !== 0) {
        throw new DumpError('UNSUPPORTED', `${what}: address size ${addressSize}, segment size ${segmentSize}`, { offset: this.fileOffset + versionAt, length: 3 });
      }
    }
    let fdeEncoding = this.kind === 'eh_frame' ? DW_EH_PE_absptr : DW_EH_PE_absptr;
    let lsdaEncoding = DW_EH_PE_omit;
    let signalFrame = false;
    let hasAugmentationData = false;
    if (augmentation.startsWith('eh')) b.skip(addressSize); // very old GCC: eh_ptr
    const codeAlign = b.uleb();
    const dataAlign = b.sleb();
    const raRegister = version === 1 ? b.u8() : b.ulebNum();
    if (augmentation.startsWith('z')) {
      hasAugmentationData = true;
      const augLen = b.ulebNum();
      const augEnd = b.pos + augLen;
      b.need(augLen);
      const a = this.reader(b.pos, what, augEnd);
      const bases: PointerBases = { ...this.bases, sectionAddr: this.sectionAddr };
      for (const ch of augmentation.slice(1)) {
        if (ch === 'R') fdeEncoding = a.u8();
        else if (ch === 'L') lsdaEncoding = a.u8();
        else if (ch === 'P') readEncodedPointer(a, a.u8() & ~DW_EH_PE_indirect, addressSize, bases);
        else if (ch === 'S') signalFrame = true;
        else if (ch === 'B' || ch === 'G') continue; // AArch64 BTI / MTE markers: no data
        else break; // unknown: the augmentation length lets us skip the rest
      }
      b.pos = augEnd;
    } else if (augmentation !== '' && !augmentation.startsWith('eh')) {
      throw new DumpError('UNSUPPORTED', `${what}: augmentation "${augmentation}" without 'z' cannot be skipped`, { offset: this.fileOffset + versionAt + 1, length: augmentation.length });
    }
    const cie: Cie = {
      offset: off,
      version,
      augmentation,
      addressSize,
      codeAlign,
      dataAlign,
      raRegister,
      fdeEncoding,
      lsdaEncoding,
      signalFrame,
      hasAugmentationData,
      initialInstructions: b.bytesOf(b.remaining),
      instructionsOffset: 0,
    };
    cie.instructionsOffset = this.fileOffset + end - cie.initialInstructions.length;
    this.cies.set(off, cie);
    return cie;
  }

  /**
   * Binary search of `.eh_frame_hdr`'s table: the FDE offset (in .eh_frame) of the last entry at or
   * below pc; null when pc is below every entry; undefined when the header has no usable table.
   */
  private searchHdr(pc: bigint): number | null | undefined {
    const h = this.hdr!;
    const r = new DwarfReader(h.data, h.fileOffset, '.eh_frame_hdr');
    if (h.data.length < 4 || r.u8() !== 1) return undefined;
    const ehFramePtrEnc = r.u8();
    const countEnc = r.u8();
    const tableEnc = r.u8();
    const bases: PointerBases = { sectionAddr: h.addr, dataRel: h.addr };
    readEncodedPointer(r, ehFramePtrEnc, this.addressSize, bases);
    if (countEnc === DW_EH_PE_omit || tableEnc === DW_EH_PE_omit) return undefined;
    const count = readEncodedPointer(r, countEnc, this.addressSize, bases) ?? 0n;
    // Binary search needs fixed-size entries: the usual datarel|sdata4 (or udata4/8, sdata8).
    const fmt = tableEnc & 0x0f;
    const entrySize = fmt === DW_EH_PE_udata4 || fmt === DW_EH_PE_sdata4 ? 4 : fmt === DW_EH_PE_udata8 || fmt === DW_EH_PE_sdata8 ? 8 : 0;
    if (entrySize === 0) return undefined;
    const tableStart = r.pos;
    if (count > BigInt(CFI_MAX_ENTRIES) || BigInt(tableStart) + count * BigInt(2 * entrySize) > BigInt(h.data.length)) {
      throw new DumpError('COUNT_TOO_LARGE', `.eh_frame_hdr: ${count} table entries do not fit the section (${h.data.length} bytes)`, { offset: h.fileOffset + 4, length: tableStart - 4 });
    }
    const n = Number(count);
    // Decoded once into typed arrays: every later lookup is a plain binary search.
    if (!this.hdrTable) {
      const e = new DwarfReader(h.data, h.fileOffset, '.eh_frame_hdr table', tableStart);
      const pcs = new BigUint64Array(n);
      const fdes = new BigUint64Array(n);
      for (let i = 0; i < n; i++) {
        pcs[i] = readEncodedPointer(e, tableEnc, this.addressSize, bases)!;
        fdes[i] = readEncodedPointer(e, tableEnc, this.addressSize, bases)!;
      }
      this.hdrTable = { pcs, fdes };
    }
    const { pcs, fdes } = this.hdrTable;
    let lo = 0;
    let hi = n - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (pcs[mid]! <= pc) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return null;
    const fdeAddr = fdes[found]!;
    const off = fdeAddr - this.sectionAddr;
    if (off < 0n || off >= BigInt(this.data.length)) {
      throw new DumpError('OUT_OF_BOUNDS', `.eh_frame_hdr entry ${found}: FDE address 0x${fdeAddr.toString(16)} is outside .eh_frame`, { offset: h.fileOffset + tableStart + found * 2 * entrySize, length: 2 * entrySize });
    }
    return Number(off);
  }

  private buildIndex(): IndexEntry[] {
    if (this.index) return this.index;
    const idx: IndexEntry[] = [];
    for (const fde of this.fdes()) if (fde.pcEnd > fde.pcBegin) idx.push({ pc: fde.pcBegin, fdeOffset: fde.offset });
    idx.sort((a, b) => (a.pc < b.pc ? -1 : a.pc > b.pc ? 1 : 0));
    this.index = idx;
    return idx;
  }
}
