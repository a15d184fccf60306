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
  /**
   * Physical addresses are below 2^52: the architectural maximum of x64 (MAXPHYADDR <= 52) and of
   * ARM64 (52-bit PA). Anything at or above is not an address, and would not be a safe integer.
   */
  maxPhysicalAddress: 2 ** 52,
  /** File offsets read from a dump are below 2^52 (4 PiB), so offset arithmetic stays exact. */
  maxFileOffset: 2 ** 52,
} as const;

/** The physical-address bits of a 64-bit table base or entry (bits 12..51). */
export const PHYSICAL_FRAME_MASK = 0x000ffffffffff000n;

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
