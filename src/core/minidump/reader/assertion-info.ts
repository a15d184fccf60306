import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import type { StreamContext } from './common.js';

/** MDRawAssertionInfo (stream 0x47670002, 776 bytes). type: 0 unknown, 1 invalid parameter, 2 pure virtual call. */
export interface BreakpadAssertionInfo {
  expression: string;
  function: string;
  file: string;
  line: number;
  type: number;
}

export function readAssertionInfo(_ctx: StreamContext, v: StructView): BreakpadAssertionInfo {
  if (v.length < 776) throw new DumpError('BAD_SIZE', `MDRawAssertionInfo is ${v.length} bytes, needs 776`, { offset: v.fileOffset, length: v.length });
  return { expression: v.utf16(0, 256), function: v.utf16(256, 256), file: v.utf16(512, 256), line: v.u32(768), type: v.u32(772) };
}
