/** Caps on what a PE image in dump memory may make dumpkit read (hostile or damaged images). */
export const PE_LIMITS = {
  /** Bytes of headers read (DOS + NT headers + section table). */
  maxHeaderBytes: 0x1000,
  maxSections: 96,
  /** Largest image considered (SizeOfImage). */
  maxImageSize: 512 * 1024 * 1024,
  maxExports: 1 << 17,
  maxExportNameChars: 4096,
  /** RUNTIME_FUNCTION entries read from .pdata (12 bytes each on x64, 8 on ARM64). */
  maxRuntimeFunctions: 1 << 20,
  /** Bytes of one directory read at once (exports, debug, exception). */
  maxDirectoryBytes: 16 * 1024 * 1024,
  maxDebugEntries: 64,
  maxCodeViewBytes: 4096,
  /** Chained UNWIND_INFO followed at most this often. */
  maxUnwindChain: 32,
} as const;
