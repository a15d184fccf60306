// FILE <id> <name>: a source file number used by line records and INLINE call sites.
import { parseDecField, tokenize } from './text.js';

export interface FileRecord {
  id: number;
  name: string;
}

/** As Breakpad's SymbolParseHelper::ParseFile: a non-negative decimal id, then the name (rest of the line). */
export function parseFileRecord(line: string): FileRecord | undefined {
  const t = tokenize(line.slice('FILE '.length), 2);
  if (!t) return undefined;
  const id = parseDecField(t[0]!);
  if (id === undefined || id < 0) return undefined;
  return { id, name: t[1]! };
}
