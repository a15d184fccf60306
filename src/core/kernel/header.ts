/**
 * DUMP_HEADER64 (0x2000 bytes, `PAGEDU64`) and DUMP_HEADER32 (0x1000 bytes, `PAGEDUMP`): layout,
 * parser and builder. Fields Windows did not set hold the filler dword `PAGE` (0x45474150); the
 * parser reports them as `undefined` ("not set"). Notes: kernel-dump-format.md §1.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { readStruct, StructView } from '../bytes/struct-view.js';
import { DumpError } from '../errors.js';
import { PHYSICAL_FRAME_MASK } from './limits.js';

export const PAGE_SIZE = 0x1000;
export const PAGE_FILLER32 = 0x45474150; // 'PAGE'
export const PAGE_FILLER64 = 0x4547415045474150n;
export const SIG_PAGE = 0x45474150;
export const VALID_DU64 = 0x34365544;
export const VALID_DUMP = 0x504d5544;

export const IMAGE_FILE_MACHINE_I386 = 0x014c;
export const IMAGE_FILE_MACHINE_AMD64 = 0x8664;
export const IMAGE_FILE_MACHINE_ARM64 = 0xaa64;

/** DUMP_HEADER64 field offsets. */
export const DUMP_HEADER64 = {
  size: 0x2000,
  Signature: 0x0,
  ValidDump: 0x4,
  MajorVersion: 0x8,
  MinorVersion: 0xc,
  DirectoryTableBase: 0x10,
  PfnDataBase: 0x18,
  PsLoadedModuleList: 0x20,
  PsActiveProcessHead: 0x28,
  MachineImageType: 0x30,
  NumberProcessors: 0x34,
  BugCheckCode: 0x38,
  BugCheckParameters: 0x40,
  VersionUser: 0x60,
  KdDebuggerDataBlock: 0x80,
  PhysicalMemoryBlock: 0x88,
  PhysicalMemoryBlockSize: 704,
  ContextRecord: 0x348,
  ContextRecordSize: 3000,
  Exception: 0xf00,
  DumpType: 0xf98,
  RequiredDumpSpace: 0xfa0,
  SystemTime: 0xfa8,
  Comment: 0xfb0,
  CommentSize: 128,
  SystemUpTime: 0x1030,
  MiniDumpFields: 0x1038,
  SecondaryDataState: 0x103c,
  ProductType: 0x1040,
  SuiteMask: 0x1044,
  WriterStatus: 0x1048,
  KdSecondaryVersion: 0x104d,
  Attributes: 0x1050,
  BootId: 0x1054,
} as const;
/** Most runs that fit the 64-bit PHYSICAL_MEMORY_DESCRIPTOR64 in the header: (704 − 16) / 16. */
export const MAX_RUNS64 = 43;
/**
 * Most runs dumpkit writes: kdmp-parser-rs reads the descriptor from a 700-byte buffer, so a 43rd
 * run (bytes 0x2C0..0x2D0, past 700) makes it fail with UnexpectedEof. 42 runs fit every reader.
 */
export const MAX_WRITTEN_RUNS64 = 42;

/** DUMP_HEADER32 field offsets. */
export const DUMP_HEADER32 = {
  size: 0x1000,
  Signature: 0x0,
  ValidDump: 0x4,
  MajorVersion: 0x8,
  MinorVersion: 0xc,
  DirectoryTableBase: 0x10,
  PfnDataBase: 0x14,
  PsLoadedModuleList: 0x18,
  PsActiveProcessHead: 0x1c,
  MachineImageType: 0x20,
  NumberProcessors: 0x24,
  BugCheckCode: 0x28,
  BugCheckParameters: 0x2c,
  VersionUser: 0x3c,
  PaeEnabled: 0x5c,
  KdSecondaryVersion: 0x5d,
  KdDebuggerDataBlock: 0x60,
  PhysicalMemoryBlock: 0x64,
  PhysicalMemoryBlockSize: 700,
  ContextRecord: 0x320,
  ContextRecordSize: 1200,
  Exception: 0x7d0,
  Comment: 0x820,
  CommentSize: 128,
  Attributes: 0x8a0,
  BootId: 0x8a4,
  DumpType: 0xf88,
  MiniDumpFields: 0xf8c,
  SecondaryDataState: 0xf90,
  ProductType: 0xf94,
  SuiteMask: 0xf98,
  WriterStatus: 0xf9c,
  RequiredDumpSpace: 0xfa0,
  SystemUpTime: 0xfb8,
  SystemTime: 0xfc0,
} as const;
export const MAX_RUNS32 = 86;

