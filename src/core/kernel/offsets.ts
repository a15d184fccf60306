/**
 * Kernel structure offsets, x64 Windows 10 19041 layout, shared by the kernel reader/writer and
 * the modeled machine (src/core/machine). Facts: docs in /work/shared/notes/kernel-dump-format.md §8
 * and the kernel/varieties contract. Names follow Microsoft's (wdbgexts.h, ntoskrnl symbols).
 */

/** KDDEBUGGER_DATA64 ("KDBG"): header _DBGKD_DEBUG_DATA_HEADER64 then kernel variable addresses. */
export const KDDEBUGGER_DATA64 = {
  ListFlink: 0x0,
  ListBlink: 0x8,
  OwnerTag: 0x10,
  Size: 0x14,
  KernBase: 0x18,
  PsLoadedModuleList: 0x48,
  PsActiveProcessHead: 0x50,
  MmPfnDatabase: 0xc0,
  KiProcessorBlock: 0x218,
  MmUnloadedDrivers: 0x220,
  OffsetKThreadTeb: 0x29a,
  SizeEProcess: 0x2a8,
  OffsetEprocessPeb: 0x2aa,
  OffsetEprocessDirectoryTableBase: 0x2ae,
  SizePrcb: 0x2b0,
  OffsetPrcbCurrentThread: 0x2b4,
  SizeEThread: 0x2c0,
  OffsetPrcbContext: 0x338,
  OffsetKThreadStackLimit: 0x340,
  OffsetKThreadStackBase: 0x344,
  PteBase: 0x360,
} as const;
/** 'KDBG' as a u32. */
export const KDBG_OWNER_TAG = 0x4742444b;
/** The Size the writer puts in the KDBG header (builds 19041 and 22000). */
export const KDBG_SIZE = 0x380;

/** KLDR_DATA_TABLE_ENTRY (x64). */
export const KLDR_DATA_TABLE_ENTRY = {
  InLoadOrderLinksFlink: 0x0,
  InLoadOrderLinksBlink: 0x8,
  DllBase: 0x30,
  EntryPoint: 0x38,
  SizeOfImage: 0x40,
  FullDllName: 0x48,
  BaseDllName: 0x58,
  Flags: 0x68,
  LoadCount: 0x6c,
  CheckSum: 0x78,
  TimeDateStamp: 0x80,
  size: 0x88,
} as const;

/** UNICODE_STRING64: Length (bytes) u16, MaximumLength u16, pad, Buffer u64. */
export const UNICODE_STRING64 = { Length: 0x0, MaximumLength: 0x2, Buffer: 0x8, size: 0x10 } as const;

/**
 * EPROCESS (19041). The fields past ThreadListHead, and CreateTime/Session/ActiveThreads, were
 * checked against the 19041 (2004) x64 type information as published in ntdiff/headers
 * (Win10_2004_20H1/x64/.../_EPROCESS.h, generated from Microsoft's public symbols).
 */
export const EPROCESS = {
  DirectoryTableBase: 0x28,
  UniqueProcessId: 0x440,
  ActiveProcessLinks: 0x448,
  CreateTime: 0x468,
  InheritedFromUniqueProcessId: 0x540,
  Peb: 0x550,
  /** MM_SESSION_SPACE pointer (0 for processes outside any session: System, Registry, smss). */
  Session: 0x558,
  ImageFileName: 0x5a8,
  ImageFileNameLength: 15,
  ThreadListHead: 0x5e0,
  ActiveThreads: 0x5f0,
  ExitStatus: 0x7d4,
  ExitTime: 0x840,
  size: 0xa40,
} as const;

/** MM_SESSION_SPACE (x64): SessionId after ReferenceCount and the flags. */
export const MM_SESSION_SPACE = { SessionId: 0x8 } as const;

/**
 * KSWITCH_FRAME (x64), at KTHREAD.KernelStack of a thread that is not running: five home slots,
 * ApcBypass, the saved RBP, and the return address into the code that called SwapContext.
 * Layout as in the WDK-era ntamd64 headers (P1Home..P5Home, ApcBypass, Rbp, Return).
 */
export const KSWITCH_FRAME = { ApcBypass: 0x28, Rbp: 0x30, Return: 0x38, size: 0x40 } as const;

/** ETHREAD (19041), Tcb (KTHREAD) at 0; KTHREAD fields checked against ntdiff/headers' 19041 _KTHREAD.h. */
export const ETHREAD = {
  InitialStack: 0x28,
  StackLimit: 0x30,
  StackBase: 0x38,
  KernelStack: 0x58,
  Teb: 0xf0,
  /** KTHREAD.State: KTHREAD_STATE (2 Running, 5 Waiting…). */
  State: 0x184,
  Process: 0x220,
  WaitReason: 0x283,
  CidUniqueProcess: 0x478,
  CidUniqueThread: 0x480,
  ThreadListEntry: 0x4e8,
  size: 0x898,
} as const;

/** KPRCB: CurrentThread and the CONTEXT at KDBG.OffsetPrcbContext. */
export const KPRCB = {
  CurrentThread: 0x8,
  /** ProcessorState.ContextFrame offset as written in KDBG.OffsetPrcbContext by dumpkit's models. */
  Context: 0x18,
  size: 0xaf00,
} as const;
