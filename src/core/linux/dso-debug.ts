/**
 * The dynamic linker's debugger rendezvous (<link.h> `struct r_debug` and its `link_map` list),
 * read out of a stopped process for Breakpad's LinuxDsoDebug stream.
 *
 * The way there: auxv AT_PHDR/AT_PHNUM locate the main executable's program headers; PT_PHDR gives
 * the load bias (AT_PHDR − its p_vaddr); PT_DYNAMIC, moved by the bias, is the dynamic section;
 * its DT_DEBUG entry holds the address of `r_debug`, whose `r_map` starts the list of loaded
 * objects. Everything is read through `read`, so this runs on fake memory in tests.
 */
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { ELF_MAX_PHDRS } from '../elf/build-id.js';
import { AuxvType, findAuxv, readAuxv } from './auxv.js';

/** Entries walked at most in the link_map list (real processes have tens to a few hundred). */
export const LINK_MAP_MAX_ENTRIES = 4096;
/** Bytes of one object's file name read at most (PATH_MAX). */
export const DSO_NAME_MAX_BYTES = 4096;
/** Bytes of the dynamic section read at most (real ones are well under 1 KiB). */
export const DYNAMIC_SECTION_MAX_BYTES = 64 * 1024;

const PT_DYNAMIC = 2;
const PT_PHDR = 6;
const DT_NULL = 0n;
const DT_DEBUG = 21n;
const PAGE = 4096n;

/**
 * Reads `length` bytes of target memory at `address`: exactly `length` bytes, or a DumpError
 * ADDRESS_NOT_MAPPED when any of them cannot be read. Any other error (the process exited) is
 * not about the rendezvous and ends the reading.
 */
export type ReadTargetMemory = (address: bigint, length: number) => Uint8Array;

/** One `struct link_map` of the list. */
export interface LinkMapEntry {
  /** l_addr: the object's load bias (0 for a non-PIE main executable). */
  addr: bigint;
  /** l_name: the file name ("" for the main executable and usually the vDSO). */
  name: string;
  /** l_ld: the address of the object's dynamic section. */
  ld: bigint;
}

/** What LinuxDsoDebug records: `r_debug`, the link_map list, and the executable's dynamic section. */
export interface DsoDebug {
  /** r_version. */
  version: number;
  /** r_brk: where the dynamic linker calls the debugger hook. */
  brk: bigint;
  /** r_ldbase: the dynamic linker's load base. */
  ldbase: bigint;
  /** Address of the main executable's dynamic section (PT_DYNAMIC moved by the load bias). */
  dynamic: bigint;
  /** The dynamic section's bytes, entries up to and including DT_NULL. */
  dynamicSection: Uint8Array;
  linkMap: LinkMapEntry[];
}

/**
 * Reads the rendezvous of a stopped process. `auxv` is the /proc/PID/auxv content. Returns
 * undefined, with a diagnostic saying why, when there is none to read: a static executable (no
 * PT_DYNAMIC), no DT_DEBUG or DT_DEBUG still 0, or memory that cannot be read. A list that is cut
 * (a loop, more than LINK_MAP_MAX_ENTRIES, an unreadable entry) keeps the entries before the cut.
 */
