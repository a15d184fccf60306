/** Hard caps that keep hostile .sym files bounded in time and memory. */
export const BreakpadSymLimits = {
  /** Longest line kept (names of C++ templates run to kilobytes; nothing real comes near this). */
  maxLineBytes: 1 << 20,
  /** Bytes read per chunk while indexing. */
  chunkBytes: 1 << 20,
  /** Most bytes one function's body (its line and INLINE records) may span in the file. */
  maxFunctionBodyBytes: 32 << 20,
  /** Most bytes of STACK CFI delta records kept right after one INIT record (more go to the stray index). */
  maxCfiBlockBytes: 1 << 20,
  /** Most delta records applied for one CFI lookup (Breakpad applies every delta up to the address). */
  maxCfiDeltasPerLookup: 100_000,
  /** Tokens read from one INLINE record (Breakpad's own tokenizer stops at 512). */
  maxInlineTokens: 512,
  /** Malformed records before indexing stops (Breakpad bails after more than 100 errors). */
  maxErrors: 100,
  /** Parsed functions kept in the per-file cache. */
  functionCacheSize: 4096,
  /** Decoded FILE and INLINE_ORIGIN names kept in the per-file cache. */
  nameCacheSize: 16384,
  /** Records of any one kind (FUNC, PUBLIC, STACK CFI, STACK WIN) indexed per file. */
  maxRecordsPerKind: 50_000_000,
} as const;
