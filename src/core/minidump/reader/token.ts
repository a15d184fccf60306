import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MinidumpLimits } from '../limits.js';
import type { StreamContext } from './common.js';

/** One MINIDUMP_TOKEN_INFO_HEADER with the token bytes that follow it. */
export interface MinidumpTokenInfo {
  tokenSize: number;
  tokenId: number;
  tokenHandle: bigint;
  data: Uint8Array;
}

/** MINIDUMP_TOKEN_INFO_LIST (stream 19): u32 TokenListSize, TokenListEntries, ListHeaderSize, ElementHeaderSize. */
export function readToken(ctx: StreamContext, v: StructView): MinidumpTokenInfo[] {
  const what = 'MINIDUMP_TOKEN_INFO_LIST';
  const entries = v.u32(4);
  const listHeaderSize = v.u32(8);
  const elementHeaderSize = v.u32(12);
  if (entries > MinidumpLimits.maxHandles || listHeaderSize > v.length || elementHeaderSize < 16) {
    throw new DumpError('BAD_SIZE', `${what}: ${entries} entries, header ${listHeaderSize}, element header ${elementHeaderSize} do not fit the ${v.length}-byte stream`, {
      offset: v.fileOffset,
      length: 16,
    });
  }
  const out: MinidumpTokenInfo[] = [];
  let off = listHeaderSize;
  for (let i = 0; i < entries; i++) {
    const tokenSize = v.u32(off);
    if (tokenSize < elementHeaderSize || off + tokenSize > v.length) {
      ctx.diagnostics.add(`${what}[${i}]: TokenSize ${tokenSize} at +0x${off.toString(16)} does not fit the stream; list cut short`);
      break;
    }
    out.push({ tokenSize, tokenId: v.u32(off + 4), tokenHandle: v.u64(off + 8), data: v.raw(off + elementHeaderSize, tokenSize - elementHeaderSize).slice() });
    off += tokenSize;
  }
  return out;
}
