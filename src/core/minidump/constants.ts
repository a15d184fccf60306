/**
 * Minidump (MDMP) numbers and names: stream types, MINIDUMP_TYPE flags, processor architectures,
 * platform ids, CodeView signatures, exception codes. Shared by the reader and the writer.
 * Sources: minidumpapiset.h, Breakpad minidump_format.h, Crashpad minidump_extensions.h (facts only).
 */

export const MINIDUMP_SIGNATURE = 0x504d444d; // 'MDMP'
export const MINIDUMP_VERSION = 0xa793; // low 16 bits of Version
export const MINIDUMP_HEADER_SIZE = 32;
export const MINIDUMP_DIRECTORY_SIZE = 12;
export const MINIDUMP_THREAD_SIZE = 48;
export const MINIDUMP_THREAD_EX_SIZE = 64;
export const MINIDUMP_MODULE_SIZE = 108;
export const MINIDUMP_MEMORY_DESCRIPTOR_SIZE = 16;
export const MINIDUMP_MEMORY_DESCRIPTOR64_SIZE = 16;
export const MINIDUMP_EXCEPTION_STREAM_SIZE = 168;
export const MINIDUMP_SYSTEM_INFO_SIZE = 56;
export const MINIDUMP_UNLOADED_MODULE_SIZE = 24;
export const MINIDUMP_MEMORY_INFO_SIZE = 48;
export const MINIDUMP_THREAD_INFO_SIZE = 64;
export const MINIDUMP_THREAD_NAME_SIZE = 12;
export const VS_FIXEDFILEINFO_SIZE = 52;
export const VS_FIXEDFILEINFO_SIGNATURE = 0xfeef04bd;

/** MINIDUMP_STREAM_TYPE plus vendor streams. */
export const StreamType = {
  UnusedStream: 0,
  ReservedStream0: 1,
  ReservedStream1: 2,
  ThreadListStream: 3,
  ModuleListStream: 4,
  MemoryListStream: 5,
  ExceptionStream: 6,
  SystemInfoStream: 7,
  ThreadExListStream: 8,
  Memory64ListStream: 9,
  CommentStreamA: 10,
  CommentStreamW: 11,
  HandleDataStream: 12,
  FunctionTableStream: 13,
  UnloadedModuleListStream: 14,
  MiscInfoStream: 15,
  MemoryInfoListStream: 16,
  ThreadInfoListStream: 17,
  HandleOperationListStream: 18,
  TokenStream: 19,
  JavaScriptDataStream: 20,
  SystemMemoryInfoStream: 21,
  ProcessVmCountersStream: 22,
  IptTraceStream: 23,
  ThreadNamesStream: 24,
  ceStreamNull: 0x8000,
  ceStreamSystemInfo: 0x8001,
  ceStreamException: 0x8002,
  ceStreamModuleList: 0x8003,
  ceStreamProcessList: 0x8004,
  ceStreamThreadList: 0x8005,
  ceStreamThreadContextList: 0x8006,
  ceStreamThreadCallStackList: 0x8007,
  ceStreamMemoryVirtualList: 0x8008,
  ceStreamMemoryPhysicalList: 0x8009,
  ceStreamBucketParameters: 0x800a,
  ceStreamProcessModuleMap: 0x800b,
  ceStreamDiagnosisList: 0x800c,
  WineModuleList: 0xfff0,
  LastReservedStream: 0xffff,
  // Breakpad ('Gg')
  BreakpadInfoStream: 0x47670001,
  AssertionInfoStream: 0x47670002,
  LinuxCpuInfo: 0x47670003,
  LinuxProcStatus: 0x47670004,
  LinuxLsbRelease: 0x47670005,
  LinuxCmdLine: 0x47670006,
  LinuxEnviron: 0x47670007,
  LinuxAuxv: 0x47670008,
  LinuxMaps: 0x47670009,
  LinuxDsoDebug: 0x4767000a,
  LinuxProcStat: 0x4767000b,
  LinuxProcUptime: 0x4767000c,
  LinuxProcFD: 0x4767000d,
  // Crashpad ('CP'), Chromium, Mozilla ('Mz'), LLDB
  CrashpadInfoStream: 0x43500001,
  ChromiumStabilityReport: 0x4b6b0002,
  MozMacosCrashInfoStream: 0x4d7a0001,
  MozMacosBootargsStream: 0x4d7a0002,
  MozLinuxLimits: 0x4d7a0003,
  MozSoftErrors: 0x4d7a0004,
  LLDBGenerated: 0x4c4c4442,
  // Facebook (Android Breakpad fork)
  FacebookLogcat: 0xface1ca7,
  FacebookAppCustomData: 0xfacecafa,
  FacebookBuildID: 0xfacecafb,
  FacebookAppVersionName: 0xfacecafc,
  FacebookJavaStack: 0xfacecafd,
  FacebookDalvikInfo: 0xfacecafe,
  FacebookUnwindSymbols: 0xfacecaff,
  FacebookDumpErrorLog: 0xfacecb00,
  FacebookAppStateLog: 0xfacecccc,
  FacebookAbortReason: 0xfacedead,
  FacebookThreadName: 0xfacee000,
} as const;
export type StreamTypeName = keyof typeof StreamType;