export function readDsoDebug(read: ReadTargetMemory, auxv: Uint8Array, wordSize: 4 | 8, diagnostics: Diagnostics): DsoDebug | undefined {
  const skip = (why: string): undefined => {
    diagnostics.add(`LinuxDsoDebug not written: ${why}`);
    return undefined;
  };
  const words = new WordReader(read, wordSize);
  const entries = readAuxv(auxv, wordSize);
  const phdrAddress = findAuxv(entries, AuxvType.AT_PHDR);
  const phnum = findAuxv(entries, AuxvType.AT_PHNUM);
  const phent = findAuxv(entries, AuxvType.AT_PHENT) ?? BigInt(wordSize === 8 ? 56 : 32);
  if (phdrAddress === undefined || phnum === undefined) return skip('auxv has no AT_PHDR/AT_PHNUM');
  if (phnum === 0n || phnum > BigInt(ELF_MAX_PHDRS)) return skip(`AT_PHNUM is ${phnum}`);
  if (phent < BigInt(wordSize === 8 ? 56 : 32) || phent > 256n) return skip(`AT_PHENT is ${phent}`);

  const headers = words.tryRead(phdrAddress, Number(phnum * phent));
  if ('error' in headers) return skip(`program headers at 0x${phdrAddress.toString(16)}: ${headers.error}`);
  const programHeaders = Array.from({ length: Number(phnum) }, (_, i) => readProgramHeader(headers.bytes, i * Number(phent), wordSize));
  const self = programHeaders.find((h) => h.type === PT_PHDR);
  const dynamicHeader = programHeaders.find((h) => h.type === PT_DYNAMIC);
  if (!dynamicHeader) return skip('the executable has no PT_DYNAMIC (statically linked)');
  if (!self) return skip('the executable has no PT_PHDR, so its load bias is unknown');
  const bias = words.wrap(phdrAddress - self.vaddr);
  const dynamic = words.wrap(bias + dynamicHeader.vaddr);

  const entrySize = 2 * wordSize;
  const dynamicSize = Math.min(Number(dynamicHeader.memsz - (dynamicHeader.memsz % BigInt(entrySize))), DYNAMIC_SECTION_MAX_BYTES);
  if (dynamicSize === 0) return skip('PT_DYNAMIC is empty');
  const section = words.tryRead(dynamic, dynamicSize);
  if ('error' in section) return skip(`dynamic section at 0x${dynamic.toString(16)}: ${section.error}`);
  let rDebug: bigint | undefined;
  let end = -1;
  for (let off = 0; off < dynamicSize; off += entrySize) {
    const tag = words.at(section.bytes, off);
    if (tag === DT_DEBUG) rDebug = words.at(section.bytes, off + wordSize);
    if (tag === DT_NULL) {
      end = off + entrySize;
      break;
    }
  }
  if (end < 0) return skip(`the dynamic section at 0x${dynamic.toString(16)} has no DT_NULL within ${dynamicSize} bytes`);
  if (rDebug === undefined) return skip('the dynamic section has no DT_DEBUG');
  if (rDebug === 0n) return skip('DT_DEBUG is 0 (the dynamic linker has not filled it in)');

  // struct r_debug { int r_version; link_map *r_map; ElfW(Addr) r_brk; enum r_state; ElfW(Addr) r_ldbase; }
  const r = words.tryRead(rDebug, 5 * wordSize);
  if ('error' in r) return skip(`r_debug at 0x${rDebug.toString(16)}: ${r.error}`);
  const version = new DataView(r.bytes.buffer, r.bytes.byteOffset, 4).getUint32(0, true);
  const rMap = words.at(r.bytes, wordSize);
  const brk = words.at(r.bytes, 2 * wordSize);
  const ldbase = words.at(r.bytes, 4 * wordSize);

  return {
    version,
    brk,
    ldbase,
    dynamic,
    dynamicSection: section.bytes.slice(0, end),
    linkMap: walkLinkMap(words, rMap, diagnostics),
  };
}

