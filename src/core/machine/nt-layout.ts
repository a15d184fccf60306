/**
 * Structure offsets the modeled machine writes (x64, Windows 10 19041 layout, as agreed in the
 * kernel/varieties contract). Only what the model fills in.
 */
export const KDBG = {
  OwnerTag: 0x10,
  Size: 0x14,
  KernBase: 0x18,
  PsLoadedModuleList: 0x48,
  PsActiveProcessHead: 0x50,
  MmPfnDatabase: 0xc0,
  KiProcessorBlock: 0x218,
  MmUnloadedDrivers: 0x220,
  MmLastUnloadedDriver: 0x228,
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
  SIZE: 0x380,
  TAG: 0x4742444b, // 'KDBG'
} as const;

export const LDR = {
  InLoadOrderLinks: 0x0,
  DllBase: 0x30,
  EntryPoint: 0x38,
  SizeOfImage: 0x40,
  FullDllName: 0x48,
  BaseDllName: 0x58,
  SIZE: 0x88,
} as const;

export const EPROCESS = {
  DirectoryTableBase: 0x28,
  UniqueProcessId: 0x440,
  ActiveProcessLinks: 0x448,
  Peb: 0x550,
  ImageFileName: 0x5a8,
  ThreadListHead: 0x5e0,
  SIZE: 0xa40,
} as const;

export const ETHREAD = {
  InitialStack: 0x28,
  StackLimit: 0x30,
  StackBase: 0x38,
  KernelStack: 0x58,
  Teb: 0xf0,
  Process: 0x220,
  CidUniqueProcess: 0x478,
  CidUniqueThread: 0x480,
  ThreadListEntry: 0x4e8,
  SIZE: 0x898,
} as const;

export const KPCR = {
  Self: 0x18,
  CurrentPrcb: 0x20,
  Prcb: 0x180,
} as const;

export const KPRCB = {
  CurrentThread: 0x8,
  /** KPRCB.ProcessorState.ContextFrame: KPROCESSOR_STATE at +0x40, its CONTEXT after the 0xF0 special registers. */
  Context: 0x130,
  SIZE: 0xaf00,
} as const;

/** MM_UNLOADED_DRIVER: UNICODE_STRING Name, StartAddress, EndAddress, CurrentTime. */
export const UNLOADED_DRIVER_SIZE = 0x28;

export const CONTEXT_SIZE = 0x4d0;