const streamNames = new Map<number, string>();
for (const [name, value] of Object.entries(StreamType)) if (!streamNames.has(value)) streamNames.set(value, name);

/** Name of a stream type, or `Unknown(0x…)` / `User(0x…)` for types we do not know. */
export function streamTypeName(type: number): string {
  const n = streamNames.get(type);
  if (n) return n;
  return type > StreamType.LastReservedStream ? `User(0x${type.toString(16)})` : `Unknown(0x${type.toString(16)})`;
}

/** MINIDUMP_TYPE flag bits (header Flags). */
export const MinidumpType = {
  MiniDumpNormal: 0x0,
  MiniDumpWithDataSegs: 0x1,
  MiniDumpWithFullMemory: 0x2,
  MiniDumpWithHandleData: 0x4,
  MiniDumpFilterMemory: 0x8,
  MiniDumpScanMemory: 0x10,
  MiniDumpWithUnloadedModules: 0x20,
  MiniDumpWithIndirectlyReferencedMemory: 0x40,
  MiniDumpFilterModulePaths: 0x80,
  MiniDumpWithProcessThreadData: 0x100,
  MiniDumpWithPrivateReadWriteMemory: 0x200,
  MiniDumpWithoutOptionalData: 0x400,
  MiniDumpWithFullMemoryInfo: 0x800,
  MiniDumpWithThreadInfo: 0x1000,
  MiniDumpWithCodeSegs: 0x2000,
  MiniDumpWithoutAuxiliaryState: 0x4000,
  MiniDumpWithFullAuxiliaryState: 0x8000,
  MiniDumpWithPrivateWriteCopyMemory: 0x10000,
  MiniDumpIgnoreInaccessibleMemory: 0x20000,
  MiniDumpWithTokenInformation: 0x40000,
  MiniDumpWithModuleHeaders: 0x80000,
  MiniDumpFilterTriage: 0x100000,
  MiniDumpWithAvxXStateContext: 0x200000,
  MiniDumpWithIptTrace: 0x400000,
  MiniDumpScanInaccessiblePartialPages: 0x800000,
  MiniDumpFilterWriteCombinedMemory: 0x1000000,
  MiniDumpValidTypeFlags: 0x1ffffff,
} as const;

/** Names of the set bits of a MINIDUMP_TYPE value (unknown bits as hex). */
export function minidumpTypeNames(flags: bigint): string[] {
  const out: string[] = [];
  let rest = flags;
  for (const [name, bit] of Object.entries(MinidumpType)) {
    if (bit === 0 || name === 'MiniDumpValidTypeFlags') continue;
    if (flags & BigInt(bit)) {
      out.push(name);
      rest &= ~BigInt(bit);
    }
  }
  if (rest) out.push(`0x${rest.toString(16)}`);
  return out;
}

