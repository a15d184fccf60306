/**
 * The few on-disk numbers the writer needs (Microsoft minidumpapiset.h, Breakpad minidump_format.h).
 * Kept here until the reader's src/core/minidump/constants.ts lands on main; then the writer switches.
 */
export const MINIDUMP_SIGNATURE = 0x504d444d; // 'MDMP'
export const MINIDUMP_VERSION = 0xa793;

export const StreamType = {
  ThreadListStream: 3,
  ModuleListStream: 4,
  MemoryListStream: 5,
  ExceptionStream: 6,
  SystemInfoStream: 7,
  Memory64ListStream: 9,
  MiscInfoStream: 15,
  MemoryInfoListStream: 16,
  ThreadNamesStream: 24,
  LinuxCpuInfo: 0x47670003,
  LinuxProcStatus: 0x47670004,
  LinuxLsbRelease: 0x47670005,
  LinuxCmdLine: 0x47670006,
  LinuxEnviron: 0x47670007,
  LinuxAuxv: 0x47670008,
  LinuxMaps: 0x47670009,
  LinuxDsoDebug: 0x4767000a,
} as const;

/** MINIDUMP_TYPE bits used in the header Flags. */
export const MinidumpType = {
  MiniDumpNormal: 0x0n,
  MiniDumpWithFullMemory: 0x2n,
  MiniDumpWithIndirectlyReferencedMemory: 0x40n,
  MiniDumpWithPrivateReadWriteMemory: 0x200n,
  MiniDumpWithFullMemoryInfo: 0x800n,
  MiniDumpWithThreadInfo: 0x1000n,
  MiniDumpWithPrivateWriteCopyMemory: 0x10000n,
  MiniDumpIgnoreInaccessibleMemory: 0x20000n,
} as const;

export const ProcessorArchitecture = { X86: 0, AMD64: 9 } as const;
/** Breakpad's platform id for Linux. */
export const PLATFORM_LINUX = 0x8201;

export const CODEVIEW_BPEL = 0x4270454c; // 'LEpB' on disk

export const MEM_COMMIT = 0x1000;
export const MEM_PRIVATE = 0x20000;
export const MEM_MAPPED = 0x40000;
export const MEM_IMAGE = 0x1000000;

export const PAGE_NOACCESS = 0x01;
export const PAGE_READONLY = 0x02;
export const PAGE_READWRITE = 0x04;
export const PAGE_WRITECOPY = 0x08;
export const PAGE_EXECUTE = 0x10;
export const PAGE_EXECUTE_READ = 0x20;
export const PAGE_EXECUTE_READWRITE = 0x40;
export const PAGE_EXECUTE_WRITECOPY = 0x80;

/** Breakpad's "dump requested" exception code (no crash). */
export const MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED = 0xffffffff;
