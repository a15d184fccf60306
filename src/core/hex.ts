/** Address and number formatting shared by JSON and human output. */

/** `0x…` lower-case hex, no padding. Accepts bigint or a safe integer. */
export function hex(value: bigint | number): string {
  if (typeof value === 'number') {
    if (!Number.isSafeInteger(value)) throw new RangeError(`hex(): ${value} is not a safe integer`);
    return value < 0 ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
  }
  return value < 0n ? `-0x${(-value).toString(16)}` : `0x${value.toString(16)}`;
}

/** `0x…` padded to `digits` hex digits (for addresses of a known width). */
export function hexPad(value: bigint | number, digits: number): string {
  const v = typeof value === 'number' ? BigInt(value) : value;
  return `0x${v.toString(16).padStart(digits, '0')}`;
}

/** Classic hex dump: address, 16 bytes, ASCII. */
export function hexDump(bytes: Uint8Array, baseAddress: bigint, width = 16): string {
  const lines: string[] = [];
  for (let i = 0; i < bytes.length; i += width) {
    const chunk = bytes.subarray(i, Math.min(i + width, bytes.length));
    const hexPart = Array.from(chunk, (b) => b.toString(16).padStart(2, '0')).join(' ');
    const ascii = Array.from(chunk, (b) => (b >= 0x20 && b < 0x7f ? String.fromCharCode(b) : '.')).join('');
    lines.push(`${(baseAddress + BigInt(i)).toString(16).padStart(16, '0')}  ${hexPart.padEnd(width * 3 - 1)}  ${ascii}`);
  }
  return lines.join('\n');
}

/** JSON.stringify that renders bigint as `0x…` strings (addresses) — the project's JSON rule. */
export function toJson(value: unknown, indent = 2): string {
  return JSON.stringify(value, (_k, v) => (typeof v === 'bigint' ? hex(v) : v), indent);
}
