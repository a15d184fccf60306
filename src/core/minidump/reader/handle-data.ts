import type { StructView } from '../../bytes/struct-view.js';
import { MinidumpLimits } from '../limits.js';
import { tableEntryOffsets, readMinidumpStringSoft, type StreamContext } from './common.js';

/** MINIDUMP_HANDLE_DESCRIPTOR (32 bytes) / _2 (40 bytes) with names resolved. */
export interface MinidumpHandleDescriptor {
  handle: bigint;
  typeName: string | undefined;
  objectName: string | undefined;
  attributes: number;
  grantedAccess: number;
  handleCount: number;
  pointerCount: number;
  /** _2 only. */
  objectInfoRva?: number;
}

/** MINIDUMP_HANDLE_DATA_STREAM (stream 12): u32 SizeOfHeader, SizeOfDescriptor, NumberOfDescriptors, Reserved. */
export async function readHandleData(ctx: StreamContext, v: StructView): Promise<MinidumpHandleDescriptor[]> {
  const what = 'MINIDUMP_HANDLE_DATA_STREAM';
  const entrySize = v.u32(4);
  const offsets = tableEntryOffsets(v, v.u32(8), 32, MinidumpLimits.maxHandles, what);
  const out: MinidumpHandleDescriptor[] = [];
  for (const [i, off] of offsets.entries()) {
    const d: MinidumpHandleDescriptor = {
      handle: v.u64(off),
      typeName: await readMinidumpStringSoft(ctx, v.u32(off + 8), `${what}[${i}].TypeName`),
      objectName: await readMinidumpStringSoft(ctx, v.u32(off + 12), `${what}[${i}].ObjectName`),
      attributes: v.u32(off + 16),
      grantedAccess: v.u32(off + 20),
      handleCount: v.u32(off + 24),
      pointerCount: v.u32(off + 28),
    };
    if (entrySize >= 40) d.objectInfoRva = v.u32(off + 32);
    out.push(d);
  }
  return out;
}
