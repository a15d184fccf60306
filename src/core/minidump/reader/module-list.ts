import type { StructView } from '../../bytes/struct-view.js';
import { StructView as SV } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { CvSignature, MINIDUMP_MODULE_SIZE, VS_FIXEDFILEINFO_SIGNATURE, type OsName } from '../constants.js';
import { MinidumpLimits } from '../limits.js';
import { countedList, location, readLocation, readMinidumpStringSoft, type MinidumpLocation, type StreamContext } from './common.js';

/** VS_FIXEDFILEINFO (52 bytes). */
export interface VsFixedFileInfo {
  signature: number;
  strucVersion: number;
  fileVersionMS: number;
  fileVersionLS: number;
  productVersionMS: number;
  productVersionLS: number;
  fileFlagsMask: number;
  fileFlags: number;
  fileOS: number;
  fileType: number;
  fileSubtype: number;
  fileDateMS: number;
  fileDateLS: number;
}

/** A decoded CodeView record. */
export type CodeViewRecord =
  | { kind: 'pdb70'; guid: Uint8Array; age: number; pdbFileName: string }
  | { kind: 'pdb20'; cvOffset: number; signature: number; age: number; pdbFileName: string }
  | { kind: 'elf'; buildId: Uint8Array }
  | { kind: 'unknown'; signature: number; bytes: Uint8Array };

/** The first 24 bytes MINIDUMP_MODULE and MINIDUMP_UNLOADED_MODULE share, with the name resolved. */
export interface MinidumpModuleHead {
  baseOfImage: bigint;
  sizeOfImage: number;
  checkSum: number;
  timeDateStamp: number;
  moduleNameRva: number;
  /** Module path (MINIDUMP_STRING at ModuleNameRva; '' when unreadable, with a diagnostic). */
  name: string;
}

/** u64 BaseOfImage; u32 SizeOfImage; u32 CheckSum; u32 TimeDateStamp; RVA ModuleNameRva. */
export async function readModuleHead(ctx: StreamContext, v: StructView, off: number, what: string): Promise<MinidumpModuleHead> {
  const moduleNameRva = v.u32(off + 20);
  return {
    baseOfImage: v.u64(off),
    sizeOfImage: v.u32(off + 8),
    checkSum: v.u32(off + 12),
    timeDateStamp: v.u32(off + 16),
    moduleNameRva,
    name: (await readMinidumpStringSoft(ctx, moduleNameRva, `${what}.ModuleName`)) ?? '',
  };
}

/** MINIDUMP_MODULE (108 bytes) with its strings and records resolved. */
export interface MinidumpModule extends MinidumpModuleHead {
  versionInfo: VsFixedFileInfo;
  cvRecordLocation: MinidumpLocation;
  miscRecordLocation: MinidumpLocation;
  cvRecord: CodeViewRecord | undefined;
}

function parseFixedFileInfo(v: StructView, off: number): VsFixedFileInfo {
  return {
    signature: v.u32(off),
    strucVersion: v.u32(off + 4),
    fileVersionMS: v.u32(off + 8),
    fileVersionLS: v.u32(off + 12),
    productVersionMS: v.u32(off + 16),
    productVersionLS: v.u32(off + 20),
    fileFlagsMask: v.u32(off + 24),
    fileFlags: v.u32(off + 28),
    fileOS: v.u32(off + 32),
    fileType: v.u32(off + 36),
    fileSubtype: v.u32(off + 40),
    fileDateMS: v.u32(off + 44),
    fileDateLS: v.u32(off + 48),
  };
}

/** "a.b.c.d" file version from VS_FIXEDFILEINFO, or undefined when the signature is not 0xFEEF04BD. */
export function moduleVersion(m: MinidumpModule): string | undefined {
  const vi = m.versionInfo;
  if (vi.signature !== VS_FIXEDFILEINFO_SIGNATURE) return undefined;
  return `${vi.fileVersionMS >>> 16}.${vi.fileVersionMS & 0xffff}.${vi.fileVersionLS >>> 16}.${vi.fileVersionLS & 0xffff}`;
}

function cString(bytes: Uint8Array): string {
  let end = bytes.indexOf(0);
  if (end < 0) end = bytes.length;
  return new TextDecoder('utf-8').decode(bytes.subarray(0, end));
}

/** Decodes a CodeView record (RSDS, NB10, BpEL; anything else kept raw). */
export function parseCodeView(v: StructView): CodeViewRecord | undefined {
  if (v.length < 4) return undefined;
  const sig = v.u32(0);
  if (sig === CvSignature.RSDS && v.length >= 24) {
    return { kind: 'pdb70', guid: v.raw(4, 16).slice(), age: v.u32(20), pdbFileName: cString(v.raw(24, v.length - 24)) };
  }
  if (sig === CvSignature.NB10 && v.length >= 16) {
    return { kind: 'pdb20', cvOffset: v.u32(4), signature: v.u32(8), age: v.u32(12), pdbFileName: cString(v.raw(16, v.length - 16)) };
  }
  if (sig === CvSignature.BpEL) return { kind: 'elf', buildId: v.raw(4, v.length - 4).slice() };
  return { kind: 'unknown', signature: sig, bytes: v.raw(0, v.length).slice() };
}

