// Text forms the viewer shows: addresses as 0x… hex, sizes in binary units.

export function addr(a: bigint, digits = 0): string {
  return `0x${a.toString(16).padStart(digits, '0')}`;
}

export function sizeText(n: number): string {
  const u = ['bytes', 'KiB', 'MiB', 'GiB', 'TiB'];
  let i = 0;
  let v = n;
  while (v >= 1024 && i < u.length - 1) {
    v /= 1024;
    i++;
  }
  return i === 0 ? `${n} bytes` : `${v.toFixed(v >= 100 ? 0 : v >= 10 ? 1 : 2)} ${u[i]}`;
}

/** `0x1234`, `1234h`-free hex, or WinDbg's backtick form (`fffff800`00000000`) → bigint; undefined when not an address. */
export function parseAddress(text: string): bigint | undefined {
  const t = text.trim().replace(/`/g, '');
  if (!/^(0x)?[0-9a-f]{1,16}$/i.test(t)) return undefined;
  return BigInt(t.toLowerCase().startsWith('0x') ? t : `0x${t}`);
}
