/**
 * The debug directory (IMAGE_DEBUG_DIRECTORY entries) and its CodeView record: the PDB's name and
 * the Breakpad debug id (GUID + age), formatted as for minidump modules.
 */
import { StructView } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { hex } from '../hex.js';
import { codeViewDebugId, parseCodeView, type CodeViewRecord } from '../minidump/reader/module-list.js';
import { IMAGE_DIRECTORY_ENTRY, type PeImage } from './image.js';
import { PE_LIMITS } from './limits.js';

export const IMAGE_DEBUG_TYPE_CODEVIEW = 2;

export interface PeDebugEntry {
  type: number;
  timeDateStamp: number;
  sizeOfData: number;
  addressOfRawData: number;
  pointerToRawData: number;
}

export interface PeCodeView {
  record: CodeViewRecord;
  /** Breakpad debug id (33 hex digits for PDB 7.0). */
  debugId?: string;
  /** PDB path as the linker wrote it. */
  pdbFileName?: string;
}

export async function readDebugDirectory(image: PeImage, diag?: Diagnostics): Promise<PeDebugEntry[]> {
  const dir = image.directory(IMAGE_DIRECTORY_ENTRY.DEBUG);
  if (!dir) return [];
  const count = Math.min(Math.floor(dir.size / 28), PE_LIMITS.maxDebugEntries);
  const bytes = await image.readRva(dir.virtualAddress, count * 28, `debug directory of the image at ${hex(image.base)}`);
  if (!bytes) {
    diag?.add(`debug directory of the image at ${hex(image.base)}: not in the dump`);
    return [];
  }
  const v = new StructView(bytes, dir.virtualAddress, 'IMAGE_DEBUG_DIRECTORY');
  const out: PeDebugEntry[] = [];
  for (let i = 0; i < count; i++) {
    const o = i * 28;
    out.push({ timeDateStamp: v.u32(o + 4), type: v.u32(o + 12), sizeOfData: v.u32(o + 16), addressOfRawData: v.u32(o + 20), pointerToRawData: v.u32(o + 24) });
  }
  return out;
}

/** The first CodeView entry's record (RSDS / NB10), read from the mapped image. */
export async function readCodeView(image: PeImage, diag?: Diagnostics): Promise<PeCodeView | undefined> {
  for (const e of await readDebugDirectory(image, diag)) {
    if (e.type !== IMAGE_DEBUG_TYPE_CODEVIEW || e.addressOfRawData === 0 || e.sizeOfData < 4) continue;
    const n = Math.min(e.sizeOfData, PE_LIMITS.maxCodeViewBytes);
    const bytes = await image.readRva(e.addressOfRawData, n, `CodeView record of the image at ${hex(image.base)}`);
    if (!bytes) {
      diag?.add(`CodeView record of the image at ${hex(image.base)}: not in the dump`);
      return undefined;
    }
    const record = parseCodeView(new StructView(bytes, e.addressOfRawData, 'CodeView record'));
    if (!record) continue;
    const out: PeCodeView = { record };
    const id = codeViewDebugId(record);
    if (id !== undefined) out.debugId = id;
    if (record.kind === 'pdb70' || record.kind === 'pdb20') out.pdbFileName = record.pdbFileName;
    return out;
  }
  return undefined;
}

/** Breakpad's code id of a PE image: TimeDateStamp (%08X) + SizeOfImage (%x). */
export function peCodeId(image: PeImage): string {
  return image.headers.timeDateStamp.toString(16).padStart(8, '0').toUpperCase() + image.headers.sizeOfImage.toString(16);
}
