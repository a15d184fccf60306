/**
 * The exception directory (.pdata): x64 RUNTIME_FUNCTION entries (BeginAddress, EndAddress,
 * UnwindData RVAs), sorted by BeginAddress, and a binary search for the entry covering an RVA.
 */
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { IMAGE_FILE_MACHINE_AMD64 } from '../kernel/header.js';
import { IMAGE_DIRECTORY_ENTRY, type PeImage } from './image.js';
import { PE_LIMITS } from './limits.js';

export interface RuntimeFunction {
  beginAddress: number;
  endAddress: number;
  /** RVA of the UNWIND_INFO (bit 0 clear), or of another RUNTIME_FUNCTION when bit 0 is set (indirect entry). */
  unwindData: number;
}

/** The image's x64 RUNTIME_FUNCTION table, sorted; [] when there is none or it is not in memory (diagnostic). */
export async function readRuntimeFunctions(image: PeImage, diag?: Diagnostics): Promise<RuntimeFunction[]> {
  const dir = image.directory(IMAGE_DIRECTORY_ENTRY.EXCEPTION);
  if (!dir || image.headers.machine !== IMAGE_FILE_MACHINE_AMD64) return [];
  const count = Math.floor(dir.size / 12);
  if (count > PE_LIMITS.maxRuntimeFunctions) {
    throw new DumpError('COUNT_TOO_LARGE', `exception directory of the image at ${hex(image.base)}: ${count} RUNTIME_FUNCTION entries (limit ${PE_LIMITS.maxRuntimeFunctions})`);
  }
  const bytes = await image.readRva(dir.virtualAddress, count * 12, `exception directory of the image at ${hex(image.base)}`);
  if (!bytes) {
    diag?.add(`exception directory (.pdata) of the image at ${hex(image.base)}: not in the dump`);
    return [];
  }
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const out: RuntimeFunction[] = [];
  let sorted = true;
  for (let i = 0; i < count; i++) {
    const f = { beginAddress: v.getUint32(i * 12, true), endAddress: v.getUint32(i * 12 + 4, true), unwindData: v.getUint32(i * 12 + 8, true) };
    if (f.beginAddress === 0 && f.endAddress === 0) continue;
    if (out.length && f.beginAddress < out[out.length - 1]!.beginAddress) sorted = false;
    out.push(f);
  }
  if (!sorted) {
    diag?.add(`.pdata of the image at ${hex(image.base)} is not sorted by BeginAddress; sorted it`);
    out.sort((a, b) => a.beginAddress - b.beginAddress);
  }
  return out;
}

/** The entry whose [BeginAddress, EndAddress) holds `rva`. */
export function findRuntimeFunction(table: readonly RuntimeFunction[], rva: number): RuntimeFunction | undefined {
  let lo = 0;
  let hi = table.length - 1;
  while (lo <= hi) {
    const mid = (lo + hi) >>> 1;
    const f = table[mid]!;
    if (rva < f.beginAddress) hi = mid - 1;
    else if (rva >= f.endAddress) lo = mid + 1;
    else return f;
  }
  return undefined;
}