/** MINIDUMP_MODULE_LIST (stream 4): u32 count [+4 pad] + MINIDUMP_MODULE[count]; names and CV records resolved. */
export async function readModuleList(ctx: StreamContext, v: StructView): Promise<MinidumpModule[]> {
  const { count, start } = countedList(v, MINIDUMP_MODULE_SIZE, MinidumpLimits.maxModules, 'MINIDUMP_MODULE_LIST', ctx.diagnostics);
  const out: MinidumpModule[] = [];
  for (let i = 0; i < count; i++) {
    const off = start + i * MINIDUMP_MODULE_SIZE;
    const what = `MINIDUMP_MODULE[${i}]`;
    const cvLoc = location(v, off + 76);
    let cvRecord: CodeViewRecord | undefined;
    if (cvLoc.dataSize > 0) {
      try {
        cvRecord = parseCodeView(await readLocation(ctx.source, cvLoc, `${what}.CvRecord`, MinidumpLimits.maxCvRecordBytes));
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        ctx.diagnostics.add(e.message);
      }
    }
    out.push({
      ...(await readModuleHead(ctx, v, off, what)),
      versionInfo: parseFixedFileInfo(v, off + 24),
      cvRecordLocation: cvLoc,
      miscRecordLocation: location(v, off + 84),
      cvRecord,
    });
  }
  return out;
}

const hex2 = (b: number) => b.toString(16).padStart(2, '0');

/** A 16-byte GUID as Breakpad prints it: Data1..3 read little-endian, then Data4 bytes, upper-case, no dashes. */
function guidString(g: Uint8Array): string {
  const v = new SV(g, 0, 'GUID');
  return (
    v.u32(0).toString(16).padStart(8, '0') +
    v.u16(4).toString(16).padStart(4, '0') +
    v.u16(6).toString(16).padStart(4, '0') +
    Array.from(g.subarray(8, 16), hex2).join('')
  ).toUpperCase();
}

/**
 * Debug id as Breakpad and rust-minidump derive it: PDB70 GUID + age (%X); PDB20 signature (%08X) + age;
 * ELF build id: first 16 bytes (zero-padded) read as a GUID + "0". Undefined when the id is all zero.
 */
export function moduleDebugId(m: MinidumpModule): string | undefined {
  return m.cvRecord ? codeViewDebugId(m.cvRecord) : undefined;
}

/** The Breakpad debug id of a CodeView record (a minidump module's, or a PE image's debug directory's). */
export function codeViewDebugId(cv: CodeViewRecord): string | undefined {
  if (cv.kind === 'pdb70') {
    if (cv.guid.every((b) => b === 0) && cv.age === 0) return undefined;
    return guidString(cv.guid) + cv.age.toString(16).toUpperCase();
  }
  if (cv.kind === 'pdb20') return cv.signature.toString(16).padStart(8, '0').toUpperCase() + cv.age.toString(16).toUpperCase();
  if (cv.kind === 'elf') {
    if (cv.buildId.length === 0 || cv.buildId.every((b) => b === 0)) return undefined;
    const g = new Uint8Array(16);
    g.set(cv.buildId.subarray(0, 16));
    return guidString(g) + '0';
  }
  return undefined;
}

/**
 * Code id as Breakpad and rust-minidump derive it: Windows `%08X` TimeDateStamp + `%x` SizeOfImage;
 * Linux/Android/Fuchsia the ELF build id in lower-case hex; macOS/iOS none.
 */
export function moduleCodeId(m: MinidumpModule, os: OsName): string | undefined {
  if (os === 'windows') return m.timeDateStamp.toString(16).padStart(8, '0').toUpperCase() + m.sizeOfImage.toString(16);
  if (os === 'macos' || os === 'ios') return undefined;
  const cv = m.cvRecord;
  if (cv?.kind === 'elf' && cv.buildId.length > 0 && !cv.buildId.every((b) => b === 0)) return Array.from(cv.buildId, hex2).join('');
  return undefined;
}

/** Debug file: the PDB path for PDB records, else the module path. */
export function moduleDebugFile(m: MinidumpModule): string | undefined {
  const cv = m.cvRecord;
  if (cv?.kind === 'pdb70' || cv?.kind === 'pdb20') return cv.pdbFileName;
  if (cv?.kind === 'elf') return m.name;
  return undefined;
}
