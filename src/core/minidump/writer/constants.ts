/**
 * The on-disk numbers the writer uses, taken from the reader's table (../constants.ts) so both
 * sides share one source; plus the MINIDUMP_MEMORY_INFO values the writer produces.
 */
import { CvSignature, MinidumpType as ReaderMinidumpType, PlatformId, ProcessorArchitecture as ReaderArch } from '../constants.js';

export { MINIDUMP_SIGNATURE, MINIDUMP_VERSION, StreamType } from '../constants.js';

/** MINIDUMP_TYPE bits used in the header Flags (as bigint: the field is 64-bit). */
export const MinidumpType = {
  MiniDumpNormal: BigInt(ReaderMinidumpType.MiniDumpNormal),
  MiniDumpWithFullMemory: BigInt(ReaderMinidumpType.MiniDumpWithFullMemory),
  MiniDumpWithIndirectlyReferencedMemory: BigInt(ReaderMinidumpType.MiniDumpWithIndirectlyReferencedMemory),
  MiniDumpWithPrivateReadWriteMemory: BigInt(ReaderMinidumpType.MiniDumpWithPrivateReadWriteMemory),
  MiniDumpWithFullMemoryInfo: BigInt(ReaderMinidumpType.MiniDumpWithFullMemoryInfo),
  MiniDumpWithPrivateWriteCopyMemory: BigInt(ReaderMinidumpType.MiniDumpWithPrivateWriteCopyMemory),
  MiniDumpIgnoreInaccessibleMemory: BigInt(ReaderMinidumpType.MiniDumpIgnoreInaccessibleMemory),
} as const;

export const ProcessorArchitecture = {
  X86: ReaderArch.PROCESSOR_ARCHITECTURE_INTEL,
  AMD64: ReaderArch.PROCESSOR_ARCHITECTURE_AMD64,
  ARM64: ReaderArch.PROCESSOR_ARCHITECTURE_ARM64,
  ARM: ReaderArch.PROCESSOR_ARCHITECTURE_ARM,
} as const;
/** Breakpad's platform id for Linux. */
export const PLATFORM_LINUX = PlatformId.MD_OS_LINUX;
export const CODEVIEW_BPEL = CvSignature.BpEL;

export const MEM_COMMIT = 0x1000;
export const MEM_PRIVATE = 0x20000;
export const MEM_MAPPED = 0x40000;
export const MEM_IMAGE = 0x1000000;

export const PAGE_NOACCESS = 0x01;
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const PAGE_EXECUTE = 0x10;
export const PAGE_EXECUTE_READ = 0x20;
export const PAGE_EXECUTE_READWRITE = 0x40;
