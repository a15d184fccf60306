import type { StructView } from '../../bytes/struct-view.js';
import { MINIDUMP_UNLOADED_MODULE_SIZE } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { tableEntryOffsets, type StreamContext } from './common.js';
import { readModuleHead, type MinidumpModuleHead } from './module-list.js';

/** MINIDUMP_UNLOADED_MODULE (24 bytes) with its name: exactly the head of MINIDUMP_MODULE. */
export type MinidumpUnloadedModule = MinidumpModuleHead;

/** MINIDUMP_UNLOADED_MODULE_LIST (stream 14): u32 SizeOfHeader, SizeOfEntry, NumberOfEntries. */
export async function readUnloadedModuleList(ctx: StreamContext, v: StructView): Promise<MinidumpUnloadedModule[]> {
  const what = 'MINIDUMP_UNLOADED_MODULE_LIST';
  const offsets = tableEntryOffsets(v, v.u32(8), MINIDUMP_UNLOADED_MODULE_SIZE, MinidumpLimits.maxModules, what);
  const out: MinidumpUnloadedModule[] = [];
  for (const [i, off] of offsets.entries()) out.push(await readModuleHead(ctx, v, off, `${what}[${i}]`));
  return out;
}
