/**
 * Function symbols from `.symtab` and `.dynsym` (Elf32_Sym / Elf64_Sym), sorted by address, with
 * sizes, for address → function lookups. Names are kept as written (mangled C++ names stay mangled).
 */
import { StructView } from '../bytes/struct-view.js';
import { DumpError } from '../errors.js';
import { cString, SHT_DYNSYM, SHT_NOBITS, SHT_SYMTAB, type ElfFile, type ElfSection } from './elf-file.js';

/** Symbols read at most per table (libxul has ~1.5 M; a hostile count is rejected before reading). */
export const ELF_MAX_SYMBOLS = 4_000_000;

const STT_FUNC = 2;
const STT_GNU_IFUNC = 10;
const SHN_UNDEF = 0;
const SHN_ABS = 0xfff1;
const STB_LOCAL = 0;

export interface ElfSymbol {
  name: string;
  /** st_value: link-time address. */
  address: bigint;
  /** st_size (0 when the producer did not say). */
  size: bigint;
  /** True for STB_GLOBAL/STB_WEAK. */
  global: boolean;
  source: 'elf-symtab' | 'elf-dynsym';
}

/** Sorted function symbols of one ELF file, one per address. */
export class ElfSymbolTable {
  private constructor(readonly symbols: ElfSymbol[]) {}

  static empty(): ElfSymbolTable {
    return new ElfSymbolTable([]);
  }

  /** Reads `.symtab` (when it has bytes) and `.dynsym`; for two symbols at one address, the one from .symtab, global, sized, then shortest name wins. */
  static async read(elf: ElfFile): Promise<ElfSymbolTable> {
    const all: ElfSymbol[] = [];
    for (const type of [SHT_SYMTAB, SHT_DYNSYM]) {
      const sec = elf.sections.find((s) => s.type === type);
      if (!sec || sec.type === SHT_NOBITS) continue;
      all.push(...(await readTable(elf, sec, type === SHT_SYMTAB ? 'elf-symtab' : 'elf-dynsym')));
    }
    all.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : rank(a) - rank(b)));
    const unique: ElfSymbol[] = [];
    for (const s of all) if (unique.length === 0 || unique[unique.length - 1]!.address !== s.address) unique.push(s);
    return new ElfSymbolTable(unique);
  }

  /**
   * The function holding link-time address `address`: the last symbol at or below it, when the
   * address is inside its st_size, or (size 0) before the next symbol.
   */
  lookup(address: bigint): ElfSymbol | undefined {
    const syms = this.symbols;
    let lo = 0;
    let hi = syms.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (syms[mid]!.address <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    const s = syms[found];
    if (!s) return undefined;
    return s.size === 0n || address < s.address + s.size ? s : undefined;
  }
}

function rank(s: ElfSymbol): number {
  return (s.source === 'elf-symtab' ? 0 : 4) + (s.global ? 0 : 2) + (s.size > 0n ? 0 : 1);
}

async function readTable(elf: ElfFile, sec: ElfSection, source: ElfSymbol['source']): Promise<ElfSymbol[]> {
  const entSize = elf.is64 ? 24 : 16;
  const what = `${sec.name || 'symbol table'} (section ${sec.index})`;
  if (sec.entsize !== 0 && sec.entsize < entSize) throw new DumpError('BAD_SIZE', `${what}: sh_entsize ${sec.entsize} is smaller than a symbol (${entSize})`, { offset: sec.offset, length: sec.size });
  const stride = sec.entsize || entSize;
  const count = Math.floor(sec.size / stride);
  if (count > ELF_MAX_SYMBOLS) throw new DumpError('COUNT_TOO_LARGE', `${what}: ${count} symbols exceed the limit of ${ELF_MAX_SYMBOLS}`, { offset: sec.offset, length: sec.size });
  const strSec = elf.sections[sec.link];
  if (!strSec) throw new DumpError('OUT_OF_BOUNDS', `${what}: sh_link ${sec.link} names no section`, { offset: sec.offset, length: 0 });
  const strings = await elf.sectionData(strSec);
  const v = new StructView(await elf.sectionData(sec), sec.offset, what);
  const out: ElfSymbol[] = [];
  for (let i = 1; i < count; i++) {
    const o = i * stride;
    const info = v.u8(elf.is64 ? o + 4 : o + 12);
    const type = info & 0xf;
    if (type !== STT_FUNC && type !== STT_GNU_IFUNC) continue;
    const shndx = v.u16(elf.is64 ? o + 6 : o + 14);
    if (shndx === SHN_UNDEF || shndx === SHN_ABS) continue;
    const address = elf.is64 ? v.u64(o + 8) : BigInt(v.u32(o + 4));
    if (address === 0n) continue;
    const name = cString(strings, v.u32(o));
    if (!name) continue;
    const size = elf.is64 ? v.u64(o + 16) : BigInt(v.u32(o + 8));
    out.push({ name: stripVersion(name), address, size, global: info >> 4 !== STB_LOCAL, source });
  }
  return out;
}

/** `memcpy@@GLIBC_2.14` → `memcpy` (a version suffix appears in some .symtab entries). */
function stripVersion(name: string): string {
  const at = name.indexOf('@');
  return at > 0 ? name.slice(0, at) : name;
}
