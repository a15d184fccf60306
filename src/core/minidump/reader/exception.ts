import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MINIDUMP_EXCEPTION_STREAM_SIZE } from '../constants.js';
import { location, type MinidumpLocation, type StreamContext } from './common.js';

/** MINIDUMP_EXCEPTION_STREAM (stream 6), 168 bytes. */
export interface MinidumpException {
  threadId: number;
  exceptionCode: number;
  exceptionFlags: number;
  exceptionRecord: bigint;
  exceptionAddress: bigint;
  numberParameters: number;
  /** The first NumberParameters (at most 15) of ExceptionInformation. */
  exceptionInformation: bigint[];
  threadContext: MinidumpLocation;
}

export const EXCEPTION_MAXIMUM_PARAMETERS = 15;

export function readException(ctx: StreamContext, v: StructView): MinidumpException {
  if (v.length < MINIDUMP_EXCEPTION_STREAM_SIZE) {
    throw new DumpError('BAD_SIZE', `MINIDUMP_EXCEPTION_STREAM is ${v.length} bytes, needs ${MINIDUMP_EXCEPTION_STREAM_SIZE}`, {
      offset: v.fileOffset,
      length: v.length,
    });
  }
  const numberParameters = v.u32(32);
  let n = numberParameters;
  if (n > EXCEPTION_MAXIMUM_PARAMETERS) {
    ctx.diagnostics.add(`MINIDUMP_EXCEPTION.NumberParameters is ${n} (max 15); using 15`);
    n = EXCEPTION_MAXIMUM_PARAMETERS;
  }
  const info: bigint[] = [];
  for (let i = 0; i < n; i++) info.push(v.u64(40 + i * 8));
  return {
    threadId: v.u32(0),
    exceptionCode: v.u32(8),
    exceptionFlags: v.u32(12),
    exceptionRecord: v.u64(16),
    exceptionAddress: v.u64(24),
    numberParameters,
    exceptionInformation: info,
    threadContext: location(v, 160),
  };
}
