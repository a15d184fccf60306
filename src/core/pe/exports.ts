/**
 * The export directory (IMAGE_EXPORT_DIRECTORY): names, ordinals and forwarders. An export whose
 * address lies inside the export directory is a forwarder string ("NTDLL.RtlAllocateHeap").
 */
import { StructView } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { IMAGE_DIRECTORY_ENTRY, type PeImage } from './image.js';
import { PE_LIMITS } from './limits.js';

export interface PeExport {
  /** Biased ordinal (Base + index), as dumpbin and objdump print it. */
  ordinal: number;
  /** Undefined for exports by ordinal only. */
  name?: string;
  /** RVA of the exported code or data; undefined for forwarders. */
  rva?: number;
  /** "DLL.Function" or "DLL.#ordinal" when the export forwards elsewhere. */
  forwarder?: string;
}

export interface PeExportTable {
  /** The DLL name the directory gives (`ntoskrnl.exe`). */
  dllName: string;
  ordinalBase: number;
  timeDateStamp: number;
  exports: PeExport[];
}

/** Reads the export table; undefined when the image has none or it is not in memory (diagnostic). */
export async function readExports(image: PeImage, diag?: Diagnostics): Promise<PeExportTable | undefined> {
  const dir = image.directory(IMAGE_DIRECTORY_ENTRY.EXPORT);
  if (!dir) return undefined;
  const what = `export directory of the image at ${hex(image.base)}`;
  const head = await image.readRva(dir.virtualAddress, 40, what);
  if (!head) {
    diag?.add(`${what}: not in the dump`);
    return undefined;
  }
  const v = new StructView(head, dir.virtualAddress, 'IMAGE_EXPORT_DIRECTORY');
  const ordinalBase = v.u32(16);
  const numberOfFunctions = v.u32(20);
  const numberOfNames = v.u32(24);
  if (numberOfFunctions > PE_LIMITS.maxExports || numberOfNames > numberOfFunctions + PE_LIMITS.maxExports) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: ${numberOfFunctions} functions, ${numberOfNames} names (limit ${PE_LIMITS.maxExports})`, {
      offset: dir.virtualAddress + 20,
      length: 8,
    });
  }
  const functions = await image.readRva(v.u32(28), numberOfFunctions * 4, `${what}: AddressOfFunctions`);
  const names = numberOfNames ? await image.readRva(v.u32(32), numberOfNames * 4, `${what}: AddressOfNames`) : new Uint8Array(0);
  const ordinals = numberOfNames ? await image.readRva(v.u32(36), numberOfNames * 2, `${what}: AddressOfNameOrdinals`) : new Uint8Array(0);
  if (!functions || !names || !ordinals) {
    diag?.add(`${what}: its arrays are not all in the dump`);
    return undefined;
  }
  const fv = new DataView(functions.buffer, functions.byteOffset, functions.byteLength);
  const nv = new DataView(names.buffer, names.byteOffset, names.byteLength);
  const ov = new DataView(ordinals.buffer, ordinals.byteOffset, ordinals.byteLength);
  const nameOf = new Map<number, string>();
  for (let i = 0; i < numberOfNames; i++) {
    const index = ov.getUint16(i * 2, true);
    if (index >= numberOfFunctions) {
      diag?.add(`${what}: name ${i} points at function ${index}, past NumberOfFunctions ${numberOfFunctions}`);
      continue;
    }
    const name = await image.readCString(nv.getUint32(i * 4, true), `${what}: name ${i}`);
    if (name === undefined) diag?.add(`${what}: name ${i} is not in the dump`);
    else if (!nameOf.has(index)) nameOf.set(index, name);
  }
  const inDirectory = (rva: number) => rva >= dir.virtualAddress && rva < dir.virtualAddress + dir.size;
  const exports: PeExport[] = [];
  for (let i = 0; i < numberOfFunctions; i++) {
    const rva = fv.getUint32(i * 4, true);
    if (rva === 0) continue; // an unused ordinal slot
    const e: PeExport = { ordinal: ordinalBase + i };
    const name = nameOf.get(i);
    if (name !== undefined) e.name = name;
    if (inDirectory(rva)) e.forwarder = (await image.readCString(rva, `${what}: forwarder ${i}`)) ?? '';
    else e.rva = rva;
    exports.push(e);
  }
  const dllName = (await image.readCString(v.u32(12), `${what}: Name`)) ?? '';
  return { dllName, ordinalBase, timeDateStamp: v.u32(4), exports };
}