/** EXCEPTION_RECORD64 (0x98 bytes). */
export const EXCEPTION_RECORD64 = {
  size: 0x98,
  ExceptionCode: 0x0,
  ExceptionFlags: 0x4,
  ExceptionRecord: 0x8,
  ExceptionAddress: 0x10,
  NumberParameters: 0x18,
  ExceptionInformation: 0x20,
} as const;
/** EXCEPTION_RECORD32 (0x50 bytes). */
export const EXCEPTION_RECORD32 = { size: 0x50 } as const;

export const DUMP_TYPE_NAMES: Record<number, string> = {
  0: 'DUMP_TYPE_UNKNOWN',
  1: 'DUMP_TYPE_FULL',
  2: 'DUMP_TYPE_SUMMARY',
  3: 'DUMP_TYPE_HEADER',
  4: 'DUMP_TYPE_TRIAGE',
  5: 'DUMP_TYPE_BITMAP_FULL',
  6: 'DUMP_TYPE_BITMAP_KERNEL',
  7: 'DUMP_TYPE_AUTOMATIC',
  8: 'KernelMemoryDump (RDMP)',
  9: 'KernelAndUserMemoryDump (RDMP)',
  10: 'CompleteMemoryDump (RDMP)',
};

/** DUMP_FILE_ATTRIBUTES bits (u32 at Attributes). */
export const DUMP_FILE_ATTRIBUTE_NAMES = [
  'HiberCrash',
  'DumpDevicePowerOff',
  'InsufficientDumpfileSize',
  'KernelGeneratedTriageDump',
  'LiveDumpGeneratedDump',
  'DumpIsGeneratedOffline',
  'FilterDumpFile',
  'EarlyBootCrash',
  'EncryptedDumpData',
  'DecryptedDump',
] as const;
export const ATTRIBUTE_LIVE_DUMP = 0x10;

export interface PhysicalMemoryRun {
  basePage: number;
  pageCount: number;
}

export interface ExceptionRecord {
  code: number;
  flags: number;
  record: bigint;
  address: bigint;
  numberParameters: number;
  information: bigint[];
}

/** A parsed kernel dump header. `undefined` = the field holds the `PAGE` filler (not set). */
export interface KernelDumpHeader {
  is64: boolean;
  headerSize: number;
  majorVersion: number | undefined;
  minorVersion: number | undefined;
  directoryTableBase: bigint;
  pfnDataBase: bigint | undefined;
  psLoadedModuleList: bigint | undefined;
  psActiveProcessHead: bigint | undefined;
  machineImageType: number;
  numberProcessors: number | undefined;
  bugCheckCode: number | undefined;
  bugCheckParameters: [bigint, bigint, bigint, bigint];
  kdDebuggerDataBlock: bigint | undefined;
  /** 32-bit headers only. */
  paeEnabled: boolean | undefined;
  kdSecondaryVersion: number | undefined;
  /** Undefined when filler (types other than 1) or not plausible. */
  physicalMemoryBlock: { numberOfPages: bigint; runs: PhysicalMemoryRun[] } | undefined;
  /** Raw ContextRecord region (3000 or 1200 bytes); interpret with context.ts. */
  contextBytes: Uint8Array;
  exception: ExceptionRecord | undefined;
  dumpType: number;
  requiredDumpSpace: bigint | undefined;
  systemTime: bigint | undefined;
  systemUpTime: bigint | undefined;
  comment: string | undefined;
  miniDumpFields: number | undefined;
  secondaryDataState: number | undefined;
  productType: number | undefined;
  suiteMask: number | undefined;
  writerStatus: number | undefined;
  attributes: number | undefined;
  bootId: number | undefined;
}

const set32 = (v: number): number | undefined => (v === PAGE_FILLER32 ? undefined : v);
const set64 = (v: bigint): bigint | undefined => (v === PAGE_FILLER64 ? undefined : v);

function readException64(v: StructView, off: number): ExceptionRecord | undefined {
  if (v.u32(off) === PAGE_FILLER32 && v.u32(off + 4) === PAGE_FILLER32) return undefined;
  const n = v.u32(off + EXCEPTION_RECORD64.NumberParameters);
  const information: bigint[] = [];
  for (let i = 0; i < Math.min(n, 15); i++) information.push(v.u64(off + EXCEPTION_RECORD64.ExceptionInformation + 8 * i));
  return {
    code: v.u32(off),
    flags: v.u32(off + 4),
    record: v.u64(off + 8),
    address: v.u64(off + 0x10),
    numberParameters: n,
    information,
  };
}

