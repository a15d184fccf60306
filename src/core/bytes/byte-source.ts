import { DumpError } from '../errors.js';

/**
 * Random-access bytes. Implementations read only what is asked for, so opening a multi-GB dump
 * never reads it whole. Offsets are file offsets (numbers: files stay below 2^53 bytes).
 */
export interface ByteSource {
  /** Total size in bytes. */
  readonly size: number;
  /** A short human name (file path, "buffer", blob name) for messages. */
  readonly name: string;
  /**
   * Exactly `length` bytes at `offset`. Throws DumpError TRUNCATED if the range passes the end.
   * The returned array may be a view into a shared buffer: copy it before keeping it long.
   */
  read(offset: number, length: number): Promise<Uint8Array>;
  /**
   * Optional synchronous read with the same contract, for hot paths (page lookups). Sources
   * that cannot read synchronously (Blob) leave it undefined.
   */
  readSync?(offset: number, length: number): Uint8Array;
  /**
   * Optional: like readSync, but fills `into` (into.length bytes) instead of allocating, for hot
   * loops that read many pages into one reused buffer.
   */
  readSyncInto?(offset: number, into: Uint8Array): void;
  close?(): Promise<void>;
}

export function checkRange(source: { size: number; name: string }, offset: number, length: number, what = 'read'): void {
  if (!Number.isSafeInteger(offset) || !Number.isSafeInteger(length) || offset < 0 || length < 0) {
    throw new DumpError('OUT_OF_BOUNDS', `${what} at offset ${offset} length ${length} is not a valid range of ${source.name}`);
  }
  if (offset + length > source.size) {
    throw new DumpError(
      'TRUNCATED',
      `${what} needs ${length} bytes at 0x${offset.toString(16)} but ${source.name} ends at 0x${source.size.toString(16)}`,
      { offset, length },
    );
  }
}

/** Reads at most `length` bytes: stops at the end of the source instead of throwing. */
export async function readClamped(source: ByteSource, offset: number, length: number): Promise<Uint8Array> {
  if (offset >= source.size) return new Uint8Array(0);
  return source.read(offset, Math.min(length, source.size - offset));
}
