/** Hard caps on counts read from kernel dump files, checked before anything is allocated. */
export const LIMITS = {
  /** 2^36 pages = 256 TiB of physical address space. */
  maxPhysicalPages: 2 ** 36,
  maxRdmpRanges: 1 << 20,
  /** Largest single read() the API serves. */
  maxReadLength: 256 * 1024 * 1024,
  maxModules: 65536,
  maxTriageDrivers: 65536,
  maxUnloadedDrivers: 4096,
  maxDataBlocks: 1 << 20,
  maxSecondaryRecords: 1 << 20,
  maxStringChars: 32768,
} as const;
