/**
 * `.debug_line` (DWARF versions 2–5) → address → file:line. Runs every line-number program once,
 * keeps the rows sorted by address, and answers lookups by binary search. DWARF 5 file and
 * directory tables read their strings from `.debug_str` / `.debug_line_str`.
 */
import { DumpError } from '../errors.js';
import { DwarfReader } from './dwarf-reader.js';
import type { ElfFile } from './elf-file.js';

/** Rows kept at most over all units (each costs ~40 bytes). */
export const LINE_MAX_ROWS = 20_000_000;
/** Units read at most. */
export const LINE_MAX_UNITS = 1_000_000;
/** Entries at most in one unit's directory or file table. */
export const LINE_MAX_FILES = 1_000_000;

// DW_FORM_* values used by DWARF 5 entry formats.
const DW_FORM_block = 0x09;
const DW_FORM_block1 = 0x0a;
const DW_FORM_block2 = 0x03;
const DW_FORM_block4 = 0x04;
const DW_FORM_data1 = 0x0b;
const DW_FORM_data2 = 0x05;
const DW_FORM_data4 = 0x06;
const DW_FORM_data8 = 0x07;
const DW_FORM_data16 = 0x1e;
const DW_FORM_string = 0x08;
const DW_FORM_strp = 0x0e;
const DW_FORM_line_strp = 0x1f;
const DW_FORM_udata = 0x0f;
const DW_FORM_strx = 0x1a;
const DW_FORM_strx1 = 0x25;
const DW_FORM_strx2 = 0x26;
const DW_FORM_strx4 = 0x28;
const DW_LNCT_path = 1;
const DW_LNCT_directory_index = 2;

export interface LineRow {
  address: bigint;
  /** Full path as the producer recorded it (directory joined with the file name). */
  file: string;
  line: number;
  /** True for the row ending a sequence (its address is one past the sequence's last byte). */
  end: boolean;
}

export interface LineLookup {
  file: string;
  line: number;
}

export class LineTable {
  private constructor(
    private readonly rows: LineRow[],
    /** Units skipped as corrupt (DumpError messages). */
    readonly problems: string[],
  ) {}

  static async fromElf(elf: ElfFile): Promise<LineTable | undefined> {
    const line = await elf.sectionByName('.debug_line');
    if (!line || line.length === 0) return undefined;
    const sec = elf.section('.debug_line')!;
    const str = await elf.sectionByName('.debug_str');
    const lineStr = await elf.sectionByName('.debug_line_str');
    return LineTable.parse(line, { fileOffset: sec.offset, str, lineStr, addressSize: elf.is64 ? 8 : 4 });
  }

  /** Parses a whole `.debug_line` section; a corrupt unit is noted in `problems` and ends the parse. */
  static parse(data: Uint8Array, opts: { fileOffset?: number; str?: Uint8Array; lineStr?: Uint8Array; addressSize: number }): LineTable {
    const rows: LineRow[] = [];
    const problems: string[] = [];
    let off = 0;
    for (let n = 0; off < data.length && n < LINE_MAX_UNITS; n++) {
      try {
        off = parseUnit(data, off, opts, rows);
      } catch (e) {
        if (e instanceof DumpError) {
          problems.push(e.message);
          break;
        }
        throw e;
      }
    }
    // Array.prototype.sort is stable: rows keep program order at equal addresses, except that an
    // end-of-sequence row goes first, so a sequence starting where another ends wins.
    rows.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.end === b.end ? 0 : a.end ? -1 : 1));
    return new LineTable(rows, problems);
  }

  get rowCount(): number {
    return this.rows.length;
  }

  /** File and line of the instruction at `address` (link-time), or undefined outside every sequence. */
  lookup(address: bigint): LineLookup | undefined {
    const rows = this.rows;
    let lo = 0;
    let hi = rows.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >> 1;
      if (rows[mid]!.address <= address) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    // Several rows at one address: the last one (as addr2line) that is not an end marker.
    const row = rows[found]!;
    if (row.end) return undefined;
    return { file: row.file, line: row.line };
  }
}

interface Header {
  version: number;
  minInstLength: number;
  maxOpsPerInst: number;
  defaultIsStmt: boolean;
  lineBase: number;
  lineRange: number;
  opcodeBase: number;
  standardLengths: number[];
  dirs: string[];
  files: { name: string; dir: number }[];
}

