/**
 * Hard caps on counts and sizes read from minidump files. Every count is checked against these and
 * against the bytes actually available before anything is allocated, so a hostile file gets a clear
 * COUNT_TOO_LARGE / BAD_SIZE error instead of a huge allocation.
 */
export const MinidumpLimits = {
  /** Directory entries (real dumps have < 40). */
  maxStreams: 4096,
  /** Threads in ThreadList/ThreadExList/ThreadInfoList/ThreadNames. */
  maxThreads: 100_000,
  /** Modules in ModuleList/UnloadedModuleList. */
  maxModules: 100_000,
  /** Ranges in MemoryList or Memory64List (16 bytes each: 4M ranges = 64 MiB of descriptors). */
  maxMemoryRanges: 4_000_000,
  /** Entries in MemoryInfoList. */
  maxMemoryInfos: 4_000_000,
  /** Handle descriptors. */
  maxHandles: 1_000_000,
  /** Byte length of one MINIDUMP_STRING / UTF-8 string. */
  maxStringBytes: 1 << 20,
  /** Bytes of a CodeView record kept. */
  maxCvRecordBytes: 64 * 1024,
  /** Bytes of a CPU context kept (contexts with XSTATE are a few KiB). */
  maxContextBytes: 64 * 1024,
  /** Bytes of one stream read whole (above the 64 MiB a maxMemoryRanges Memory64List needs). */
  maxRawStreamBytes: 128 * 1024 * 1024,
  /** Entries in Crashpad annotation dictionaries and lists. */
  maxAnnotations: 100_000,
  /** Entries in a Linux DSO link map. */
  maxLinkMaps: 100_000,
} as const;