/** SystemInfo.ProcessorArchitecture. */
export const ProcessorArchitecture = {
  PROCESSOR_ARCHITECTURE_INTEL: 0,
  PROCESSOR_ARCHITECTURE_MIPS: 1,
  PROCESSOR_ARCHITECTURE_ALPHA: 2,
  PROCESSOR_ARCHITECTURE_PPC: 3,
  PROCESSOR_ARCHITECTURE_SHX: 4,
  PROCESSOR_ARCHITECTURE_ARM: 5,
  PROCESSOR_ARCHITECTURE_IA64: 6,
  PROCESSOR_ARCHITECTURE_ALPHA64: 7,
  PROCESSOR_ARCHITECTURE_MSIL: 8,
  PROCESSOR_ARCHITECTURE_AMD64: 9,
  PROCESSOR_ARCHITECTURE_IA32_ON_WIN64: 10,
  PROCESSOR_ARCHITECTURE_NEUTRAL: 11,
  PROCESSOR_ARCHITECTURE_ARM64: 12,
  PROCESSOR_ARCHITECTURE_ARM32_ON_WIN64: 13,
  PROCESSOR_ARCHITECTURE_IA32_ON_ARM64: 14,
  PROCESSOR_ARCHITECTURE_SPARC: 0x8001,
  PROCESSOR_ARCHITECTURE_PPC64: 0x8002,
  PROCESSOR_ARCHITECTURE_ARM64_OLD: 0x8003,
  PROCESSOR_ARCHITECTURE_MIPS64: 0x8004,
  PROCESSOR_ARCHITECTURE_RISCV: 0x8005,
  PROCESSOR_ARCHITECTURE_RISCV64: 0x8006,
  PROCESSOR_ARCHITECTURE_UNKNOWN: 0xffff,
} as const;

/** dumpkit's CPU vocabulary (JSON `system.arch`). */
export type CpuArch = 'x86' | 'amd64' | 'arm' | 'arm64' | 'ppc' | 'ppc64' | 'sparc' | 'mips' | 'mips64' | 'riscv64' | 'unknown';

export function cpuArchOf(processorArchitecture: number): CpuArch {
  const P = ProcessorArchitecture;
  switch (processorArchitecture) {
    case P.PROCESSOR_ARCHITECTURE_INTEL:
    case P.PROCESSOR_ARCHITECTURE_IA32_ON_WIN64:
    case P.PROCESSOR_ARCHITECTURE_IA32_ON_ARM64:
      return 'x86';
    case P.PROCESSOR_ARCHITECTURE_AMD64:
      return 'amd64';
    case P.PROCESSOR_ARCHITECTURE_ARM:
    case P.PROCESSOR_ARCHITECTURE_ARM32_ON_WIN64:
      return 'arm';
    case P.PROCESSOR_ARCHITECTURE_ARM64:
    case P.PROCESSOR_ARCHITECTURE_ARM64_OLD:
      return 'arm64';
    case P.PROCESSOR_ARCHITECTURE_PPC:
      return 'ppc';
    case P.PROCESSOR_ARCHITECTURE_PPC64:
      return 'ppc64';
    case P.PROCESSOR_ARCHITECTURE_SPARC:
      return 'sparc';
    case P.PROCESSOR_ARCHITECTURE_MIPS:
      return 'mips';
    case P.PROCESSOR_ARCHITECTURE_MIPS64:
      return 'mips64';
    case P.PROCESSOR_ARCHITECTURE_RISCV64:
      return 'riscv64';
    default:
      return 'unknown';
  }
}

