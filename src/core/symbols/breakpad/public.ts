// PUBLIC [m] <address> <parameter size> <name>: a symbol without an extent (from a PDB's publics or an
// ELF symbol table); it covers addresses up to the next symbol.
import { tokenizeWithOptionalM } from './func.js';
import { parseHexField } from './text.js';

export interface PublicRecord {
  multiple: boolean;
  address: number;
  parameterSize: number;
  name: string;
}

export function parsePublicRecord(line: string): PublicRecord | undefined {
  const t = tokenizeWithOptionalM(line.slice('PUBLIC '.length), 4);
  if (!t) return undefined;
  const multiple = t[0] === 'm';
  let i = multiple ? 1 : 0;
  const address = parseHexField(t[i++]!);
  const parameterSize = parseHexField(t[i++]!);
  if (address === undefined || parameterSize === undefined || parameterSize > 0x7fffffff) return undefined;
  return { multiple, address, parameterSize, name: t[i]! };
}
