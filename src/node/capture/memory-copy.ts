import type { Diagnostics } from '../../core/diagnostics.js';
import type { PlannedRange } from '../../core/minidump/varieties.js';
import type { SnapshotMemory } from '../../core/minidump/writer/model.js';
import type { MemoryReader, Snapshot } from './target.js';

export const COPY_CHUNK = 64 * 1024 * 1024;
/** Read-then-write piece for streaming from a snapshot: small enough to still be in cache when written. */
export const STREAM_CHUNK = 4 * 1024 * 1024;
const PAGE = 4096;

/**
 * Destination memory for copied pages, allocated (and touched, so the kernel has really given
 * it) before the target is stopped: page faults on our side then don't lengthen the pause.
 */
export class CopyPool {
  private chunks: Uint8Array[] = [];
  private index = 0;
  private used = 0;
  preallocate(bytes: number): void {
    for (let have = 0; have < bytes; have += COPY_CHUNK) {
      const b = new Uint8Array(COPY_CHUNK);
      for (let i = 0; i < b.length; i += PAGE) b[i] = 0; // touch every page
      this.chunks.push(b);
    }
  }
  get allocatedBytes(): number {
    return this.chunks.length * COPY_CHUNK;
  }
  take(n: number): Uint8Array {
    for (;;) {
      const cur = this.chunks[this.index];
      if (!cur) {
        this.chunks.push(new Uint8Array(Math.max(n, COPY_CHUNK)));
        continue;
      }
      if (this.used + n <= cur.length) {
        const out = cur.subarray(this.used, this.used + n);
        this.used += n;
        return out;
      }
      this.index++;
      this.used = 0;
    }
  }
  /** Drops unused preallocated chunks. */
  trim(): void {
    this.chunks.length = Math.min(this.chunks.length, this.index + 1);
  }
}

/** Reads `buf.length` bytes at `address`; unreadable pages become zeros. Returns the zero-filled byte count. */
export function readFully(target: MemoryReader, address: bigint, buf: Uint8Array): number {
  let done = 0;
  let zeroed = 0;
  while (done < buf.length) {
    const r = target.readMemory(address + BigInt(done), buf.subarray(done));
    if (r > 0) {
      done += r;
      continue;
    }
    // Skip to the next page boundary.
    const a = Number((address + BigInt(done)) % BigInt(PAGE));
    const skip = Math.min(PAGE - a, buf.length - done);
    buf.fill(0, done, done + skip);
    zeroed += skip;
    done += skip;
  }
  return zeroed;
}

/** Copies planned ranges into the pool, yielding to the event loop between chunks (so SIGINT/SIGTERM handlers run). */
export async function copyRanges(
  target: MemoryReader,
  ranges: PlannedRange[],
  pool: CopyPool,
  diagnostics: Diagnostics,
  onProgress?: (done: number, total: number) => void,
): Promise<SnapshotMemory[]> {
  const total = ranges.reduce((a, r) => a + r.size, 0);
  let done = 0;
  const out: SnapshotMemory[] = [];
  for (const r of ranges) {
    const pieces: Uint8Array[] = [];
    for (let off = 0; off < r.size; off += COPY_CHUNK) {
      const n = Math.min(COPY_CHUNK, r.size - off);
      const buf = pool.take(n);
      const zeroed = readFully(target, r.address + BigInt(off), buf);
      if (zeroed) diagnostics.add(`${zeroed} unreadable bytes in 0x${r.address.toString(16)}+0x${off.toString(16)} written as zeros`);
      pieces.push(buf);
      done += n;
      onProgress?.(done, total);
      if (n >= 1024 * 1024) await new Promise((res) => setImmediate(res));
    }
    out.push({ address: r.address, size: r.size, kind: r.kind, chunks: () => pieces });
  }
  return out;
}

/** Ranges whose bytes are read from the (still stopped) process as the writer asks for them. */
export function directRanges(target: MemoryReader, ranges: PlannedRange[], diagnostics: Diagnostics): SnapshotMemory[] {
  return ranges.map((r) => ({
    address: r.address,
    size: r.size,
    kind: r.kind,
    *chunks() {
      const buf = new Uint8Array(Math.min(STREAM_CHUNK, r.size));
      for (let off = 0; off < r.size; off += STREAM_CHUNK) {
        const n = Math.min(STREAM_CHUNK, r.size - off);
        const piece = buf.subarray(0, n);
        const zeroed = readFully(target, r.address + BigInt(off), piece);
        if (zeroed) diagnostics.add(`${zeroed} unreadable bytes in 0x${r.address.toString(16)}+0x${off.toString(16)} written as zeros`);
        yield piece;
      }
    },
  }));
}

/**
 * Ranges streamed from a snapshot with read-ahead: while the writer writes one piece, the next is
 * read on libuv's thread pool. Two buffers per range alternate; a short read is completed (and
 * unreadable pages zero-filled) synchronously.
 */
export function snapshotRanges(snap: Snapshot, ranges: PlannedRange[], diagnostics: Diagnostics): SnapshotMemory[] {
  const readAsync = snap.readMemoryAsync?.bind(snap);
  if (!readAsync) return directRanges(snap, ranges, diagnostics);
  return ranges.map((r) => ({
    address: r.address,
    size: r.size,
    kind: r.kind,
    async *chunks() {
      const size = Math.min(STREAM_CHUNK, r.size);
      const bufs = [new Uint8Array(size), new Uint8Array(size)];
      const start = (off: number, i: number): Promise<Uint8Array> => {
        const piece = bufs[i % 2]!.subarray(0, Math.min(STREAM_CHUNK, r.size - off));
        const at = r.address + BigInt(off);
        return readAsync(at, piece).then((n) => {
          if (n < piece.length) {
            const zeroed = readFully(snap, at + BigInt(Math.max(n, 0)), piece.subarray(Math.max(n, 0)));
            if (zeroed) diagnostics.add(`${zeroed} unreadable bytes in 0x${at.toString(16)} written as zeros`);
          }
          return piece;
        });
      };
      let pending = start(0, 0);
      for (let off = 0, i = 0; off < r.size; off += STREAM_CHUNK, i++) {
        const piece = await pending;
        if (off + STREAM_CHUNK < r.size) pending = start(off + STREAM_CHUNK, i + 1);
        yield piece;
      }
    },
  }));
}
