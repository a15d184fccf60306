// <address> <size> <line> <file id>: a line record, belonging to the FUNC record before it.
import { parseDecField, parseHexField, tokenize } from './text.js';

export interface LineRecord {
  address: number;
  size: number;
  line: number;
  fileId: number;
}

/** As Breakpad's ParseLine: hex address and size, decimal line (0 allowed) and file id, all non-negative. */
export function parseLineRecord(line: string): LineRecord | undefined {
  const t = tokenize(line, 4);
  if (!t) return undefined;
  const address = parseHexField(t[0]!);
  const size = parseHexField(t[1]!);
  const lineNumber = parseDecField(t[2]!);
  const fileId = parseDecField(t[3]!);
  if (address === undefined || size === undefined || lineNumber === undefined || fileId === undefined) return undefined;
  if (lineNumber < 0 || fileId < 0) return undefined;
  return { address, size, line: lineNumber, fileId };
}