function readException32(v: StructView, off: number): ExceptionRecord | undefined {
  if (v.u32(off) === PAGE_FILLER32 && v.u32(off + 4) === PAGE_FILLER32) return undefined;
  const n = v.u32(off + 0x10);
  const information: bigint[] = [];
  for (let i = 0; i < Math.min(n, 15); i++) information.push(BigInt(v.u32(off + 0x14 + 4 * i)));
  return { code: v.u32(off), flags: v.u32(off + 4), record: BigInt(v.u32(off + 8)), address: BigInt(v.u32(off + 0xc)), numberParameters: n, information };
}

function asciiField(v: StructView, off: number, n: number): string | undefined {
  if (v.u32(off) === PAGE_FILLER32) return undefined;
  const s = v.ascii(off, n);
  return s.length ? s : undefined;
}

/** Reads and checks the main header of a PAGEDUMP/PAGEDU64 file. */
export async function readKernelHeader(source: ByteSource): Promise<KernelDumpHeader> {
  if (source.size < 8) throw new DumpError('TRUNCATED', `${source.name} is too small for a kernel dump header`, { offset: 0, length: source.size });
  const sig = await readStruct(source, 0, 8, 'DUMP_HEADER');
  if (sig.u32(0) !== SIG_PAGE) throw new DumpError('BAD_SIGNATURE', `DUMP_HEADER.Signature is not PAGE`, { offset: 0, length: 4 });
  const valid = sig.u32(4);
  if (valid === VALID_DU64) return parseHeader64(await readStruct(source, 0, DUMP_HEADER64.size, 'DUMP_HEADER64'));
  if (valid === VALID_DUMP) return parseHeader32(await readStruct(source, 0, DUMP_HEADER32.size, 'DUMP_HEADER32'));
  throw new DumpError('BAD_SIGNATURE', `DUMP_HEADER.ValidDump is 0x${valid.toString(16)}, not DU64 or DUMP`, { offset: 4, length: 4 });
}

function readRuns(v: StructView, off: number, is64: boolean, dumpType: number): KernelDumpHeader['physicalMemoryBlock'] {
  const n = v.u32(off);
  if (n === PAGE_FILLER32) return undefined;
  const max = is64 ? MAX_RUNS64 : MAX_RUNS32;
  if (n > max) {
    if (dumpType === 1) {
      throw new DumpError('COUNT_TOO_LARGE', `PHYSICAL_MEMORY_DESCRIPTOR.NumberOfRuns is ${n}; at most ${max} fit in the header`, {
        offset: off,
        length: 4,
      });
    }
    return undefined;
  }
  const runs: PhysicalMemoryRun[] = [];
  const entry = is64 ? 16 : 8;
  const first = is64 ? off + 0x10 : off + 8;
  for (let i = 0; i < n; i++) {
    const at = first + i * entry;
    const basePage = is64 ? v.u64n(at) : v.u32(at);
    const pageCount = is64 ? v.u64n(at + 8) : v.u32(at + 4);
    runs.push({ basePage, pageCount });
  }
  const numberOfPages = is64 ? v.u64(off + 8) : BigInt(v.u32(off + 4));
  return { numberOfPages, runs };
}

type CommonLayout = { [K in 'RequiredDumpSpace' | 'SystemTime' | 'SystemUpTime' | 'Comment' | 'CommentSize' | 'MiniDumpFields' | 'SecondaryDataState' | 'ProductType' | 'SuiteMask' | 'WriterStatus' | 'Attributes' | 'BootId']: number };

/** Fields both header layouts have (at different offsets). */
function commonFields(v: StructView, H: CommonLayout) {
  return {
    requiredDumpSpace: set64(v.u64(H.RequiredDumpSpace)),
    systemTime: set64(v.u64(H.SystemTime)),
    systemUpTime: set64(v.u64(H.SystemUpTime)),
    comment: asciiField(v, H.Comment, H.CommentSize),
    miniDumpFields: set32(v.u32(H.MiniDumpFields)),
    secondaryDataState: set32(v.u32(H.SecondaryDataState)),
    productType: set32(v.u32(H.ProductType)),
    suiteMask: set32(v.u32(H.SuiteMask)),
    writerStatus: set32(v.u32(H.WriterStatus)),
    attributes: set32(v.u32(H.Attributes)),
    bootId: set32(v.u32(H.BootId)),
  };
}

