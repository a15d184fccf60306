import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_UNLOADED_MODULE_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { tableEntryOffsets, readMinidumpStringSoft, type StreamContext } from './common.js';

/** MINIDUMP_UNLOADED_MODULE (24 bytes) with its name. */
export interface MinidumpUnloadedModule {
  baseOfImage: bigint;
  sizeOfImage: number;
  checkSum: number;
  timeDateStamp: number;
  moduleNameRva: number;
  name: string;
}

/** MINIDUMP_UNLOADED_MODULE_LIST (stream 14): u32 SizeOfHeader, SizeOfEntry, NumberOfEntries. */
export async function readUnloadedModuleList(ctx: StreamContext, v: StructView): Promise<MinidumpUnloadedModule[]> {
  const what = 'MINIDUMP_UNLOADED_MODULE_LIST';
  const offsets = tableEntryOffsets(v, v.u32(8), MINIDUMP_UNLOADED_MODULE_SIZE, MinidumpLimits.maxModules, what);
  const out: MinidumpUnloadedModule[] = [];
  for (const [i, off] of offsets.entries()) {
    const moduleNameRva = v.u32(off + 20);
    out.push({
      baseOfImage: v.u64(off),
      sizeOfImage: v.u32(off + 8),
      checkSum: v.u32(off + 12),
      timeDateStamp: v.u32(off + 16),
      moduleNameRva,
      name: (await readMinidumpStringSoft(ctx, moduleNameRva, `${what}[${i}].ModuleName`)) ?? '',
    });
  }
  return out;
}
