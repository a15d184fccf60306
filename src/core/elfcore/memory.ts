/**
 * The process memory in a core: its PT_LOAD segments. A segment's first p_filesz bytes are in the
 * file at p_offset; the kernel and gdb write p_filesz = 0 for mappings they did not dump (file
 * pages still on disk, guard pages, VM_DONTDUMP, I/O memory) and p_filesz = p_memsz for the others.
 * As in gdb (BFD gives the part past p_filesz a section without contents), only the file bytes
 * are readable: the rest of p_memsz is mapped but not in the core. A core cut short (RLIMIT_CORE,
 * a full disk) is readable up to where its file ends. Segments whose file bytes overlap another's
 * are not read (a hostile core could otherwise make one file byte stand for terabytes of memory),
 * so what a core can yield is bounded by its size.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { findMapping } from '../linux/maps.js';
import type { CoreProgramHeader } from './header.js';

export interface CoreSegment {
  /** Program header index. */
  index: number;
  start: bigint;
  /** start + p_memsz. */
  end: bigint;
  /** p_flags (PF_R 4, PF_W 2, PF_X 1). */
  flags: number;
  fileOffset: number;
  /** p_filesz as written. */
  fileSize: number;
  /** Bytes from `start` that can be read (those in the file); 0 when the segment was not dumped. */
  readable: bigint;
  /** The same as a number. */
  inFile: number;
}

/** Bytes copied per chunk when streaming memory out (large, so the copy runs near disk speed). */
export const CORE_CHUNK_BYTES = 8 * 1024 * 1024;

export function coreSegments(loads: CoreProgramHeader[], fileSize: number, diagnostics: Diagnostics): CoreSegment[] {
  const out: CoreSegment[] = [];
  let cut = 0;
  for (const p of loads) {
    const end = p.vaddr + p.memSize;
    if (end > 1n << 64n || p.memSize === 0n) continue;
    let file = p.fileSize;
    if (BigInt(file) > p.memSize) {
      diagnostics.add(`PT_LOAD ${p.index} at 0x${p.vaddr.toString(16)}: p_filesz ${file} is larger than p_memsz ${p.memSize}; read as p_memsz`);
      file = Number(p.memSize);
    }
    if (file > 0 && p.offset + file > fileSize) {
      const have = Math.max(0, fileSize - p.offset);
      cut += file - have;
      file = have;
    }
    out.push({ index: p.index, start: p.vaddr, end, flags: p.flags, fileOffset: p.offset, fileSize: p.fileSize, readable: BigInt(file), inFile: file });
  }
  if (cut) diagnostics.add(`the core is cut short: ${cut} bytes of memory its program headers promise are past the end of the file (unreadable)`);
  const byOffset = out.filter((s) => s.inFile > 0).sort((a, b) => a.fileOffset - b.fileOffset);
  let reach = 0; // where the file bytes of the segments kept so far end
  for (const s of byOffset) {
    if (s.fileOffset < reach) {
      diagnostics.add(`PT_LOAD ${s.index} at 0x${s.start.toString(16)}: its file bytes 0x${s.fileOffset.toString(16)}+${s.inFile} overlap another segment's: not read`);
      s.inFile = 0;
      s.readable = 0n;
    } else reach = s.fileOffset + s.inFile;
  }
  out.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  // Overlapping segments: the later one loses the overlap (a core from the kernel or gdb has none).
  const kept: CoreSegment[] = [];
  for (const s of out) {
    const last = kept[kept.length - 1];
    if (last && s.start < last.end) {
      diagnostics.add(`PT_LOAD ${s.index} at 0x${s.start.toString(16)} overlaps PT_LOAD ${last.index} (ends 0x${last.end.toString(16)}): ignored`);
      continue;
    }
    kept.push(s);
  }
  return kept;
}

/** Reads process memory out of a core's segments. */
export class CoreMemory {
  constructor(
    private readonly source: ByteSource,
    readonly segments: CoreSegment[],
  ) {}

