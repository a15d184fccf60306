import { checkRange, type ByteSource } from './byte-source.js';

/** A ByteSource over bytes already in memory. Reads return views, not copies. */
export class MemorySource implements ByteSource {
  readonly size: number;
  constructor(
    private readonly bytes: Uint8Array,
    readonly name = 'buffer',
  ) {
    this.size = bytes.length;
  }
  read(offset: number, length: number): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.readSync(offset, length));
    } catch (e) {
      return Promise.reject(e);
    }
  }
  readSync(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    return this.bytes.subarray(offset, offset + length);
  }
  readSyncInto(offset: number, into: Uint8Array): void {
    into.set(this.readSync(offset, into.length));
  }
}