function parseUnit(data: Uint8Array, off: number, opts: { fileOffset?: number; str?: Uint8Array; lineStr?: Uint8Array; addressSize: number }, rows: LineRow[]): number {
  const fileOffset = opts.fileOffset ?? 0;
  const what = `.debug_line unit at 0x${off.toString(16)}`;
  const r = new DwarfReader(data, fileOffset, what, off);
  const len32 = r.u32();
  const dwarf64 = len32 === 0xffffffff;
  const unitLength = dwarf64 ? r.offset(true) : len32;
  const end = r.pos + unitLength;
  if (end > data.length) throw new DumpError('TRUNCATED', `${what}: unit_length ${unitLength} runs past the section's end`, { offset: fileOffset + off, length: 4 });
  const u = new DwarfReader(data, fileOffset, what, r.pos, end);
  const version = u.u16();
  if (version < 2 || version > 5) throw new DumpError('BAD_VERSION', `${what}: version ${version} (2–5 supported)`, { offset: fileOffset + u.pos - 2, length: 2 });
  let addressSize = opts.addressSize;
  if (version >= 5) {
    addressSize = u.u8();
    u.u8(); // segment_selector_size
  }
  const headerLength = u.offset(dwarf64);
  const programStart = u.pos + headerLength;
  if (programStart > end) throw new DumpError('TRUNCATED', `${what}: header_length ${headerLength} runs past the unit`, { offset: fileOffset + u.pos, length: dwarf64 ? 8 : 4 });
  const h = new DwarfReader(data, fileOffset, `${what} header`, u.pos, programStart);
  const minInstLength = h.u8();
  const maxOpsPerInst = version >= 4 ? h.u8() : 1;
  const defaultIsStmt = h.u8() !== 0;
  const lineBase = h.i8();
  const lineRange = h.u8();
  const opcodeBase = h.u8();
  if (lineRange === 0) throw new DumpError('BAD_SIZE', `${what}: line_range is 0`, { offset: fileOffset + h.pos - 2, length: 1 });
  const standardLengths: number[] = [];
  for (let i = 1; i < opcodeBase; i++) standardLengths.push(h.u8());
  const header: Header = { version, minInstLength, maxOpsPerInst, defaultIsStmt, lineBase, lineRange, opcodeBase, standardLengths, dirs: [], files: [] };
  if (version >= 5) readV5Tables(h, header, dwarf64, opts);
  else {
    header.dirs.push('');
    for (let s = h.cstr(); s !== ''; s = h.cstr()) {
      if (header.dirs.length > LINE_MAX_FILES) throw new DumpError('COUNT_TOO_LARGE', `${what}: more than ${LINE_MAX_FILES} directories`, { offset: fileOffset + h.pos, length: 0 });
      header.dirs.push(s);
    }
    header.files.push({ name: '', dir: 0 }); // file numbers start at 1 before DWARF 5
    for (let s = h.cstr(); s !== ''; s = h.cstr()) {
      if (header.files.length > LINE_MAX_FILES) throw new DumpError('COUNT_TOO_LARGE', `${what}: more than ${LINE_MAX_FILES} files`, { offset: fileOffset + h.pos, length: 0 });
      const dir = h.ulebNum();
      h.uleb();
      h.uleb();
      header.files.push({ name: s, dir });
    }
  }
  runProgram(new DwarfReader(data, fileOffset, `${what} program`, programStart, end), header, addressSize, rows);
  return end;
}

function readV5Tables(h: DwarfReader, header: Header, dwarf64: boolean, opts: { str?: Uint8Array; lineStr?: Uint8Array }): void {
  const readTable = (): { path: string; dir: number }[] => {
    const formatCount = h.u8();
    const format: [number, number][] = [];
    for (let i = 0; i < formatCount; i++) format.push([h.ulebNum(), h.ulebNum()]);
    const count = h.ulebNum();
    if (count > 0 && format.length === 0) throw new DumpError('BAD_SIZE', `${h.what}: ${count} entries without an entry format`, { offset: h.fileOffset + h.pos, length: 0 });
    if (count > LINE_MAX_FILES) throw new DumpError('COUNT_TOO_LARGE', `${h.what}: ${count} entries exceed ${LINE_MAX_FILES}`, { offset: h.fileOffset + h.pos, length: 0 });
    const out: { path: string; dir: number }[] = [];
    for (let i = 0; i < count; i++) {
      let path = '';
      let dir = 0;
      for (const [type, form] of format) {
        const v = readForm(h, form, dwarf64, opts);
        if (type === DW_LNCT_path && typeof v === 'string') path = v;
        else if (type === DW_LNCT_directory_index && typeof v === 'number') dir = v;
      }
      out.push({ path, dir });
    }
    return out;
  };
  header.dirs = readTable().map((d) => d.path);
  header.files = readTable().map((f) => ({ name: f.path, dir: f.dir }));
}

