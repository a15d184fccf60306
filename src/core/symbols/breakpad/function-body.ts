// A FUNC record with its line and INLINE records, parsed when a lookup first lands in the function.
import type { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import { parseFuncRecord, type FuncRecord } from './func.js';
import { parseInlineRecord } from './inline.js';
import { parseLineRecord } from './line.js';

export interface LineRange {
  address: number;
  end: number;
  line: number;
  fileId: number;
}

export interface InlineRange {
  depth: number;
  address: number;
  end: number;
  callLine: number;
  callFileId?: number;
  originId: number;
}

/** Records that end a function's body or are never part of it (they may sit between its line records). */
const NOT_BODY = ['FILE ', 'STACK ', 'FUNC ', 'PUBLIC ', 'MODULE ', 'INFO ', 'INLINE_ORIGIN '];

export class FunctionBody {
  private constructor(
    readonly func: FuncRecord,
    /** Line records kept by Breakpad's exclusive-range rule, in address order. */
    readonly lines: LineRange[],
    /** Inline ranges accepted by Breakpad's nesting rule, ordered by (depth, address, file order). */
    readonly inlines: InlineRange[],
  ) {}

  /**
   * Parses the text of a FUNC record and what follows it up to its last line or INLINE record.
   * `offset` is the file offset of the FUNC line (for messages). Returns undefined (with a
   * diagnostic) when the FUNC line itself is malformed, which the indexer already excluded.
   */
  static parse(text: string, offset: number, sourceName: string, diagnostics: Diagnostics): { body: FunctionBody | undefined; errors: number } {
    const rows = text.split(/[\r\n]+/);
    let errors = 0;
    const bad = (what: string, rowOffset: number, counts = true) => {
      if (counts) errors++;
      diagnostics.add(new DumpError('BAD_RECORD', `${sourceName}: malformed ${what}`, { offset: rowOffset, length: 0 }).message);
    };
    const func = parseFuncRecord(rows[0] ?? '');
    if (!func) {
      bad('FUNC record', offset);
      return { body: undefined, errors };
    }
    const lines: LineRange[] = [];
    const inlines: InlineRange[] = [];
    let lastDepth = 0; // Breakpad's last_added_inline_nest_level
    let sorted = true;
    let rowOffset = offset + (rows[0]?.length ?? 0) + 1; // approximate for CRLF files; messages only
    for (let r = 1; r < rows.length; r++) {
      const row = rows[r]!;
      const here = rowOffset;
      rowOffset += row.length + 1;
      if (row === '' || NOT_BODY.some((p) => row.startsWith(p))) continue;
      if (row.startsWith('INLINE ')) {
        const rec = parseInlineRecord(row);
        if (!rec) {
          bad('INLINE record', here, false); // Breakpad: a separate count that does not mark the file corrupt
          continue;
        }
        if (rec.depth > lastDepth + 1) continue; // its parent was not added: Breakpad drops it silently
        lastDepth = rec.depth;
        for (const range of rec.ranges) {
          if (range.size <= 0) continue;
          const ir: InlineRange = { depth: rec.depth, address: range.address, end: range.address + range.size, callLine: rec.callLine, originId: rec.originId };
          if (rec.callFileId !== undefined) ir.callFileId = rec.callFileId;
          inlines.push(ir);
        }
        continue;
      }
      const rec = parseLineRecord(row);
      if (!rec) {
        bad('line record', here);
        continue;
      }
      if (rec.size <= 0) continue; // Breakpad's RangeMap refuses empty ranges silently
      if (lines.length > 0 && rec.address < lines[lines.length - 1]!.address) sorted = false;
      lines.push({ address: rec.address, end: rec.address + rec.size, line: rec.line, fileId: rec.fileId });
    }
    // Exclusive ranges: the first in address order (file order when sorted) wins.
    const ordered = sorted ? lines : lines.map((l, i) => ({ l, i })).sort((a, b) => a.l.address - b.l.address || a.i - b.i).map((x) => x.l);
    const kept: LineRange[] = [];
    for (const l of ordered) if (kept.length === 0 || l.address >= kept[kept.length - 1]!.end) kept.push(l);
    const inl = inlines.map((x, i) => ({ x, i })).sort((a, b) => a.x.depth - b.x.depth || a.x.address - b.x.address || a.i - b.i).map((v) => v.x);
    return { body: new FunctionBody(func, kept, inl), errors };
  }

  /** The line record holding `address`, if any. */
  lineAt(address: number): LineRange | undefined {
    let lo = 0;
    let hi = this.lines.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (this.lines[mid]!.address <= address) lo = mid + 1;
      else hi = mid;
    }
    const l = this.lines[lo - 1];
    return l && address < l.end ? l : undefined;
  }

  /** The inline calls at `address`, outermost (depth 0) first, one per depth while each depth has one. */
  inlineChainAt(address: number): InlineRange[] {
    const chain: InlineRange[] = [];
    let k = 0;
    for (let depth = 0; ; depth++) {
      let found: InlineRange | undefined;
      while (k < this.inlines.length && this.inlines[k]!.depth < depth) k++;
      for (let j = k; j < this.inlines.length && this.inlines[j]!.depth === depth; j++) {
        const r = this.inlines[j]!;
        if (r.address <= address && address < r.end) {
          found = r;
          break;
        }
      }
      if (!found) return chain;
      chain.push(found);
    }
  }
}
