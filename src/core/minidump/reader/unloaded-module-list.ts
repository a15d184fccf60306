import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_UNLOADED_MODULE_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { checkTable, readMinidumpStringSoft, type StreamContext } from './common.js';

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
  const headerSize = v.u32(0);
  const entrySize = v.u32(4);
  const count = v.u32(8);
  checkTable(v, headerSize, entrySize, MINIDUMP_UNLOADED_MODULE_SIZE, count, MinidumpLimits.maxModules, what);
  const out: MinidumpUnloadedModule[] = [];
  for (let i = 0; i < count; i++) {
    const off = headerSize + i * entrySize;
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