export function parseHeader64(v: StructView): KernelDumpHeader {
  const H = DUMP_HEADER64;
  const dumpType = v.u32(H.DumpType);
  const params: [bigint, bigint, bigint, bigint] = [0n, 1n, 2n, 3n].map((i) => v.u64(H.BugCheckParameters + Number(i) * 8)) as [
    bigint,
    bigint,
    bigint,
    bigint,
  ];
  const machine = v.u32(H.MachineImageType);
  return {
    is64: true,
    headerSize: H.size,
    majorVersion: set32(v.u32(H.MajorVersion)),
    minorVersion: set32(v.u32(H.MinorVersion)),
    directoryTableBase: v.u64(H.DirectoryTableBase),
    pfnDataBase: set64(v.u64(H.PfnDataBase)),
    psLoadedModuleList: set64(v.u64(H.PsLoadedModuleList)),
    psActiveProcessHead: set64(v.u64(H.PsActiveProcessHead)),
    machineImageType: machine,
    numberProcessors: set32(v.u32(H.NumberProcessors)),
    bugCheckCode: set32(v.u32(H.BugCheckCode)),
    bugCheckParameters: params,
    kdDebuggerDataBlock: set64(v.u64(H.KdDebuggerDataBlock)),
    paeEnabled: undefined,
    kdSecondaryVersion: v.u8(H.KdSecondaryVersion) === 0x41 ? undefined : v.u8(H.KdSecondaryVersion),
    physicalMemoryBlock: readRuns(v, H.PhysicalMemoryBlock, true, dumpType),
    contextBytes: v.raw(H.ContextRecord, H.ContextRecordSize),
    exception: readException64(v, H.Exception),
    dumpType,
    ...commonFields(v, H),
  };
}

export function parseHeader32(v: StructView): KernelDumpHeader {
  const H = DUMP_HEADER32;
  const dumpType = v.u32(H.DumpType);
  const params = [0, 1, 2, 3].map((i) => BigInt(v.u32(H.BugCheckParameters + i * 4))) as [bigint, bigint, bigint, bigint];
  const u32x = (off: number): bigint | undefined => {
    const x = v.u32(off);
    return x === PAGE_FILLER32 ? undefined : BigInt(x);
  };
  const pae = v.u8(H.PaeEnabled);
  return {
    is64: false,
    headerSize: H.size,
    majorVersion: set32(v.u32(H.MajorVersion)),
    minorVersion: set32(v.u32(H.MinorVersion)),
    directoryTableBase: BigInt(v.u32(H.DirectoryTableBase)),
    pfnDataBase: u32x(H.PfnDataBase),
    psLoadedModuleList: u32x(H.PsLoadedModuleList),
    psActiveProcessHead: u32x(H.PsActiveProcessHead),
    machineImageType: v.u32(H.MachineImageType),
    numberProcessors: set32(v.u32(H.NumberProcessors)),
    bugCheckCode: set32(v.u32(H.BugCheckCode)),
    bugCheckParameters: params,
    kdDebuggerDataBlock: u32x(H.KdDebuggerDataBlock),
    paeEnabled: pae === 0x50 ? undefined : pae !== 0,
    kdSecondaryVersion: v.u8(H.KdSecondaryVersion) === 0x41 ? undefined : v.u8(H.KdSecondaryVersion),
    physicalMemoryBlock: readRuns(v, H.PhysicalMemoryBlock, false, dumpType),
    contextBytes: v.raw(H.ContextRecord, H.ContextRecordSize),
    exception: readException32(v, H.Exception),
    dumpType,
    ...commonFields(v, H),
  };
}

/**
 * The header's DirectoryTableBase without PCID/flag bits (a PAE PDPT is only 32-byte aligned; an
 * ARM64 TTBR carries the ASID in bits 48..63 and CnP in bit 0), and without the bits above the
 * 52-bit physical address space (reserved in CR3; `dtbReservedBits` says when a file sets them).
 */
export function dtbOf(header: KernelDumpHeader): bigint {
  if (header.machineImageType === IMAGE_FILE_MACHINE_ARM64) return header.directoryTableBase & 0x0000fffffffff000n;
  return header.directoryTableBase & (header.paeEnabled ? PHYSICAL_FRAME_MASK | 0xfe0n : PHYSICAL_FRAME_MASK);
}

/** The bits of an x86/x64 header DirectoryTableBase above the physical address space (bits 52..63), or 0n. */
export function dtbReservedBits(header: KernelDumpHeader): bigint {
  if (header.machineImageType === IMAGE_FILE_MACHINE_ARM64) return 0n;
  return header.directoryTableBase & ~(PHYSICAL_FRAME_MASK | 0xfffn);
}

/** 0x2000 (or 0x1000) bytes of `PAGE` filler: the starting point of every header Windows writes. */
export function filledHeader(size: number): Uint8Array {
  const b = new Uint8Array(size);
  const v = new DataView(b.buffer);
  for (let i = 0; i < size; i += 4) v.setUint32(i, PAGE_FILLER32, true);
  return b;
}
