/**
 * Names for `ln`, `x` and `module!symbol` where no symbol file is loaded: a PE image's export
 * table read from the dump's memory, through the core's PE reader (src/core/pe).
 */
import { DumpError } from '../errors.js';
import { readExports } from '../pe/exports.js';
import { PeImage } from '../pe/image.js';
import type { MemoryReader } from '../unwind/types.js';

export interface ExportedSymbol {
  name: string;
  address: bigint;
}

/** The named, non-forwarded exports of the image at `base`, sorted by address; [] when its headers are not in the dump or not PE. */
export async function readPeExports(memory: MemoryReader, base: bigint): Promise<ExportedSymbol[]> {
  try {
    const image = await PeImage.open(memory, base);
    if (!image) return [];
    const table = await readExports(image);
    const out: ExportedSymbol[] = [];
    for (const e of table?.exports ?? []) if (e.name && e.rva !== undefined) out.push({ name: e.name, address: base + BigInt(e.rva) });
    return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.name < b.name ? -1 : 1));
  } catch (e) {
    if (e instanceof DumpError) return [];
    throw e;
  }
}
