/**
 * A bounds-checked little-endian cursor over DWARF data (CFI, line programs): fixed-size integers,
 * LEB128, C strings. Every read past the end is a DumpError TRUNCATED naming the file byte range.
 */
import { DumpError } from '../errors.js';

const utf8 = new TextDecoder('utf-8');

export class DwarfReader {
  private readonly view: DataView;
  pos: number;

  constructor(
    readonly bytes: Uint8Array,
    /** File offset of bytes[0], for messages. */
    readonly fileOffset: number,
    /** What is being read ("`.eh_frame` CIE at 0x40"), for messages. */
    readonly what: string,
    start = 0,
    /** Exclusive end of the readable part of `bytes`. */
    readonly end = bytes.length,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
    this.pos = start;
  }

  get remaining(): number {
    return this.end - this.pos;
  }

  need(n: number): void {
    if (n < 0 || this.pos + n > this.end) {
      throw new DumpError('TRUNCATED', `${this.what}: ${n} bytes at +0x${this.pos.toString(16)} run past its end (+0x${this.end.toString(16)})`, {
        offset: this.fileOffset + this.pos,
        length: Math.max(n, 0),
      });
    }
  }

  u8(): number {
    this.need(1);
    return this.view.getUint8(this.pos++);
  }
  u16(): number {
    this.need(2);
    const v = this.view.getUint16(this.pos, true);
    this.pos += 2;
    return v;
  }
  u32(): number {
    this.need(4);
    const v = this.view.getUint32(this.pos, true);
    this.pos += 4;
    return v;
  }
  i8(): number {
    this.need(1);
    return this.view.getInt8(this.pos++);
  }
  i16(): number {
    this.need(2);
    const v = this.view.getInt16(this.pos, true);
    this.pos += 2;
    return v;
  }
  i32(): number {
    this.need(4);
    const v = this.view.getInt32(this.pos, true);
    this.pos += 4;
    return v;
  }
  u64(): bigint {
    this.need(8);
    const v = this.view.getBigUint64(this.pos, true);
    this.pos += 8;
    return v;
  }
  i64(): bigint {
    this.need(8);
    const v = this.view.getBigInt64(this.pos, true);
    this.pos += 8;
    return v;
  }
  /** An unsigned integer of `size` bytes (1, 2, 4 or 8). */
  uN(size: number): bigint {
    switch (size) {
      case 1:
        return BigInt(this.u8());
      case 2:
        return BigInt(this.u16());
      case 4:
        return BigInt(this.u32());
      case 8:
        return this.u64();
      default:
        throw new DumpError('UNSUPPORTED', `${this.what}: ${size}-byte integers are not supported`, { offset: this.fileOffset + this.pos, length: 0 });
    }
  }
  /** An offset: 4 bytes in 32-bit DWARF, 8 in 64-bit DWARF; must fit a JS number. */
  offset(dwarf64: boolean): number {
    const at = this.pos;
    const v = dwarf64 ? this.u64() : BigInt(this.u32());
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DumpError('OUT_OF_BOUNDS', `${this.what}: offset 0x${v.toString(16)} is too large`, { offset: this.fileOffset + at, length: 8 });
    return Number(v);
  }

  /** Unsigned LEB128 as bigint (at most 10 bytes are meaningful; longer runs are an error). */
  uleb(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    for (;;) {
      const b = this.u8();
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if ((b & 0x80) === 0) return result & 0xffffffffffffffffn;
      if (this.pos - start > 16) throw new DumpError('BAD_SIZE', `${this.what}: LEB128 longer than 16 bytes`, { offset: this.fileOffset + start, length: 16 });
    }
  }
  /** Signed LEB128 as bigint. */
  sleb(): bigint {
    let result = 0n;
    let shift = 0n;
    const start = this.pos;
    let b: number;
    do {
      b = this.u8();
      if (shift < 64n) result |= BigInt(b & 0x7f) << shift;
      shift += 7n;
      if (this.pos - start > 16) throw new DumpError('BAD_SIZE', `${this.what}: LEB128 longer than 16 bytes`, { offset: this.fileOffset + start, length: 16 });
    } while (b & 0x80);
    if (shift < 64n && b & 0x40) result -= 1n << shift;
    return BigInt.asIntN(64, result);
  }
  /** ULEB128 that must be a small non-negative number (counts, lengths, register numbers). */
  ulebNum(): number {
    const at = this.pos;
    const v = this.uleb();
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) throw new DumpError('OUT_OF_BOUNDS', `${this.what}: value 0x${v.toString(16)} is too large`, { offset: this.fileOffset + at, length: this.pos - at });
    return Number(v);
  }
  slebNum(): number {
    const at = this.pos;
    const v = this.sleb();
    if (v > BigInt(Number.MAX_SAFE_INTEGER) || v < -BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DumpError('OUT_OF_BOUNDS', `${this.what}: value ${v} is too large`, { offset: this.fileOffset + at, length: this.pos - at });
    }
    return Number(v);
  }
  /** NUL-terminated UTF-8 string. */
  cstr(): string {
    const nul = this.bytes.indexOf(0, this.pos);
    if (nul < 0 || nul >= this.end) throw new DumpError('TRUNCATED', `${this.what}: string at +0x${this.pos.toString(16)} has no terminating NUL`, { offset: this.fileOffset + this.pos, length: this.end - this.pos });
    const s = utf8.decode(this.bytes.subarray(this.pos, nul));
    this.pos = nul + 1;
    return s;
  }
  bytesOf(n: number): Uint8Array {
    this.need(n);
    const b = this.bytes.subarray(this.pos, this.pos + n);
    this.pos += n;
    return b;
  }
  skip(n: number): void {
    this.need(n);
    this.pos += n;
  }
}