function readForm(h: DwarfReader, form: number, dwarf64: boolean, opts: { str?: Uint8Array; lineStr?: Uint8Array }): string | number | undefined {
  switch (form) {
    case DW_FORM_string:
      return h.cstr();
    case DW_FORM_line_strp:
    case DW_FORM_strp: {
      const at = h.pos;
      const off = h.offset(dwarf64);
      const table = form === DW_FORM_strp ? opts.str : opts.lineStr;
      const name = form === DW_FORM_strp ? '.debug_str' : '.debug_line_str';
      if (!table || off >= table.length) throw new DumpError('OUT_OF_BOUNDS', `${h.what}: offset 0x${off.toString(16)} is outside ${name}`, { offset: h.fileOffset + at, length: dwarf64 ? 8 : 4 });
      return new DwarfReader(table, 0, name, off).cstr();
    }
    case DW_FORM_udata:
      return h.ulebNum();
    case DW_FORM_data1:
      return h.u8();
    case DW_FORM_data2:
      return h.u16();
    case DW_FORM_data4:
      return h.u32();
    case DW_FORM_data8:
      h.skip(8);
      return undefined;
    case DW_FORM_data16:
      h.skip(16); // DW_LNCT_MD5
      return undefined;
    case DW_FORM_block:
      h.skip(h.ulebNum());
      return undefined;
    case DW_FORM_block1:
      h.skip(h.u8());
      return undefined;
    case DW_FORM_block2:
      h.skip(h.u16());
      return undefined;
    case DW_FORM_block4:
      h.skip(h.u32());
      return undefined;
    case DW_FORM_strx:
    case DW_FORM_strx1:
    case DW_FORM_strx2:
    case DW_FORM_strx4:
      // Needs .debug_str_offsets and the unit's base from .debug_info: not read here.
      if (form === DW_FORM_strx) h.uleb();
      else h.skip(form === DW_FORM_strx1 ? 1 : form === DW_FORM_strx2 ? 2 : 4);
      return undefined;
    default:
      throw new DumpError('UNSUPPORTED', `${h.what}: form 0x${form.toString(16)} in an entry format`, { offset: h.fileOffset + h.pos, length: 0 });
  }
}

function fullPath(header: Header, index: number): string {
  const f = header.files[index];
  if (!f) return `<file ${index}>`;
  if (f.name.startsWith('/')) return f.name;
  const dir = header.dirs[f.dir] ?? '';
  return dir ? `${dir}/${f.name}` : f.name;
}

function runProgram(p: DwarfReader, h: Header, addressSize: number, rows: LineRow[]): void {
  const mask = addressSize === 8 ? 0xffffffffffffffffn : 0xffffffffn;
  const minInst = BigInt(h.minInstLength);
  // Address advance of each special opcode, computed once (the hot path of every program).
  const specialAdvance: bigint[] = [];
  for (let op = h.opcodeBase; op < 256; op++) specialAdvance.push(BigInt(Math.floor((op - h.opcodeBase) / h.lineRange)) * minInst);
  let address = 0n;
  let file = 1;
  let line = 1;
  const reset = () => {
    address = 0n;
    file = 1;
    line = 1;
  };
  // Paths per file index, computed once (a table has few files and many rows).
  const pathCache = new Map<number, string>();
  const path = (i: number) => {
    let s = pathCache.get(i);
    if (s === undefined) {
      s = fullPath(h, i);
      pathCache.set(i, s);
    }
    return s;
  };
  const emitRow = (end: boolean) => {
    if (rows.length >= LINE_MAX_ROWS) throw new DumpError('COUNT_TOO_LARGE', `.debug_line: more than ${LINE_MAX_ROWS} rows`, { offset: p.fileOffset + p.pos, length: 0 });
    rows.push({ address, file: path(file), line, end });
  };
  while (p.remaining > 0) {
    const at = p.pos;
    const op = p.u8();
    if (op >= h.opcodeBase) {
      const adj = op - h.opcodeBase;
      address += specialAdvance[adj]!;
      if (address > mask) address &= mask;
      line += h.lineBase + (adj % h.lineRange);
      emitRow(false);
      continue;
    }
    switch (op) {
      case 0: {
        const len = p.ulebNum();
        if (len === 0) break;
        p.need(len);
        const next = p.pos + len;
        const ext = p.u8();
        if (ext === 1) {
          emitRow(true);
          reset();
        } else if (ext === 2) {
          if (len - 1 !== 4 && len - 1 !== 8) throw new DumpError('BAD_SIZE', `${p.what}: DW_LNE_set_address with a ${len - 1}-byte operand`, { offset: p.fileOffset + at, length: len + 1 });
          address = p.uN(len - 1);
        } else if (ext === 3 && h.version < 5) {
          const name = p.cstr();
          const dir = p.ulebNum();
          if (h.files.length < LINE_MAX_FILES) h.files.push({ name, dir });
        }
        p.pos = next;
        break;
      }
      case 1:
        emitRow(false);
        break;
      case 2:
        address = (address + p.uleb() * minInst) & mask;
        break;
      case 3:
        line += p.slebNum();
        break;
      case 4:
        file = p.ulebNum();
        break;
      case 8:
        address = (address + BigInt(Math.floor((255 - h.opcodeBase) / h.lineRange)) * minInst) & mask;
        break;
      case 9:
        address = (address + BigInt(p.u16())) & mask;
        break;
      default: {
        // DW_LNS_set_column, negate_stmt, basic_block, prologue_end, epilogue_begin, set_isa and
        // unknown standard opcodes: skip their ULEB128 operands.
        const n = h.standardLengths[op - 1] ?? 0;
        for (let i = 0; i < n; i++) p.uleb();
      }
    }
  }
}
