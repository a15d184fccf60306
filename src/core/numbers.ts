/**
 * Numbers as people type them: command-line options and the debugger shell parse them here, one
 * documented way —
 * - decimal: `4096`;
 * - hexadecimal with `0x`: `0x1000`, `0xFFFFF80000000000`;
 * - WinDbg's 64-bit form, hexadecimal with a backtick between the high and the low 32 bits (as
 *   WinDbg prints addresses): `fffff800`00000000`, also with `0x` in front.
 * Nothing else: bare hex (`abc`), exponents (`1e9`), signs, `_` separators, `h` suffixes are refused
 * rather than guessed at (`abc` as 0xabc and `1e9` as 0x1e9 were such guesses).
 */
import { DumpError } from './errors.js';

export const U64_MAX = (1n << 64n) - 1n;

const DECIMAL = /^[0-9]+$/;
const HEX = /^0x[0-9a-f]+$/i;
const WINDBG = /^(?:0x)?([0-9a-f]{1,8})`([0-9a-f]{8})$/i;

/** What a number may look like, for error messages. */
export const NUMBER_FORMS = 'decimal (4096), 0x hex (0x1000) or WinDbg\'s fffff800`00000000';

/** The value of `text` in one of the accepted forms, or undefined. */
export function numberOrUndefined(text: string): bigint | undefined {
  const t = text.trim();
  const w = WINDBG.exec(t);
  if (w) return BigInt(`0x${w[1]}${w[2]}`);
  return HEX.test(t) || DECIMAL.test(t) ? BigInt(t) : undefined;
}

/**
 * Parses `text` as a non-negative integer no larger than `max` (default: 2^64 - 1). Throws
 * INVALID_ARGUMENT naming `what` otherwise.
 */
export function parseNumber(text: string, what = 'number', max: bigint = U64_MAX): bigint {
  const value = numberOrUndefined(text);
  if (value === undefined) throw new DumpError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a number: give ${NUMBER_FORMS}`);
  if (value > max) throw new DumpError('INVALID_ARGUMENT', `${what} ${text} is above the largest allowed, 0x${max.toString(16)}`);
  return value;
}

/** A 64-bit address (`parseNumber` up to 2^64 - 1). */
export function parseAddress(text: string, what = 'address'): bigint {
  return parseNumber(text, what, U64_MAX);
}

/** An integer in `lo..hi` (both safe integers), as a number. */
export function parseInteger(text: string, what: string, lo: number, hi: number): number {
  const n = numberOrUndefined(text);
  if (n === undefined) throw new DumpError('INVALID_ARGUMENT', `${what} must be an integer ${lo}..${hi} in ${NUMBER_FORMS} (got ${JSON.stringify(text)})`);
  if (n < BigInt(lo) || n > BigInt(hi)) throw new DumpError('INVALID_ARGUMENT', `${what} must be an integer ${lo}..${hi} (got ${JSON.stringify(text)})`);
  return Number(n);
}
