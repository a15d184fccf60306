import { DumpError } from '../errors.js';

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

/**
 * Reads `length` bytes starting at address `start` piece by piece: `piece(addr, into)` fills the
 * front of `into` (a view of the output at addr) and returns how many bytes it covered (> 0).
 * Enforces the read length cap.
 */
export async function readPieces(
  start: bigint,
  length: number,
  piece: (addr: bigint, into: Uint8Array) => Promise<number>,
): Promise<Uint8Array> {
  if (!Number.isSafeInteger(length) || length < 0 || length > LIMITS.maxReadLength) {
    throw new DumpError('INVALID_ARGUMENT', `read of ${length} bytes is outside 0..${LIMITS.maxReadLength}`);
  }
  const out = new Uint8Array(length);
  let done = 0;
  while (done < length) done += await piece(start + BigInt(done), out.subarray(done));
  return out;
}
