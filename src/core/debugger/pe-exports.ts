/**
 * Names for `ln`, `x` and `module!symbol` where no symbol file is loaded: a PE image's export
 * table, read from the dump's memory (IMAGE_DOS_HEADER → IMAGE_NT_HEADERS → the export data
 * directory → IMAGE_EXPORT_DIRECTORY). Bounded: at most 65536 names, 16 MiB of tables.
 */
import { DumpError } from '../errors.js';

export interface ExportedSymbol {
  name: string;
  address: bigint;
}

const MAX_NAMES = 65536;

type Reader = (address: bigint, length: number) => Promise<Uint8Array>;

function dv(b: Uint8Array): DataView {
  return new DataView(b.buffer, b.byteOffset, b.byteLength);
}

/** The exports of the image at `base`, sorted by address; [] when its headers are not in the dump or not PE. */
export async function readPeExports(read: Reader, base: bigint, imageSize: bigint): Promise<ExportedSymbol[]> {
  try {
    const dos = await read(base, 0x40);
    if (dos[0] !== 0x4d || dos[1] !== 0x5a) return [];
    const lfanew = dv(dos).getUint32(0x3c, true);
    if (lfanew > 0x1000) return [];
    const nt = await read(base + BigInt(lfanew), 0x108);
    const v = dv(nt);
    if (v.getUint32(0, true) !== 0x4550) return [];
    const opt = 24;
    const magic = v.getUint16(opt, true);
    const dirOff = magic === 0x20b ? opt + 112 : magic === 0x10b ? opt + 96 : -1;
    if (dirOff < 0) return [];
    const exportRva = v.getUint32(dirOff, true);
    const exportSize = v.getUint32(dirOff + 4, true);
    if (exportRva === 0 || BigInt(exportRva) >= imageSize) return [];
    const ed = dv(await read(base + BigInt(exportRva), 40));
    const numberOfFunctions = ed.getUint32(0x14, true);
    const numberOfNames = Math.min(ed.getUint32(0x18, true), MAX_NAMES);
    if (numberOfFunctions > MAX_NAMES * 4) return [];
    const functions = dv(await read(base + BigInt(ed.getUint32(0x1c, true)), numberOfFunctions * 4));
    const names = dv(await read(base + BigInt(ed.getUint32(0x20, true)), numberOfNames * 4));
    const ordinals = dv(await read(base + BigInt(ed.getUint32(0x24, true)), numberOfNames * 2));
    const out: ExportedSymbol[] = [];
    for (let i = 0; i < numberOfNames; i++) {
      const ord = ordinals.getUint16(i * 2, true);
      if (ord >= numberOfFunctions) continue;
      const rva = functions.getUint32(ord * 4, true);
      if (rva >= exportRva && rva < exportRva + exportSize) continue; // a forwarder string, not code
      const name = await readCString(read, base + BigInt(names.getUint32(i * 4, true)));
      if (name) out.push({ name, address: base + BigInt(rva) });
    }
    return out.sort((a, b) => (a.address < b.address ? -1 : a.address > b.address ? 1 : a.name < b.name ? -1 : 1));
  } catch (e) {
    if (e instanceof DumpError) return [];
    throw e;
  }
}

async function readCString(read: Reader, at: bigint): Promise<string> {
  let s = '';
  for (let chunk = 0; chunk < 4; chunk++) {
    let b: Uint8Array;
    try {
      b = await read(at + BigInt(chunk * 64), 64);
    } catch (e) {
      if (e instanceof DumpError && chunk > 0) return s;
      throw e;
    }
    for (const c of b) {
      if (c === 0) return s;
      s += String.fromCharCode(c);
    }
  }
  return s;
}
