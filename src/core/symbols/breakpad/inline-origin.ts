// INLINE_ORIGIN <id> <name> (current form) or INLINE_ORIGIN <id> <file id> <name> (old form): the
// name of a function that was inlined somewhere.
import { parseDecField, tokenize } from './text.js';

export interface InlineOriginRecord {
  id: number;
  /** Old form only (-1 for artificial functions). */
  fileId?: number;
  name: string;
}

/** As Breakpad's ParseInlineOrigin: the old form is recognised by a (possibly -1) number after the id. */
export function parseInlineOriginRecord(line: string): InlineOriginRecord | undefined {
  const t = tokenize(line.slice('INLINE_ORIGIN '.length), 2);
  if (!t) return undefined;
  const id = parseDecField(t[0]!);
  if (id === undefined || id < 0) return undefined;
  const rest = t[1]!;
  const firstWord = rest.split(' ')[0]!;
  if (/^-?[0-9]*$/.test(firstWord)) {
    // Breakpad's test: every character of the first word is a digit, a '-' allowed in front.
    const u = tokenize(rest, 2);
    if (!u) return undefined;
    const fileId = parseDecField(u[0]!);
    if (fileId === undefined || fileId < -1) return undefined;
    return { id, fileId, name: u[1]! };
  }
  return { id, name: rest };
}
