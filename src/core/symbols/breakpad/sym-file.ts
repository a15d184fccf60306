// A Breakpad .sym file indexed over a ByteSource: one pass in chunks keeps only typed arrays of
// addresses and file offsets; records are parsed when a lookup needs them (functions cached).
// Lookup rules follow Breakpad's BasicSourceLineResolver (and rust-minidump's breakpad-symbols,
// which agrees on well-formed files); docs/symbols.md lists the few places dumpkit differs.
import type { ByteSource } from '../../bytes/byte-source.js';
import type { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import type { CfiRules, InlineFrame, StackWinRecord } from '../types.js';
import { parseFileRecord } from './file.js';
import { parseFuncRecord } from './func.js';
import { FunctionBody, type InlineRange } from './function-body.js';
import { parseInlineOriginRecord } from './inline-origin.js';
import { BreakpadSymLimits } from './limits.js';
import { parseModuleRecord, type ModuleRecord } from './module.js';
import { parsePublicRecord } from './public.js';
import { Column, ExclusiveRanges, lastAtOrBelow, NestedRanges, orderByStart, RangeColumns } from './range-index.js';
import { applyCfiRuleSet } from './stack-cfi.js';
import { parseStackWinRecord, STACK_INFO_FPO, STACK_INFO_FRAME_DATA } from './stack-win.js';
import { decodeLine, hexAt, hexEnd, scanLines, skipSpaces, startsWith } from './text.js';

/** What a lookup found, module-relative (numbers); the provider turns it into a SymbolInfo. */
export interface BreakpadSymbol {
  name: string;
  address: number;
  size?: number;
  parameterSize: number;
  multiple: boolean;
  isPublic: boolean;
  file?: string;
  line?: number;
  /** Start of the line record holding the address. */
  lineBase?: number;
  /** Innermost first, each with the position inside that inlined function (Breakpad's swap). */
  inlines: (InlineFrame & { address: number })[];
}

export interface BreakpadSymStats {
  bytes: number;
  lines: number;
  functions: number;
  publics: number;
  cfiInits: number;
  cfiStrayDeltas: number;
  stackWin: number;
  files: number;
  inlineOrigins: number;
  /** Bytes held by the index's typed arrays (not counting caches). */
  indexBytes: number;
  errors: number;
}

/** FILE / INLINE_ORIGIN id → (offset, length) of its line; dense ids in columns, others in a map. */
class IdIndex {
  private readonly off = new Column();
  private readonly len = new Column();
  private readonly sparse = new Map<number, [number, number]>();
  count = 0;

  /** First record with an id wins (Breakpad inserts into a std::map). */
  add(id: number, offset: number, length: number): void {
    if (id < this.off.length || this.sparse.has(id)) {
      if (id === this.off.length) this.promote();
      return;
    }
    this.count++;
    if (id === this.off.length) {
      this.off.push(offset);
      this.len.push(length);
      this.promote();
    } else this.sparse.set(id, [offset, length]);
  }

  /** Moves sparse ids that have become the next dense ones into the columns. */
  private promote(): void {
    for (let next = this.sparse.get(this.off.length); next; next = this.sparse.get(this.off.length)) {
      this.sparse.delete(this.off.length);
      this.off.push(next[0]);
      this.len.push(next[1]);
    }
  }

  get(id: number): [number, number] | undefined {
    if (id >= 0 && id < this.off.length) return [this.off.get(id), this.len.get(id)];
    return this.sparse.get(id);
  }

  bytes(): number {
    return this.off.length * 16 + this.sparse.size * 64;
  }
}

class LruCache<K, V> {
  private readonly map = new Map<K, V>();
  constructor(private readonly max: number) {}
  get(k: K): V | undefined {
    const v = this.map.get(k);
    if (v !== undefined) {
      this.map.delete(k);
      this.map.set(k, v);
    }
    return v;
  }
  set(k: K, v: V): void {
    this.map.delete(k);
    this.map.set(k, v);
    if (this.map.size > this.max) this.map.delete(this.map.keys().next().value as K);
  }
}

interface CfiDelta {
  address: number;
  offset: number;
  rules: string;
}

export class BreakpadSymFile {
  /** The MODULE record (first line), when present. */
  module: ModuleRecord | undefined;
  /** Malformed records seen so far (indexing and lazy parsing): Breakpad's is_corrupt_. */
  errors = 0;
  private lineCount = 0;
  private readonly files = new IdIndex();
  private readonly origins = new IdIndex();
  private funcs!: ExclusiveRanges;
  private publicAddr!: Float64Array;
  private publicOff!: Float64Array;
  private publicEnd!: Float64Array;
  private inits!: ExclusiveRanges;
  /** INIT records Breakpad refuses (overlapping, empty): their deltas still count, by address. */
  private droppedInits!: { start: Float64Array; end: Float64Array; offset: Float64Array; blockEnd: Float64Array; maxSize: number };
  private strayAddr!: Float64Array;
  private strayOff!: Float64Array;
  private strayEnd!: Float64Array;
  private win = new Map<number, NestedRanges>();
  private readonly functionCache = new LruCache<number, FunctionBody | null>(BreakpadSymLimits.functionCacheSize);
  private readonly nameCache = new LruCache<string, string>(BreakpadSymLimits.nameCacheSize);

  private constructor(
    readonly source: ByteSource,
    private readonly diagnostics: Diagnostics,
  ) {}

  /** Indexes `source` in one chunked pass. Malformed records become diagnostics; never throws for content. */
  static async index(source: ByteSource, diagnostics: Diagnostics): Promise<BreakpadSymFile> {
    const f = new BreakpadSymFile(source, diagnostics);
    await f.scan();
    return f;
  }

  /** A malformed record: a diagnostic, and it counts toward `errors` (corrupt, and the bail-out cap). */
  private bad(message: string, offset: number, length = 0, counts = true): void {
    if (counts) this.errors++;
    this.diagnostics.add(new DumpError('BAD_RECORD', `${this.source.name}: ${message}`, { offset, length }).message);
  }

  private async scan(): Promise<void> {
    const funcCols = new RangeColumns(); // extra = end offset of the body's last line
    const publicCols = new RangeColumns(); // start = address, size = 0, extra = line end
    const initCols = new RangeColumns(); // extra = end offset of the block of deltas that follow
    const strayCols = new RangeColumns(); // start = address, extra = line end
    const winCols = new Map<number, RangeColumns>([
      [STACK_INFO_FPO, new RangeColumns()],
      [STACK_INFO_FRAME_DATA, new RangeColumns()],
    ]);
    let curFunc = -1;
    let bodyCapped = false;
    let curInit = -1;
    let curInitStart = 0;
    let curInitEnd = 0;
    let stopped = false;
    const max = BreakpadSymLimits.maxRecordsPerKind;
    const full = (cols: RangeColumns, what: string, offset: number): boolean => {
      if (cols.length < max) return false;
      this.bad(`more than ${max} ${what} records; the rest are ignored`, offset);
      return true;
    };

    await scanLines(
      this.source,
      (buf, s, e, off) => {
        this.lineCount++;
        const len = e - s;
        const c = buf[s]!;
        if (c === 0x53 /* S */ && startsWith(buf, s, e, 'STACK ')) {
          let p = skipSpaces(buf, s + 6, e);
          if (startsWith(buf, p, e, 'CFI ')) {
            p = skipSpaces(buf, p + 4, e);
            if (startsWith(buf, p, e, 'INIT ')) {
              const addr = hexAt(buf, skipSpaces(buf, p + 5, e), e);
              const size = addr >= 0 ? hexAt(buf, skipSpaces(buf, hexEnd, e), e) : -1;
              const rulesAt = skipSpaces(buf, hexEnd, e);
              if (addr < 0 || size < 0 || rulesAt >= e) this.bad(`malformed STACK CFI INIT record`, off, len);
              else if (!full(initCols, 'STACK CFI INIT', off)) {
                curInit = initCols.push(addr, size, off, off + len);
                curInitStart = addr;
                curInitEnd = addr + size;
              }
            } else {
              const addr = hexAt(buf, p, e);
              const rulesAt = skipSpaces(buf, hexEnd, e);
              if (addr < 0 || rulesAt >= e) this.bad(`malformed STACK CFI record`, off, len);
              else if (
                curInit >= 0 &&
                addr >= curInitStart &&
                addr < curInitEnd &&
                off + len - initCols.offset.get(curInit) <= BreakpadSymLimits.maxCfiBlockBytes
              ) {
                initCols.extra.set(curInit, off + len);
              } else if (!full(strayCols, 'STACK CFI', off)) strayCols.push(addr, 0, off, off + len);
            }
          } else if (startsWith(buf, p, e, 'WIN ')) {
            const rec = parseStackWinRecord(decodeLine(buf, skipSpaces(buf, p + 4, e), e));
            if (!rec) this.bad('malformed STACK WIN record', off, len);
            else {
              const cols = winCols.get(rec.type);
              if (cols && !full(cols, 'STACK WIN', off)) cols.push(rec.rva, rec.codeSize, off, off + len);
            }
          } else this.bad('STACK record of an unknown kind', off, len);
        } else if (c === 0x46 /* F */ && startsWith(buf, s, e, 'FILE ')) {
          const rec = parseFileRecord(decodeLine(buf, s, e));
          if (!rec) this.bad('malformed FILE record', off, len);
          else this.files.add(rec.id, off, len);
        } else if (c === 0x46 && startsWith(buf, s, e, 'FUNC ')) {
          const rec = parseFuncRecord(decodeLine(buf, s, e));
          curFunc = -1;
          if (!rec) this.bad('malformed FUNC record', off, len);
          else if (!full(funcCols, 'FUNC', off)) {
            curFunc = funcCols.push(rec.address, rec.size, off, off + len);
            bodyCapped = false;
          }
        } else if (c === 0x50 /* P */ && startsWith(buf, s, e, 'PUBLIC ')) {
          curFunc = -1; // public symbols have no line records
          const rec = parsePublicRecord(decodeLine(buf, s, e));
          if (!rec) this.bad('malformed PUBLIC record', off, len);
          // Address 0 is accepted but never stored (Breakpad: seen in ntdll.pdb dumps).
          else if (rec.address !== 0 && !full(publicCols, 'PUBLIC', off)) publicCols.push(rec.address, 0, off, off + len);
        } else if (c === 0x4d /* M */ && startsWith(buf, s, e, 'MODULE ')) {
          if (this.module === undefined && this.lineCount === 1) {
            this.module = parseModuleRecord(decodeLine(buf, s, e));
            if (!this.module) this.bad('malformed MODULE record', off, len);
          }
        } else if (c === 0x49 /* I */ && startsWith(buf, s, e, 'INFO ')) {
          // housekeeping (INFO CODE_ID …): ignored, as by Breakpad
        } else if (c === 0x49 && startsWith(buf, s, e, 'INLINE_ORIGIN ')) {
          const rec = parseInlineOriginRecord(decodeLine(buf, s, e));
          // Breakpad counts INLINE and INLINE_ORIGIN errors apart: they neither mark the file corrupt nor stop it.
          if (!rec) this.bad('malformed INLINE_ORIGIN record', off, len, false);
          else this.origins.add(rec.id, off, len);
        } else {
          // A line record or an INLINE record: part of the current function's body (parsed lazily).
          if (curFunc < 0) this.bad(startsWith(buf, s, e, 'INLINE ') ? 'INLINE record without a FUNC' : 'line data without a FUNC', off, len);
          else if (off + len - funcCols.offset.get(curFunc) <= BreakpadSymLimits.maxFunctionBodyBytes) funcCols.extra.set(curFunc, off + len);
          else if (!bodyCapped) {
            bodyCapped = true;
            this.bad(`function body longer than ${BreakpadSymLimits.maxFunctionBodyBytes} bytes; its later records are ignored`, off, len);
          }
        }
        if (this.errors > BreakpadSymLimits.maxErrors) {
          stopped = true;
          return false;
        }
        return true;
      },
      (off, length) => this.bad(`line of ${length} bytes is longer than ${BreakpadSymLimits.maxLineBytes}; ignored`, off, length),
    );
    if (stopped) {
      this.diagnostics.add(
        new DumpError('BAD_RECORD', `${this.source.name}: more than ${BreakpadSymLimits.maxErrors} malformed records; the rest of the file is ignored (as Breakpad does)`).message,
      );
    }

    this.funcs = ExclusiveRanges.build(funcCols);
    this.note(this.funcs.dropped.length, 'FUNC');
    this.buildPublics(publicCols);
    this.inits = ExclusiveRanges.build(initCols);
    this.note(this.inits.dropped.length, 'STACK CFI INIT');
    this.buildDroppedInits(initCols, this.inits.dropped);
    const strays = sortedByAddress(strayCols);
    this.strayAddr = strays.addr;
    this.strayOff = strays.off;
    this.strayEnd = strays.end;
    for (const [type, cols] of winCols) {
      // Overlapping STACK WIN records are normal in PDB output (Breakpad drops them silently too).
      const n = NestedRanges.build(cols);
      if (n.budgetExceeded) this.bad(`STACK WIN ${type} records too far out of address order to index them all; the rest are ignored`, 0);
      this.win.set(type, n);
    }
  }

  private note(dropped: number, what: string): void {
    if (dropped > 0) this.diagnostics.add(`${this.source.name}: ${dropped} ${what} record(s) empty or overlapping an earlier one; ignored, as Breakpad does`);
  }

  private buildPublics(cols: RangeColumns): void {
    const s = sortedByAddress(cols);
    // Breakpad's AddressMap keeps the first symbol stored at an address.
    let w = 0;
    for (let r = 0; r < s.addr.length; r++) {
      if (w > 0 && s.addr[w - 1] === s.addr[r]) continue;
      s.addr[w] = s.addr[r]!;
      s.off[w] = s.off[r]!;
      s.end[w] = s.end[r]!;
      w++;
    }
    this.publicAddr = s.addr.slice(0, w);
    this.publicOff = s.off.slice(0, w);
    this.publicEnd = s.end.slice(0, w);
  }

  private buildDroppedInits(cols: RangeColumns, dropped: Uint32Array): void {
    const idx = Array.from(dropped).sort((a, b) => cols.start.get(a) - cols.start.get(b) || a - b);
    const n = idx.length;
    const d = { start: new Float64Array(n), end: new Float64Array(n), offset: new Float64Array(n), blockEnd: new Float64Array(n), maxSize: 0 };
    idx.forEach((i, k) => {
      d.start[k] = cols.start.get(i);
      d.end[k] = cols.start.get(i) + cols.size.get(i);
      d.offset[k] = cols.offset.get(i);
      d.blockEnd[k] = cols.extra.get(i);
      d.maxSize = Math.max(d.maxSize, cols.size.get(i));
    });
    this.droppedInits = d;
  }

  stats(): BreakpadSymStats {
    const f64 = (a: { length: number }) => a.length * 8;
    let winCount = 0;
    let winBytes = 0;
    for (const w of this.win.values()) {
      winCount += w.kept;
      winBytes += w.bytes();
    }
    return {
      bytes: this.source.size,
      lines: this.lineCount,
      functions: this.funcs.length,
      publics: this.publicAddr.length,
      cfiInits: this.inits.length,
      cfiStrayDeltas: this.strayAddr.length,
      stackWin: winCount,
      files: this.files.count,
      inlineOrigins: this.origins.count,
      indexBytes:
        this.funcs.length * 32 +
        f64(this.publicAddr) * 3 +
        this.inits.length * 32 +
        this.droppedInits.start.length * 32 +
        f64(this.strayAddr) * 3 +
        winBytes +
        this.files.bytes() +
        this.origins.bytes(),
      errors: this.errors,
    };
  }

  private async text(offset: number, end: number): Promise<string> {
    const bytes = await this.source.read(offset, end - offset);
    return decodeLine(bytes, 0, bytes.length);
  }

  private async name(kind: 'FILE' | 'INLINE_ORIGIN', id: number): Promise<string | undefined> {
    const key = `${kind}:${id}`;
    const cached = this.nameCache.get(key);
    if (cached !== undefined) return cached;
    const at = (kind === 'FILE' ? this.files : this.origins).get(id);
    if (!at) return undefined;
    const line = await this.text(at[0], at[0] + at[1]);
    const name = kind === 'FILE' ? parseFileRecord(line)?.name : parseInlineOriginRecord(line)?.name;
    if (name !== undefined) this.nameCache.set(key, name);
    return name;
  }

  private async functionAt(i: number): Promise<FunctionBody | undefined> {
    const cached = this.functionCache.get(i);
    if (cached !== undefined) return cached ?? undefined;
    const offset = this.funcs.offset[i]!;
    const { body, errors } = FunctionBody.parse(await this.text(offset, this.funcs.extra[i]!), offset, this.source.name, this.diagnostics);
    this.errors += errors;
    this.functionCache.set(i, body ?? null);
    return body;
  }

  /** Breakpad's LookupAddress at a module-relative address. */
  async lookup(address: number): Promise<BreakpadSymbol | undefined> {
    const fi = this.funcs.find(address);
    if (fi >= 0) {
      const body = await this.functionAt(fi);
      if (!body) return undefined;
      const f = body.func;
      const sym: BreakpadSymbol = {
        name: f.name,
        address: f.address,
        size: f.size,
        parameterSize: f.parameterSize,
        multiple: f.multiple,
        isPublic: false,
        inlines: [],
      };
      const line = body.lineAt(address);
      const lineFile = line ? await this.name('FILE', line.fileId) : undefined;
      let file = lineFile;
      let lineNo = line?.line;
      const chain = body.inlineChainAt(address); // outermost first
      if (chain.length > 0) {
        // Each inline's call site is a position in its caller; the address's own line is in the innermost.
        const frames: (InlineFrame & { address: number })[] = [];
        for (let k = chain.length - 1; k >= 0; k--) {
          const r = chain[k]!;
          const frame: InlineFrame & { address: number } = { function: await this.originName(r), address: r.address };
          if (file !== undefined) frame.file = file;
          if (lineNo !== undefined) frame.line = lineNo;
          frames.push(frame);
          // The caller's position: this inline's call site. Without a call file id (old form), or with an
          // unknown one, Breakpad leaves the line record's file there.
          file = (r.callFileId !== undefined ? await this.name('FILE', r.callFileId) : undefined) ?? lineFile;
          lineNo = r.callLine;
        }
        sym.inlines = frames;
      }
      if (file !== undefined) sym.file = file;
      if (lineNo !== undefined) sym.line = lineNo;
      if (line) sym.lineBase = line.address;
      return sym;
    }
    // No FUNC holds the address: the nearest PUBLIC at or below it, unless a FUNC lies between them.
    const pi = lastAtOrBelow(this.publicAddr, address);
    if (pi < 0) return undefined;
    const below = this.funcs.nearestBelow(address);
    if (below >= 0 && this.publicAddr[pi]! <= this.funcs.start[below]!) return undefined;
    const rec = parsePublicRecord(await this.text(this.publicOff[pi]!, this.publicEnd[pi]!));
    if (!rec) return undefined;
    return { name: rec.name, address: rec.address, parameterSize: rec.parameterSize, multiple: rec.multiple, isPublic: true, inlines: [] };
  }

  private async originName(r: InlineRange): Promise<string> {
    return (await this.name('INLINE_ORIGIN', r.originId)) ?? '<name omitted>';
  }

  /** STACK WIN at a module-relative address: FrameData (type 4) first, then FPO (type 0), as Breakpad prefers. */
  async stackWin(address: number): Promise<StackWinRecord | undefined> {
    for (const type of [STACK_INFO_FRAME_DATA, STACK_INFO_FPO]) {
      const w = this.win.get(type)!;
      const i = w.find(address);
      if (i < 0) continue;
      const line = await this.text(w.offset[i]!, w.extra[i]!);
      const rest = line.replace(/^STACK +WIN +/, '');
      const rec = parseStackWinRecord(rest);
      if (rec) return rec.record;
    }
    return undefined;
  }

  /** The STACK CFI rules in force at a module-relative address: the INIT record's, then every delta up to it. */
  async cfiRules(address: number): Promise<CfiRules | undefined> {
    const i = this.inits.find(address);
    if (i < 0) return undefined;
    const initStart = this.inits.start[i]!;
    const block = await this.text(this.inits.offset[i]!, this.inits.extra[i]!);
    const rows = block.split(/[\r\n]+/);
    const initRules = rows[0]!.replace(/^STACK +CFI +INIT +\S+ +\S+ +/, '');
    const rules: CfiRules = {};
    if (!applyCfiRuleSet(initRules, rules)) {
      this.bad('malformed rules in STACK CFI INIT record', this.inits.offset[i]!);
      return undefined;
    }
    const deltas: CfiDelta[] = [];
    const take = (text: string, offset: number) => {
      for (const row of text.split(/[\r\n]+/)) {
        const d = parseDelta(row);
        if (d && d.address >= initStart && d.address <= address) deltas.push({ ...d, offset });
        offset += row.length + 1;
      }
    };
    take(rows.slice(1).join('\n'), this.inits.offset[i]! + rows[0]!.length + 1);
    // Deltas not in the INIT's own block: filed after another INIT, or after one Breakpad dropped.
    const d = this.droppedInits;
    for (let k = lastAtOrBelow(d.start, address); k >= 0 && d.start[k]! >= initStart - d.maxSize; k--) {
      if (d.end[k]! > initStart) take(await this.text(d.offset[k]!, d.blockEnd[k]!), d.offset[k]!);
      if (deltas.length > BreakpadSymLimits.maxCfiDeltasPerLookup) break;
    }
    for (let k = lastAtOrBelow(this.strayAddr, address); k >= 0 && this.strayAddr[k]! >= initStart; k--) {
      take(await this.text(this.strayOff[k]!, this.strayEnd[k]!), this.strayOff[k]!);
      if (deltas.length > BreakpadSymLimits.maxCfiDeltasPerLookup) {
        this.diagnostics.add(`${this.source.name}: more than ${BreakpadSymLimits.maxCfiDeltasPerLookup} STACK CFI deltas apply at 0x${address.toString(16)}; the rest are ignored`);
        break;
      }
    }
    // Breakpad keeps one delta per address (the last in the file) and applies them in address order.
    deltas.sort((a, b) => a.address - b.address || a.offset - b.offset);
    for (let k = 0; k < deltas.length; k++) {
      if (k + 1 < deltas.length && deltas[k + 1]!.address === deltas[k]!.address) continue;
      applyCfiRuleSet(deltas[k]!.rules, rules);
    }
    return rules;
  }
}

/** A `STACK CFI <address> <rules>` delta record (not INIT), or undefined. */
function parseDelta(row: string): { address: number; rules: string } | undefined {
  const m = /^STACK +CFI +(?!INIT )(?:0[xX])?([0-9a-fA-F]{1,13}) +(\S.*)$/.exec(row);
  if (!m) return undefined;
  return { address: parseInt(m[1]!, 16), rules: m[2]! };
}

function sortedByAddress(cols: RangeColumns): { addr: Float64Array; off: Float64Array; end: Float64Array } {
  const a = cols.start.view();
  const { order } = orderByStart(a);
  const n = order.length;
  const addr = new Float64Array(n);
  const off = new Float64Array(n);
  const end = new Float64Array(n);
  for (let k = 0; k < n; k++) {
    const i = order[k]!;
    addr[k] = a[i]!;
    off[k] = cols.offset.get(i);
    end[k] = cols.extra.get(i);
  }
  return { addr, off, end };
}

/** The fuzz-friendly entry: indexes arbitrary bytes as a .sym file. */
export function indexBreakpadSym(source: ByteSource, diagnostics: Diagnostics): Promise<BreakpadSymFile> {
  return BreakpadSymFile.index(source, diagnostics);
}
