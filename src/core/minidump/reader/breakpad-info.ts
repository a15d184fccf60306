import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { BreakpadInfoValid } from '../constants.js';
import type { StreamContext } from './common.js';

/** MDRawBreakpadInfo (stream 0x47670001), 12 bytes. Ids are undefined when their validity bit is clear. */
export interface BreakpadInfo {
  validity: number;
  dumpThreadId: number | undefined;
  requestingThreadId: number | undefined;
}

export function readBreakpadInfo(_ctx: StreamContext, v: StructView): BreakpadInfo {
  if (v.length < 12) {
    throw new DumpError('BAD_SIZE', `MDRawBreakpadInfo is ${v.length} bytes, needs 12`, { offset: v.fileOffset, length: v.length });
  }
  const validity = v.u32(0);
  return {
    validity,
    dumpThreadId: validity & BreakpadInfoValid.DUMP_THREAD_ID ? v.u32(4) : undefined,
    requestingThreadId: validity & BreakpadInfoValid.REQUESTING_THREAD_ID ? v.u32(8) : undefined,
  };
}