/** Follows l_next from `first`, stopping at 0, at a node seen before, at the cap, or at an unreadable node. */
function walkLinkMap(words: WordReader, first: bigint, diagnostics: Diagnostics): LinkMapEntry[] {
  const out: LinkMapEntry[] = [];
  const seen = new Set<bigint>();
  const ws = words.wordSize;
  for (let at = first; at !== 0n; ) {
    if (out.length >= LINK_MAP_MAX_ENTRIES) {
      diagnostics.add(`LinuxDsoDebug: link_map list cut at ${LINK_MAP_MAX_ENTRIES} entries`);
      break;
    }
    if (seen.has(at)) {
      diagnostics.add(`LinuxDsoDebug: link_map list loops back to 0x${at.toString(16)} after ${out.length} entries; cut there`);
      break;
    }
    seen.add(at);
    // struct link_map { ElfW(Addr) l_addr; char *l_name; ElfW(Dyn) *l_ld; link_map *l_next, *l_prev; }
    const node = words.tryRead(at, 5 * ws);
    if ('error' in node) {
      diagnostics.add(`LinuxDsoDebug: link_map entry at 0x${at.toString(16)} unreadable (${node.error}); list cut after ${out.length} entries`);
      break;
    }
    const nameAddress = words.at(node.bytes, ws);
    out.push({ addr: words.at(node.bytes, 0), name: readName(words, nameAddress, diagnostics), ld: words.at(node.bytes, 2 * ws) });
    at = words.at(node.bytes, 3 * ws);
  }
  return out;
}

/** A NUL-terminated UTF-8 name, read a page at a time so no read runs past the page holding the NUL. */
function readName(words: WordReader, address: bigint, diagnostics: Diagnostics): string {
  if (address === 0n) return '';
  const name = new Uint8Array(DSO_NAME_MAX_BYTES);
  let length = 0;
  for (let at = address; length < DSO_NAME_MAX_BYTES; ) {
    const n = Math.min(Number(PAGE - (at % PAGE)), DSO_NAME_MAX_BYTES - length);
    const piece = words.tryRead(at, n);
    if ('error' in piece) {
      diagnostics.add(`LinuxDsoDebug: name at 0x${address.toString(16)} unreadable after ${length} bytes (${piece.error})`);
      break;
    }
    const nul = piece.bytes.indexOf(0);
    name.set(nul >= 0 ? piece.bytes.subarray(0, nul) : piece.bytes, length);
    if (nul >= 0) return utf8.decode(name.subarray(0, length + nul));
    length += n;
    at += BigInt(n);
  }
  if (length >= DSO_NAME_MAX_BYTES) diagnostics.add(`LinuxDsoDebug: name at 0x${address.toString(16)} has no NUL within ${DSO_NAME_MAX_BYTES} bytes; cut`);
  return utf8.decode(name.subarray(0, length));
}

const utf8 = new TextDecoder('utf-8');

interface ProgramHeader {
  type: number;
  vaddr: bigint;
  memsz: bigint;
}

/** Elf64_Phdr: p_type @0, p_vaddr @16, p_memsz @40. Elf32_Phdr: p_type @0, p_vaddr @8, p_memsz @20. */
function readProgramHeader(bytes: Uint8Array, off: number, wordSize: 4 | 8): ProgramHeader {
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  if (wordSize === 8) return { type: dv.getUint32(off, true), vaddr: dv.getBigUint64(off + 16, true), memsz: dv.getBigUint64(off + 40, true) };
  return { type: dv.getUint32(off, true), vaddr: BigInt(dv.getUint32(off + 8, true)), memsz: BigInt(dv.getUint32(off + 20, true)) };
}

/** Native-word access to target memory; read failures become values, so each step can say what failed. */
class WordReader {
  constructor(
    private readonly read: ReadTargetMemory,
    readonly wordSize: 4 | 8,
  ) {}
  tryRead(address: bigint, length: number): { bytes: Uint8Array } | { error: string } {
    try {
      const bytes = this.read(address, length);
      if (bytes.length !== length) return { error: `${bytes.length} of ${length} bytes read` };
      return { bytes };
    } catch (e) {
      if (e instanceof DumpError && e.code === 'ADDRESS_NOT_MAPPED') return { error: e.message };
      throw e;
    }
  }
  at(bytes: Uint8Array, off: number): bigint {
    const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    return this.wordSize === 8 ? dv.getBigUint64(off, true) : BigInt(dv.getUint32(off, true));
  }
  /** Address arithmetic wraps at the word size, as in the target. */
  wrap(v: bigint): bigint {
    return BigInt.asUintN(this.wordSize * 8, v);
  }
}
