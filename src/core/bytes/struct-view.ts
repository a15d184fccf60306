import { DumpError } from '../errors.js';

/**
 * Little-endian, bounds-checked field access over bytes read from a known file offset.
 * Every failed access names the structure and the absolute byte range, e.g.
 * "MINIDUMP_THREAD_LIST: field at +0x34 (4 bytes) past the end of the 48-byte structure".
 */
export class StructView {
  readonly view: DataView;
  constructor(
    readonly bytes: Uint8Array,
    /** Absolute file offset of bytes[0], for error messages. */
    readonly fileOffset: number,
    /** Structure name as Microsoft/Breakpad call it, for error messages. */
    readonly what: string,
  ) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get length(): number {
    return this.bytes.length;
  }

  private need(off: number, n: number): void {
    if (off < 0 || off + n > this.bytes.length) {
      throw new DumpError(
        'TRUNCATED',
        `${this.what}: field at +0x${off.toString(16)} (${n} bytes) is past the end of the ${this.bytes.length}-byte structure`,
        { offset: this.fileOffset + off, length: n },
      );
    }
  }

  u8(off: number): number {
    this.need(off, 1);
    return this.view.getUint8(off);
  }
  u16(off: number): number {
    this.need(off, 2);
    return this.view.getUint16(off, true);
  }
  i16(off: number): number {
    this.need(off, 2);
    return this.view.getInt16(off, true);
  }
  u32(off: number): number {
    this.need(off, 4);
    return this.view.getUint32(off, true);
  }
  i32(off: number): number {
    this.need(off, 4);
    return this.view.getInt32(off, true);
  }
  u64(off: number): bigint {
    this.need(off, 8);
    return this.view.getBigUint64(off, true);
  }
  /** A u64 that must fit a JS number (sizes, counts, file offsets); else OUT_OF_BOUNDS. */
  u64n(off: number): number {
    const v = this.u64(off);
    if (v > BigInt(Number.MAX_SAFE_INTEGER)) {
      throw new DumpError('OUT_OF_BOUNDS', `${this.what}: value 0x${v.toString(16)} at +0x${off.toString(16)} is too large`, {
        offset: this.fileOffset + off,
        length: 8,
      });
    }
    return Number(v);
  }
  sub(off: number, n: number, what = this.what): StructView {
    this.need(off, n);
    return new StructView(this.bytes.subarray(off, off + n), this.fileOffset + off, what);
  }
  raw(off: number, n: number): Uint8Array {
    this.need(off, n);
    return this.bytes.subarray(off, off + n);
  }
  /** Windows GUID byte order (Data1..3 little-endian) as `XXXXXXXX-XXXX-XXXX-XXXX-XXXXXXXXXXXX`. */
  guid(off: number): string {
    this.need(off, 16);
    const d1 = this.u32(off).toString(16).padStart(8, '0');
    const d2 = this.u16(off + 4).toString(16).padStart(4, '0');
    const d3 = this.u16(off + 6).toString(16).padStart(4, '0');
    const d4 = Array.from(this.raw(off + 8, 8), (b) => b.toString(16).padStart(2, '0')).join('');
    return `${d1}-${d2}-${d3}-${d4.slice(0, 4)}-${d4.slice(4)}`.toUpperCase();
  }
  /** UTF-16LE text of `byteLength` bytes (stops at the first NUL). */
  utf16(off: number, byteLength: number): string {
    this.need(off, byteLength);
    return decodeUtf16le(this.raw(off, byteLength & ~1));
  }
  /** Latin-1/ASCII text of up to n bytes, stopping at NUL. */
  ascii(off: number, n: number): string {
    this.need(off, n);
    const b = this.raw(off, n);
    let end = b.indexOf(0);
    if (end < 0) end = b.length;
    let s = '';
    for (let i = 0; i < end; i++) s += String.fromCharCode(b[i]!);
    return s;
  }
}

const utf16Decoder = new TextDecoder('utf-16le');
const utf8Decoder = new TextDecoder('utf-8');

export function decodeUtf16le(bytes: Uint8Array): string {
  const s = utf16Decoder.decode(bytes);
  const nul = s.indexOf('\0');
  return nul >= 0 ? s.slice(0, nul) : s;
}

export function decodeUtf8(bytes: Uint8Array): string {
  const s = utf8Decoder.decode(bytes);
  const nul = s.indexOf('\0');
  return nul >= 0 ? s.slice(0, nul) : s;
}

/** Reads a whole structure from a source and wraps it. */
export async function readStruct(
  source: { read(offset: number, length: number): Promise<Uint8Array> },
  offset: number,
  length: number,
  what: string,
): Promise<StructView> {
  try {
    return new StructView(await source.read(offset, length), offset, what);
  } catch (e) {
    if (e instanceof DumpError && e.code === 'TRUNCATED') {
      throw new DumpError('TRUNCATED', `${what} (${length} bytes at 0x${offset.toString(16)}) runs past the end of the file`, {
        offset,
        length,
      });
    }
    throw e;
  }
}
