// FUNC [m] <address> <size> <parameter size> <name>: a function with an extent; its line and INLINE
// records follow it.
import { parseHexField, tokenize } from './text.js';

export interface FuncRecord {
  /** The `m` flag: several functions were folded into this code (identical code folding). */
  multiple: boolean;
  address: number;
  size: number;
  parameterSize: number;
  name: string;
}

/**
 * Breakpad's TokenizeWithOptionalField: tokenize as if the optional `m` were absent; if the first
 * token is `m`, split the last token once more.
 */
export function tokenizeWithOptionalM(rest: string, maxTokens: number): string[] | undefined {
  const t = tokenize(rest, maxTokens - 1);
  if (!t) return undefined;
  if (t[0] !== 'm') return t;
  const last = tokenize(t[t.length - 1]!, 2);
  if (!last) return undefined;
  return [...t.slice(0, -1), ...last];
}

export function parseFuncRecord(line: string): FuncRecord | undefined {
  const t = tokenizeWithOptionalM(line.slice('FUNC '.length), 5);
  if (!t) return undefined;
  const multiple = t[0] === 'm';
  let i = multiple ? 1 : 0;
  const address = parseHexField(t[i++]!);
  const size = parseHexField(t[i++]!);
  const parameterSize = parseHexField(t[i++]!);
  if (address === undefined || size === undefined || parameterSize === undefined || parameterSize > 0x7fffffff) return undefined;
  return { multiple, address, size, parameterSize, name: t[i]! };
}