/** SystemInfo.PlatformId (Microsoft VER_PLATFORM_* plus Breakpad's). */
export const PlatformId = {
  VER_PLATFORM_WIN32s: 0,
  VER_PLATFORM_WIN32_WINDOWS: 1,
  VER_PLATFORM_WIN32_NT: 2,
  VER_PLATFORM_WIN32_CE: 3,
  MD_OS_UNIX: 0x8000,
  MD_OS_MAC_OS_X: 0x8101,
  MD_OS_IOS: 0x8102,
  MD_OS_LINUX: 0x8201,
  MD_OS_SOLARIS: 0x8202,
  MD_OS_ANDROID: 0x8203,
  MD_OS_PS3: 0x8204,
  MD_OS_NACL: 0x8205,
  MD_OS_FUCHSIA: 0x8206,
} as const;

/** dumpkit's OS vocabulary (JSON `system.os`). */
export type OsName = 'windows' | 'linux' | 'macos' | 'ios' | 'android' | 'solaris' | 'fuchsia' | 'unknown';

export function osNameOf(platformId: number): OsName {
  const P = PlatformId;
  switch (platformId) {
    case P.VER_PLATFORM_WIN32s:
    case P.VER_PLATFORM_WIN32_WINDOWS:
    case P.VER_PLATFORM_WIN32_NT:
    case P.VER_PLATFORM_WIN32_CE:
      return 'windows';
    case P.MD_OS_LINUX:
      return 'linux';
    case P.MD_OS_MAC_OS_X:
      return 'macos';
    case P.MD_OS_IOS:
      return 'ios';
    case P.MD_OS_ANDROID:
      return 'android';
    case P.MD_OS_SOLARIS:
      return 'solaris';
    case P.MD_OS_FUCHSIA:
      return 'fuchsia';
    default:
      return 'unknown';
  }
}

/** CodeView record signatures (u32 values, little-endian on disk). */
export const CvSignature = {
  RSDS: 0x53445352, // PDB 7.0
  NB10: 0x3031424e, // PDB 2.0
  NB09: 0x3930424e,
  NB11: 0x3131424e,
  BpEL: 0x4270454c, // Breakpad ELF build id
} as const;

/** CONTEXT CPU-type bits in ContextFlags. */
export const ContextCpu = {
  CONTEXT_X86: 0x00010000,
  CONTEXT_AMD64: 0x00100000,
  CONTEXT_ARM: 0x40000000,
  CONTEXT_ARM64: 0x00400000,
  CONTEXT_ARM64_OLD: 0x80000000,
} as const;

/** Full context sizes in bytes. */
export const ContextSize = {
  X86: 716,
  AMD64: 1232,
  ARM64: 912,
  ARM64_OLD: 796,
  ARM: 368,
} as const;

/** Breakpad BreakpadInfo validity bits. */
export const BreakpadInfoValid = { DUMP_THREAD_ID: 1, REQUESTING_THREAD_ID: 2 } as const;

/** MiscInfo Flags1 bits and version sizes. */
export const MiscInfoFlags = {
  MINIDUMP_MISC1_PROCESS_ID: 0x1,
  MINIDUMP_MISC1_PROCESS_TIMES: 0x2,
  MINIDUMP_MISC1_PROCESSOR_POWER_INFO: 0x4,
  MINIDUMP_MISC3_PROCESS_INTEGRITY: 0x10,
  MINIDUMP_MISC3_PROCESS_EXECUTE_FLAGS: 0x20,
  MINIDUMP_MISC3_TIMEZONE: 0x40,
  MINIDUMP_MISC3_PROTECTED_PROCESS: 0x80,
  MINIDUMP_MISC4_BUILDSTRING: 0x100,
  MINIDUMP_MISC5_PROCESS_COOKIE: 0x200,
} as const;
export const MiscInfoSize = { MISC_INFO: 24, MISC_INFO_2: 44, MISC_INFO_3: 232, MISC_INFO_4: 832, MISC_INFO_5: 1364 } as const;

