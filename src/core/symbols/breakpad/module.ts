// MODULE <os> <arch> <debug id> <debug file>: the first line of a .sym file. Breakpad's resolver ignores
// it (the symbol supplier already chose the file); dumpkit reads it to check the id it was filed under.
import { tokenize } from './text.js';

export interface ModuleRecord {
  os: string;
  arch: string;
  debugId: string;
  debugFile: string;
}

export function parseModuleRecord(line: string): ModuleRecord | undefined {
  const t = tokenize(line.slice('MODULE '.length), 4);
  if (!t) return undefined;
  return { os: t[0]!, arch: t[1]!, debugId: t[2]!, debugFile: t[3]! };
}