  /** The segment holding `address`, or undefined. */
  segmentAt(address: bigint): CoreSegment | undefined {
    return findMapping(this.segments, address);
  }

  /** Bytes readable from `address` onwards without a gap, up to `max`. */
  readableFrom(address: bigint, max: bigint): bigint {
    let got = 0n;
    let at = address;
    while (got < max) {
      const s = this.segmentAt(at);
      if (!s || at >= s.start + s.readable) break;
      const n = s.start + s.readable - at;
      got += n;
      at += n;
      if (s.readable < s.end - s.start) break; // the rest of this segment is not in the core
    }
    return got < max ? got : max;
  }

  /** Exactly `length` bytes at `address`; DumpError ADDRESS_NOT_IN_DUMP when any of them is not in the core. */
  async read(address: bigint, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (const [at, dst, n, seg] of this.pieces(address, length)) out.set(await this.source.read(seg.fileOffset + at, n), dst);
    return out;
  }

  /** As read, synchronously; only when the source reads synchronously (files, buffers). */
  readSync(address: bigint, length: number): Uint8Array {
    const readSync = this.source.readSync?.bind(this.source);
    if (!readSync) throw new DumpError('UNSUPPORTED', `${this.source.name} cannot be read synchronously`);
    const out = new Uint8Array(length);
    for (const [at, dst, n, seg] of this.pieces(address, length)) out.set(readSync(seg.fileOffset + at, n), dst);
    return out;
  }

  get canReadSync(): boolean {
    return typeof this.source.readSync === 'function';
  }

  /**
   * `size` bytes from `address` in chunks of at most CORE_CHUNK_BYTES. Each chunk may be the same
   * reused buffer: the consumer must be done with it before asking for the next (the minidump
   * writer awaits each write). Every byte must be readable (plan from `readableFrom`).
   */
  async *chunks(address: bigint, size: number): AsyncGenerator<Uint8Array> {
    let buf: Uint8Array | undefined;
    const into = this.source.readSyncInto?.bind(this.source);
    for (let done = 0; done < size; ) {
      const n = Math.min(CORE_CHUNK_BYTES, size - done);
      if (into) {
        if (!buf || buf.length < n) buf = new Uint8Array(Math.min(CORE_CHUNK_BYTES, size));
        const chunk = buf.subarray(0, n);
        this.fillSync(address + BigInt(done), chunk, into);
        yield chunk;
      } else yield await this.read(address + BigInt(done), n);
      done += n;
    }
  }

  private fillSync(address: bigint, into: Uint8Array, readInto: (offset: number, into: Uint8Array) => void): void {
    for (const [at, dst, n, seg] of this.pieces(address, into.length)) readInto(seg.fileOffset + at, into.subarray(dst, dst + n));
  }

  /** Where the bytes of [address, address + length) are in the core file, in order; every byte must be readable. */
  fileExtents(address: bigint, length: number): { fileOffset: number; length: number }[] {
    return [...this.pieces(address, length)].map(([at, , n, seg]) => ({ fileOffset: seg.fileOffset + at, length: n }));
  }

  /** Splits [address, address + length) into per-segment pieces: [offset in segment, offset in output, length, segment]. */
  private *pieces(address: bigint, length: number): Generator<[number, number, number, CoreSegment]> {
    let done = 0;
    while (done < length) {
      const at = address + BigInt(done);
      const s = this.segmentAt(at);
      const inSeg = s ? Number(at - s.start) : 0;
      if (!s || BigInt(inSeg) >= s.readable) {
        throw new DumpError('ADDRESS_NOT_IN_DUMP', `0x${at.toString(16)} is not in the core (${s ? `PT_LOAD ${s.index} was not dumped` : 'no PT_LOAD segment holds it'})`);
      }
      const n = Math.min(length - done, Number(s.readable) - inSeg);
      yield [inSeg, done, n, s];
      done += n;
    }
  }
}