/** Windows exception codes (NTSTATUS) seen in crash dumps. */
export const WindowsExceptionCode: Readonly<Record<number, string>> = {
  0x40010005: 'DBG_CONTROL_C',
  0x40010008: 'DBG_CONTROL_BREAK',
  0x4000001f: 'STATUS_WX86_BREAKPOINT',
  0x80000001: 'EXCEPTION_GUARD_PAGE',
  0x80000002: 'EXCEPTION_DATATYPE_MISALIGNMENT',
  0x80000003: 'EXCEPTION_BREAKPOINT',
  0x80000004: 'EXCEPTION_SINGLE_STEP',
  0xc0000005: 'EXCEPTION_ACCESS_VIOLATION',
  0xc0000006: 'EXCEPTION_IN_PAGE_ERROR',
  0xc0000008: 'EXCEPTION_INVALID_HANDLE',
  0xc000000d: 'STATUS_INVALID_PARAMETER',
  0xc000001d: 'EXCEPTION_ILLEGAL_INSTRUCTION',
  0xc0000025: 'EXCEPTION_NONCONTINUABLE_EXCEPTION',
  0xc0000026: 'EXCEPTION_INVALID_DISPOSITION',
  0xc000008c: 'EXCEPTION_ARRAY_BOUNDS_EXCEEDED',
  0xc000008d: 'EXCEPTION_FLT_DENORMAL_OPERAND',
  0xc000008e: 'EXCEPTION_FLT_DIVIDE_BY_ZERO',
  0xc000008f: 'EXCEPTION_FLT_INEXACT_RESULT',
  0xc0000090: 'EXCEPTION_FLT_INVALID_OPERATION',
  0xc0000091: 'EXCEPTION_FLT_OVERFLOW',
  0xc0000092: 'EXCEPTION_FLT_STACK_CHECK',
  0xc0000093: 'EXCEPTION_FLT_UNDERFLOW',
  0xc0000094: 'EXCEPTION_INT_DIVIDE_BY_ZERO',
  0xc0000095: 'EXCEPTION_INT_OVERFLOW',
  0xc0000096: 'EXCEPTION_PRIV_INSTRUCTION',
  0xc00000fd: 'EXCEPTION_STACK_OVERFLOW',
  0xc0000194: 'EXCEPTION_POSSIBLE_DEADLOCK',
  0xc0000409: 'EXCEPTION_STACK_BUFFER_OVERRUN',
  0xc0000374: 'STATUS_HEAP_CORRUPTION',
  0xc0000417: 'STATUS_INVALID_CRUNTIME_PARAMETER',
  0xc0000420: 'STATUS_ASSERTION_FAILURE',
  0xc0000142: 'STATUS_DLL_INIT_FAILED',
  0xc0000135: 'STATUS_DLL_NOT_FOUND',
  0xc06d007e: 'DELAYLOAD_MOD_NOT_FOUND',
  0xc06d007f: 'DELAYLOAD_PROC_NOT_FOUND',
  0xe06d7363: 'CPP_EH_EXCEPTION',
  0xe0434352: 'CLR_EXCEPTION',
  0x406d1388: 'MS_VC_SET_THREAD_NAME',
};

export const EXCEPTION_ACCESS_VIOLATION = 0xc0000005;
export const EXCEPTION_IN_PAGE_ERROR = 0xc0000006;
export const STATUS_STACK_BUFFER_OVERRUN = 0xc0000409;

