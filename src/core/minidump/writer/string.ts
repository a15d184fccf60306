import { StructBuilder, utf16le } from './encode.js';

/** MINIDUMP_STRING: u32 byte length (without terminator), UTF-16LE text, 2-byte NUL. */
export function encodeMinidumpString(text: string): Uint8Array {
  const body = utf16le(text);
  return new StructBuilder(4 + body.length + 2).u32(0, body.length).set(4, body).bytes;
}
