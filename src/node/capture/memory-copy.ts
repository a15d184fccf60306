import type { Diagnostics } from '../../core/diagnostics.js';
import type { PlannedRange } from '../../core/minidump/varieties.js';
import type { SnapshotMemory } from '../../core/minidump/writer/model.js';
import { DumpError } from '../../core/errors.js';
import type { MemoryReader, Snapshot, SnapshotFileWriter } from './target.js';

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

/** Reads `length` bytes at `address`, or throws ADDRESS_NOT_MAPPED when any of them is unreadable (no zero-filling). */
export function readExactly(target: MemoryReader, address: bigint, length: number): Uint8Array {
  const buf = new Uint8Array(length);
  const zeroed = readFully(target, address, buf);
  if (zeroed) throw new DumpError('ADDRESS_NOT_MAPPED', `${zeroed} of the ${length} bytes at 0x${address.toString(16)} are unreadable`);
  return buf;
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

/** Where snapshot memory is written when the snapshot writes it itself. */
export interface FillTarget {
  /** The open dump file's descriptor, handed to the snapshot. */
  readonly descriptor?: number;
  patch(offset: number, bytes: Uint8Array): Promise<void>;
}

const ENOSPC = 28;
const EFAULT = 14;
/** One write by the snapshot: short enough for progress reports, long enough that its two ptrace stops cost nothing. */
const CHILD_WRITE_PIECE = 256 * 1024 * 1024;
/** After an unreadable page, dumpkit reads on to this boundary itself before handing back to the snapshot. */
const FAULT_BLOCK = 64 * 1024;

/**
 * Ranges the snapshot writes into the dump file itself (snapshot-writer.ts): `fill` has it
 * pwrite64 its own memory at the range's file offset, one copy in the kernel. Unreadable pages
 * (the snapshot's write stops at them) are read and zero-filled by dumpkit; if the snapshot
 * cannot write at all, dumpkit writes what is left through `chunks()`'s read path.
 */
export function snapshotFileRanges(snap: Snapshot, ranges: PlannedRange[], diagnostics: Diagnostics, sink: () => FillTarget, stats: { bytesWrittenBySnapshot: number } = { bytesWrittenBySnapshot: 0 }): SnapshotMemory[] {
  const streamed = snapshotRanges(snap, ranges, diagnostics);
  let writer: SnapshotFileWriter | undefined;
  let tried = false;
  const getWriter = (): SnapshotFileWriter | undefined => {
    if (tried) return writer;
    tried = true;
    const fd = sink().descriptor;
    if (fd === undefined || !snap.fileWriter) return undefined;
    const w = snap.fileWriter(fd);
    if ('reason' in w) diagnostics.add(`the snapshot does not write the dump itself (${w.reason}): memory passes through dumpkit`);
    else {
      writer = w;
      if (!w.hasLoop) diagnostics.add('the snapshot writes the dump without its write loop (no executable page allowed): one pwrite64 per ptrace round trip');
    }
    return writer;
  };
  const slowPath = async (address: bigint, length: number, at: number, progress: (n: number) => void): Promise<void> => {
    const buf = new Uint8Array(Math.min(STREAM_CHUNK, length));
    for (let off = 0; off < length; off += STREAM_CHUNK) {
      const piece = buf.subarray(0, Math.min(STREAM_CHUNK, length - off));
      const zeroed = readFully(snap, address + BigInt(off), piece);
      if (zeroed) diagnostics.add(`${zeroed} unreadable bytes in 0x${(address + BigInt(off)).toString(16)} written as zeros`);
      await sink().patch(at + off, piece);
      progress(piece.length);
    }
  };
  return ranges.map((r, i) => {
    if (r.kind !== 'bulk') return streamed[i]!;
    return {
      ...streamed[i]!,
      async fill(at: number, progress: (n: number) => void): Promise<void> {
        let off = 0;
        while (off < r.size) {
          const address = r.address + BigInt(off);
          const w = getWriter();
          if (!w) return slowPath(address, r.size - off, at + off, progress);
          const res = await w.writePiece(address, Math.min(CHILD_WRITE_PIECE, r.size - off), at + off);
          if ('written' in res && res.written > 0) {
            off += res.written;
            stats.bytesWrittenBySnapshot += res.written;
            progress(res.written);
            continue;
          }
          const errno = 'errno' in res ? res.errno : EFAULT;
          if (errno === EFAULT) {
            // Unreadable at `address`: dumpkit reads (zero-filling what it cannot) to the next boundary.
            const n = Math.min(FAULT_BLOCK - Number(address % BigInt(FAULT_BLOCK)), r.size - off);
            await slowPath(address, n, at + off, progress);
            off += n;
            continue;
          }
          if (errno === ENOSPC) throw new DumpError('IO', `no space left on the device while writing memory at 0x${address.toString(16)}`);
          diagnostics.add(`the snapshot stopped writing the dump (errno ${errno}): dumpkit writes the rest`);
          w.close();
          writer = undefined;
        }
      },
    };
  });
}