/** FAST_FAIL codes (ExceptionInformation[0] of 0xC0000409), as Breakpad names them. */
export const FastFailCode: Readonly<Record<number, string>> = {
  0: 'FAST_FAIL_LEGACY_GS_VIOLATION',
  1: 'FAST_FAIL_VTGUARD_CHECK_FAILURE',
  2: 'FAST_FAIL_STACK_COOKIE_CHECK_FAILURE',
  3: 'FAST_FAIL_CORRUPT_LIST_ENTRY',
  4: 'FAST_FAIL_INCORRECT_STACK',
  5: 'FAST_FAIL_INVALID_ARG',
  6: 'FAST_FAIL_GS_COOKIE_INIT',
  7: 'FAST_FAIL_FATAL_APP_EXIT',
  8: 'FAST_FAIL_RANGE_CHECK_FAILURE',
  9: 'FAST_FAIL_UNSAFE_REGISTRY_ACCESS',
  10: 'FAST_FAIL_GUARD_ICALL_CHECK_FAILURE',
  11: 'FAST_FAIL_GUARD_WRITE_CHECK_FAILURE',
  12: 'FAST_FAIL_INVALID_FIBER_SWITCH',
  13: 'FAST_FAIL_INVALID_SET_OF_CONTEXT',
  14: 'FAST_FAIL_INVALID_REFERENCE_COUNT',
  18: 'FAST_FAIL_INVALID_JUMP_BUFFER',
  19: 'FAST_FAIL_MRDATA_MODIFIED',
  20: 'FAST_FAIL_CERTIFICATION_FAILURE',
  21: 'FAST_FAIL_INVALID_EXCEPTION_CHAIN',
  22: 'FAST_FAIL_CRYPTO_LIBRARY',
  23: 'FAST_FAIL_INVALID_CALL_IN_DLL_CALLOUT',
  24: 'FAST_FAIL_INVALID_IMAGE_BASE',
  25: 'FAST_FAIL_DLOAD_PROTECTION_FAILURE',
  26: 'FAST_FAIL_UNSAFE_EXTENSION_CALL',
  27: 'FAST_FAIL_DEPRECATED_SERVICE_INVOKED',
  28: 'FAST_FAIL_INVALID_BUFFER_ACCESS',
  29: 'FAST_FAIL_INVALID_BALANCED_TREE',
  30: 'FAST_FAIL_INVALID_NEXT_THREAD',
  31: 'FAST_FAIL_GUARD_ICALL_CHECK_SUPPRESSED',
  32: 'FAST_FAIL_APCS_DISABLED',
  33: 'FAST_FAIL_INVALID_IDLE_STATE',
  34: 'FAST_FAIL_MRDATA_PROTECTION_FAILURE',
  35: 'FAST_FAIL_UNEXPECTED_HEAP_EXCEPTION',
  36: 'FAST_FAIL_INVALID_LOCK_STATE',
  37: 'FAST_FAIL_GUARD_JUMPTABLE',
  38: 'FAST_FAIL_INVALID_LONGJUMP_TARGET',
  39: 'FAST_FAIL_INVALID_DISPATCH_CONTEXT',
  40: 'FAST_FAIL_INVALID_THREAD',
  41: 'FAST_FAIL_INVALID_SYSCALL_NUMBER',
  42: 'FAST_FAIL_INVALID_FILE_OPERATION',
  43: 'FAST_FAIL_LPAC_ACCESS_DENIED',
  44: 'FAST_FAIL_GUARD_SS_FAILURE',
  45: 'FAST_FAIL_LOADER_CONTINUITY_FAILURE',
  46: 'FAST_FAIL_GUARD_EXPORT_SUPPRESSION_FAILURE',
  47: 'FAST_FAIL_INVALID_CONTROL_STACK',
  48: 'FAST_FAIL_SET_CONTEXT_DENIED',
  49: 'FAST_FAIL_INVALID_IAT',
  50: 'FAST_FAIL_HEAP_METADATA_CORRUPTION',
  51: 'FAST_FAIL_PAYLOAD_RESTRICTION_VIOLATION',
  52: 'FAST_FAIL_LOW_LABEL_ACCESS_DENIED',
  53: 'FAST_FAIL_ENCLAVE_CALL_FAILURE',
  54: 'FAST_FAIL_UNHANDLED_LSS_EXCEPTON',
  55: 'FAST_FAIL_ADMINLESS_ACCESS_DENIED',
  56: 'FAST_FAIL_UNEXPECTED_CALL',
  57: 'FAST_FAIL_CONTROL_INVALID_RETURN_ADDRESS',
  58: 'FAST_FAIL_UNEXPECTED_HOST_BEHAVIOR',
  59: 'FAST_FAIL_FLAGS_CORRUPTION',
  60: 'FAST_FAIL_VEH_CORRUPTION',
  61: 'FAST_FAIL_ETW_CORRUPTION',
  62: 'FAST_FAIL_RIO_ABORT',
  63: 'FAST_FAIL_INVALID_PFN',
  64: 'FAST_FAIL_GUARD_ICALL_CHECK_FAILURE_XFG',
  65: 'FAST_FAIL_CAST_GUARD',
  66: 'FAST_FAIL_HOST_VISIBILITY_CHANGE',
  67: 'FAST_FAIL_KERNEL_CET_SHADOW_STACK_ASSIST',
  68: 'FAST_FAIL_PATCH_CALLBACK_FAILED',
  69: 'FAST_FAIL_NTDLL_PATCH_FAILED',
  70: 'FAST_FAIL_INVALID_FLS_DATA',
};

