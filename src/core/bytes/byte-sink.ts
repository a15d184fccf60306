/**
 * Where writers put bytes. Writers stream: they append in order and may patch earlier bytes
 * (header fields known only at the end), so a multi-GB dump is never assembled in memory.
 */
export interface ByteSink {
  /** Appends bytes at the current end; returns the offset they were written at. */
  write(bytes: Uint8Array): Promise<number>;
  /** Overwrites bytes already written (offset + length must not pass the current end). */
  patch(offset: number, bytes: Uint8Array): Promise<void>;
  /**
   * Optional: moves the end past `length` bytes that will be written another way (see
   * SnapshotMemory.fill); returns their offset. They read as zeros until written.
   */
  reserve?(length: number): Promise<number>;
  /** Current length. */
  readonly position: number;
}

/** A ByteSink that collects into memory (tests, small dumps, the browser). */
export class MemorySink implements ByteSink {
  private chunks: Uint8Array[] = [];
  private buf: Uint8Array | undefined;
  position = 0;

  write(bytes: Uint8Array): Promise<number> {
    const at = this.position;
    this.chunks.push(bytes.slice());
    this.buf = undefined;
    this.position += bytes.length;
    return Promise.resolve(at);
  }
  patch(offset: number, bytes: Uint8Array): Promise<void> {
    if (offset + bytes.length > this.position) throw new RangeError('patch past end of sink');
    this.toBytes().set(bytes, offset);
    return Promise.resolve();
  }
  /** All bytes written so far. */
  toBytes(): Uint8Array {
    if (!this.buf) {
      const out = new Uint8Array(this.position);
      let o = 0;
      for (const c of this.chunks) {
        out.set(c, o);
        o += c.length;
      }
      this.buf = out;
      this.chunks = [out];
    }
    return this.buf;
  }
}
