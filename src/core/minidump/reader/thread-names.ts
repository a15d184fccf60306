import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MINIDUMP_THREAD_NAME_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { readMinidumpStringSoft, type StreamContext } from './common.js';

/** MINIDUMP_THREAD_NAME (12 bytes, packed: u32 ThreadId; RVA64 RvaOfThreadName) with the name resolved. */
export interface MinidumpThreadName {
  threadId: number;
  rvaOfThreadName: bigint;
  name: string | undefined;
}

/** MINIDUMP_THREAD_NAME_LIST (stream 24). */
export async function readThreadNames(ctx: StreamContext, v: StructView): Promise<MinidumpThreadName[]> {
  const what = 'MINIDUMP_THREAD_NAME_LIST';
  const count = v.u32(0);
  if (count > MinidumpLimits.maxThreads || 4 + count * MINIDUMP_THREAD_NAME_SIZE > v.length) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: count ${count} does not fit the ${v.length}-byte stream or exceeds ${MinidumpLimits.maxThreads}`, {
      offset: v.fileOffset,
      length: 4,
    });
  }
  const out: MinidumpThreadName[] = [];
  for (let i = 0; i < count; i++) {
    const off = 4 + i * MINIDUMP_THREAD_NAME_SIZE;
    const rva = v.u64(off + 4);
    let name: string | undefined;
    if (rva > BigInt(ctx.source.size)) ctx.diagnostics.add(`${what}[${i}]: name RVA 0x${rva.toString(16)} is outside the file`);
    else name = await readMinidumpStringSoft(ctx, Number(rva), `${what}[${i}]`);
    out.push({ threadId: v.u32(off), rvaOfThreadName: rva, name });
  }
  return out;
}
