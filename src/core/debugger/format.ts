/**
 * WinDbg's ways of printing numbers: addresses of a 64-bit target as `fffff800`12345678` (two
 * 8-digit halves joined by a backtick), of a 32-bit target as 8 digits; bytes, words, dwords and
 * qwords zero-padded; unreadable units as `?`.
 */

/** 64-bit value as WinDbg prints it on a 64-bit target: `00000000`00401000`. */
export function addr64(v: bigint): string {
  const s = (v & 0xffffffffffffffffn).toString(16).padStart(16, '0');
  return `${s.slice(0, 8)}\`${s.slice(8)}`;
}

/** An address at the target's width (8 → `xxxxxxxx`xxxxxxxx`, 4 → `xxxxxxxx`). */
export function addr(v: bigint, pointerSize: 4 | 8): string {
  return pointerSize === 8 ? addr64(v) : (v & 0xffffffffn).toString(16).padStart(8, '0');
}

/** Zero-padded hex of `digits` digits. */
export function hexN(v: bigint | number, digits: number): string {
  const b = typeof v === 'number' ? BigInt(v) : v;
  return (b & ((1n << BigInt(digits * 4)) - 1n)).toString(16).padStart(digits, '0');
}

/** `??…` placeholder of a unit of `size` bytes as WinDbg shows unreadable memory. */
export function unreadable(size: number): string {
  if (size === 8) return '????????`????????';
  return '?'.repeat(size * 2);
}

/** A unit value of `size` bytes (qwords with the backtick). */
export function unit(v: bigint, size: number): string {
  return size === 8 ? addr64(v) : hexN(v, size * 2);
}

/** Printable ASCII or '.', as the right-hand column of `db`. */
export function asciiChar(b: number): string {
  return b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.';
}

/** Pads `s` to `n` characters (for column layouts). */
export function pad(s: string, n: number): string {
  return s.length >= n ? s : s + ' '.repeat(n - s.length);
}

/** Signed 64-bit decimal of a value held modulo 2^64. */
export function signed64(v: bigint): bigint {
  const m = v & 0xffffffffffffffffn;
  return m >= 0x8000000000000000n ? m - 0x10000000000000000n : m;
}
