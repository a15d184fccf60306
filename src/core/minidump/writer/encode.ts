/** Little helpers for building little-endian structures (writer side of struct-view.ts). */
export class StructBuilder {
  readonly bytes: Uint8Array;
  private readonly dv: DataView;
  constructor(size: number) {
    this.bytes = new Uint8Array(size);
    this.dv = new DataView(this.bytes.buffer);
  }
  u8(off: number, v: number): this {
    this.dv.setUint8(off, v);
    return this;
  }
  u16(off: number, v: number): this {
    this.dv.setUint16(off, v & 0xffff, true);
    return this;
  }
  u32(off: number, v: number): this {
    this.dv.setUint32(off, v >>> 0, true);
    return this;
  }
  u64(off: number, v: bigint | number): this {
    this.dv.setBigUint64(off, BigInt.asUintN(64, BigInt(v)), true);
    return this;
  }
  set(off: number, b: Uint8Array): this {
    this.bytes.set(b, off);
    return this;
  }
}

/** MINIDUMP_LOCATION_DESCRIPTOR as written: DataSize, Rva. */
export interface Location {
  size: number;
  rva: number;
}

export const NO_LOCATION: Location = { size: 0, rva: 0 };

export function utf16le(text: string): Uint8Array {
  const out = new Uint8Array(text.length * 2);
  for (let i = 0; i < text.length; i++) {
    const c = text.charCodeAt(i);
    out[i * 2] = c & 0xff;
    out[i * 2 + 1] = c >> 8;
  }
  return out;
}
