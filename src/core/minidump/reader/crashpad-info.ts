import { StructView, readStruct } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MinidumpLimits } from '../limits.js';
import { location, readLocation, readUtf8String, type MinidumpLocation, type StreamContext } from './common.js';

/** A Crashpad annotation object (MinidumpAnnotation): name, type, value bytes. */
export interface CrashpadAnnotation {
  name: string;
  type: number;
  value: Uint8Array;
}

export interface CrashpadModuleInfo {
  moduleListIndex: number;
  version: number;
  listAnnotations: string[];
  simpleAnnotations: Record<string, string>;
  annotationObjects: CrashpadAnnotation[];
}

/** MinidumpCrashpadInfo (stream 0x43500001; 52 or 64 bytes). */
export interface CrashpadInfo {
  version: number;
  reportId: string;
  clientId: string;
  simpleAnnotations: Record<string, string>;
  modules: CrashpadModuleInfo[];
  addressMask?: bigint;
}

function checkCount(count: number, entry: number, loc: MinidumpLocation, what: string): void {
  if (count > MinidumpLimits.maxAnnotations || 4 + count * entry > loc.dataSize) {
    throw new DumpError('COUNT_TOO_LARGE', `${what}: count ${count} does not fit ${loc.dataSize} bytes`, { offset: loc.rva, length: loc.dataSize });
  }
}

/** MinidumpSimpleStringDictionary: u32 count + {RVA key; RVA value} → MinidumpUTF8String. */
async function readDictionary(ctx: StreamContext, loc: MinidumpLocation, what: string): Promise<Record<string, string>> {
  const out: Record<string, string> = {};
  if (loc.dataSize === 0) return out;
  const v = await readLocation(ctx.source, loc, what);
  const count = v.u32(0);
  checkCount(count, 8, loc, what);
  for (let i = 0; i < count; i++) {
    const key = await readUtf8String(ctx.source, v.u32(4 + i * 8), `${what}[${i}].key`);
    out[key] = await readUtf8String(ctx.source, v.u32(8 + i * 8), `${what}[${i}].value`);
  }
  return out;
}

/** MinidumpRVAList of MinidumpUTF8String. */
async function readStringList(ctx: StreamContext, loc: MinidumpLocation, what: string): Promise<string[]> {
  if (loc.dataSize === 0) return [];
  const v = await readLocation(ctx.source, loc, what);
  const count = v.u32(0);
  checkCount(count, 4, loc, what);
  const out: string[] = [];
  for (let i = 0; i < count; i++) out.push(await readUtf8String(ctx.source, v.u32(4 + i * 4), `${what}[${i}]`));
  return out;
}

/** MinidumpAnnotationList: u32 count + {RVA name; u16 type; u16 reserved; RVA value → MinidumpByteArray}. */
async function readAnnotations(ctx: StreamContext, loc: MinidumpLocation, what: string): Promise<CrashpadAnnotation[]> {
  if (loc.dataSize === 0) return [];
  const v = await readLocation(ctx.source, loc, what);
  const count = v.u32(0);
  checkCount(count, 12, loc, what);
  const out: CrashpadAnnotation[] = [];
  for (let i = 0; i < count; i++) {
    const off = 4 + i * 12;
    const name = await readUtf8String(ctx.source, v.u32(off), `${what}[${i}].name`);
    const valueRva = v.u32(off + 8);
    const lenView = await readStruct(ctx.source, valueRva, 4, `${what}[${i}].value`);
    const len = lenView.u32(0);
    const value = (await readLocation(ctx.source, { rva: valueRva + 4, dataSize: len }, `${what}[${i}].value`, MinidumpLimits.maxStringBytes)).bytes.slice();
    out.push({ name, type: v.u16(off + 4), value });
  }
  return out;
}

export async function readCrashpadInfo(ctx: StreamContext, v: StructView): Promise<CrashpadInfo> {
  const what = 'MinidumpCrashpadInfo';
  if (v.length < 52) throw new DumpError('BAD_SIZE', `${what} is ${v.length} bytes, needs 52 or 64`, { offset: v.fileOffset, length: v.length });
  const info: CrashpadInfo = {
    version: v.u32(0),
    reportId: v.guid(4),
    clientId: v.guid(20),
    simpleAnnotations: await readDictionary(ctx, location(v, 36), `${what}.simple_annotations`),
    modules: [],
  };
  if (v.length >= 64) info.addressMask = v.u64(56);
  const ml = location(v, 44);
  if (ml.dataSize > 0) {
    const lv = await readLocation(ctx.source, ml, `${what}.module_list`);
    const count = lv.u32(0);
    checkCount(count, 12, ml, `${what}.module_list`);
    for (let i = 0; i < count; i++) {
      const off = 4 + i * 12;
      const mwhat = `MinidumpModuleCrashpadInfo[${i}]`;
      const mv: StructView = await readLocation(ctx.source, location(lv, off + 4), mwhat);
      info.modules.push({
        moduleListIndex: lv.u32(off),
        version: mv.u32(0),
        listAnnotations: await readStringList(ctx, location(mv, 4), `${mwhat}.list_annotations`),
        simpleAnnotations: await readDictionary(ctx, location(mv, 12), `${mwhat}.simple_annotations`),
        annotationObjects: mv.length >= 28 ? await readAnnotations(ctx, location(mv, 20), `${mwhat}.annotation_objects`) : [],
      });
    }
  }
  return info;
}
