import { StructBuilder, type Location } from './encode.js';
import type { ExceptionRecord } from './model.js';

export const MINIDUMP_EXCEPTION_STREAM_SIZE = 168;

/** MINIDUMP_EXCEPTION_STREAM (Breakpad Linux convention: code = signal, flags = si_code, address = si_addr). */
export function encodeException(ex: ExceptionRecord, context: Location): Uint8Array {
  const info = (ex.information ?? []).slice(0, 15);
  const b = new StructBuilder(MINIDUMP_EXCEPTION_STREAM_SIZE)
    .u32(0, ex.threadId)
    .u32(8, ex.code)
    .u32(12, ex.flags)
    .u64(16, 0)
    .u64(24, ex.address)
    .u32(32, info.length)
    .u32(160, context.size)
    .u32(164, context.rva);
  info.forEach((v, i) => b.u64(40 + i * 8, v));
  return b.bytes;
}