/** Linux signal numbers (ExceptionCode of Breakpad/Crashpad Linux and Android dumps). */
export const LinuxSignal: Readonly<Record<number, string>> = {
  1: 'SIGHUP',
  2: 'SIGINT',
  3: 'SIGQUIT',
  4: 'SIGILL',
  5: 'SIGTRAP',
  6: 'SIGABRT',
  7: 'SIGBUS',
  8: 'SIGFPE',
  9: 'SIGKILL',
  10: 'SIGUSR1',
  11: 'SIGSEGV',
  12: 'SIGUSR2',
  13: 'SIGPIPE',
  14: 'SIGALRM',
  15: 'SIGTERM',
  16: 'SIGSTKFLT',
  17: 'SIGCHLD',
  18: 'SIGCONT',
  19: 'SIGSTOP',
  20: 'SIGTSTP',
  21: 'SIGTTIN',
  22: 'SIGTTOU',
  23: 'SIGURG',
  24: 'SIGXCPU',
  25: 'SIGXFSZ',
  26: 'SIGVTALRM',
  27: 'SIGPROF',
  28: 'SIGWINCH',
  29: 'SIGIO',
  30: 'SIGPWR',
  31: 'SIGSYS',
};
/** Breakpad's "dump requested" pseudo exception code on Linux. */
export const MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED = 0xffffffff;

/** macOS/iOS Mach exception types (ExceptionCode of Breakpad/Crashpad Apple dumps). */
export const MacException: Readonly<Record<number, string>> = {
  1: 'EXC_BAD_ACCESS',
  2: 'EXC_BAD_INSTRUCTION',
  3: 'EXC_ARITHMETIC',
  4: 'EXC_EMULATION',
  5: 'EXC_SOFTWARE',
  6: 'EXC_BREAKPOINT',
  7: 'EXC_SYSCALL',
  8: 'EXC_MACH_SYSCALL',
  9: 'EXC_RPC_ALERT',
  10: 'EXC_CRASH',
  11: 'EXC_RESOURCE',
  12: 'EXC_GUARD',
  13: 'EXC_CORPSE_NOTIFY',
  0x43507378: 'SIMULATED', // Crashpad 'CPsx'
  0x43506e78: 'UNCAUGHT_NS_EXCEPTION', // Crashpad 'CPnx'
};

/** Mach kern_return_t codes for EXC_BAD_ACCESS (ExceptionFlags). */
export const MacKernReturn: Readonly<Record<number, string>> = {
  1: 'KERN_INVALID_ADDRESS',
  2: 'KERN_PROTECTION_FAILURE',
  8: 'KERN_NO_ACCESS',
  9: 'KERN_MEMORY_FAILURE',
  10: 'KERN_MEMORY_ERROR',
  50: 'KERN_CODESIGN_ERROR',
};
