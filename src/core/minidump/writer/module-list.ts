import { CODEVIEW_BPEL } from './constants.js';
import { StructBuilder, type Location } from './encode.js';
import type { ModuleRecord } from './model.js';

export const MINIDUMP_MODULE_SIZE = 108;

/** CodeView record for an ELF module: 'BpEL' signature followed by the build-id bytes. */
export function encodeElfCodeView(buildId: Uint8Array): Uint8Array {
  return new StructBuilder(4 + buildId.length).u32(0, CODEVIEW_BPEL).set(4, buildId).bytes;
}

export interface ModulePlacement {
  module: ModuleRecord;
  nameRva: number;
  cvRecord: Location;
}

/** MINIDUMP_MODULE_LIST: u32 count, then MINIDUMP_MODULE[count] (108 bytes each, pack(4)). */
export function encodeModuleList(modules: ModulePlacement[]): Uint8Array {
  const b = new StructBuilder(4 + modules.length * MINIDUMP_MODULE_SIZE);
  b.u32(0, modules.length);
  modules.forEach((m, i) => {
    const o = 4 + i * MINIDUMP_MODULE_SIZE;
    b.u64(o, m.module.base).u32(o + 8, m.module.size).u32(o + 12, 0).u32(o + 16, 0).u32(o + 20, m.nameRva);
    // VersionInfo (VS_FIXEDFILEINFO, 52 bytes at +24) stays zero: unknown on Linux.
    b.u32(o + 76, m.cvRecord.size).u32(o + 80, m.cvRecord.rva);
    // MiscRecord (+84) and Reserved0/1 (+92, +100) stay zero.
  });
  return b.bytes;
}
