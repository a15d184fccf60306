// INLINE <depth> <call line> [<call file id>] <origin id> (<address> <size>)+: one inlined call inside
// the FUNC before it, with the ranges its code occupies. The form with the call file id has an even
// number of fields (Breakpad tells the two forms apart by that parity).
import { BreakpadSymLimits } from './limits.js';
import { parseDecField, parseHexField, splitTokens } from './text.js';

export interface InlineRecord {
  depth: number;
  callLine: number;
  /** Absent in the old form (then the call site's file is the outer line record's file, as in Breakpad). */
  callFileId?: number;
  originId: number;
  ranges: { address: number; size: number }[];
}

export function parseInlineRecord(line: string): InlineRecord | undefined {
  const t = splitTokens(line.slice('INLINE '.length), BreakpadSymLimits.maxInlineTokens);
  if (t.length < 5) return undefined;
  const hasFile = t.length % 2 === 0;
  let i = 0;
  const depth = parseDecField(t[i++]!);
  const callLine = parseDecField(t[i++]!);
  const callFileId = hasFile ? parseDecField(t[i++]!) : undefined;
  const originId = parseDecField(t[i++]!);
  if (depth === undefined || depth < 0 || callLine === undefined || callLine < 0 || originId === undefined || originId < 0) return undefined;
  if (hasFile && (callFileId === undefined || callFileId < -1)) return undefined;
  const ranges: { address: number; size: number }[] = [];
  while (i + 1 < t.length) {
    const address = parseHexField(t[i++]!);
    const size = parseHexField(t[i++]!);
    if (address === undefined || size === undefined) return undefined;
    ranges.push({ address, size });
  }
  const rec: InlineRecord = { depth, callLine, originId, ranges };
  if (hasFile) rec.callFileId = callFileId;
  return rec;
}
