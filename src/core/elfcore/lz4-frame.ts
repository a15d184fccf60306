/**
 * LZ4 frame format (lz4_Frame_format.md, the format of `lz4` files and of systemd-coredump's
 * .lz4 cores), decoded as a stream: memory stays at one block (at most 4 MiB) plus the 64 KiB
 * window linked blocks may refer back into, whatever the size of the output. Every length and
 * match offset is checked against the block and the window, so corrupt input ends in a DumpError.
 * Checksums (block and content xxHash32) are skipped, not verified.
 */
import { DumpError } from '../errors.js';

const MAGIC = 0x184d2204;
const WINDOW = 64 * 1024;
const BLOCK_MAX: Record<number, number> = { 4: 64 * 1024, 5: 256 * 1024, 6: 1024 * 1024, 7: 4 * 1024 * 1024 };

/** Reads exact byte counts out of a stream of chunks. */
export class ChunkReader {
  private buf = new Uint8Array(0);
  private pos = 0;
  /** Bytes consumed so far (for error positions). */
  offset = 0;
  constructor(private readonly it: AsyncIterator<Uint8Array>) {}

  /** Exactly `n` bytes; undefined at a clean end of input (no byte at all), TRUNCATED in the middle. */
  async read(n: number, what: string): Promise<Uint8Array | undefined> {
    while (this.buf.length - this.pos < n) {
      const next = await this.it.next();
      if (next.done) {
        if (this.buf.length === this.pos) return undefined;
        throw new DumpError('TRUNCATED', `the compressed input ends inside ${what} (${n} bytes wanted, ${this.buf.length - this.pos} left)`, { offset: this.offset, length: n });
      }
      const rest = this.buf.subarray(this.pos);
      const merged = new Uint8Array(rest.length + next.value.length);
      merged.set(rest);
      merged.set(next.value, rest.length);
      this.buf = merged;
      this.pos = 0;
    }
    const out = this.buf.subarray(this.pos, this.pos + n);
    this.pos += n;
    this.offset += n;
    return out;
  }

  async need(n: number, what: string): Promise<Uint8Array> {
    const b = await this.read(n, what);
    if (!b) throw new DumpError('TRUNCATED', `the compressed input ends before ${what}`, { offset: this.offset, length: n });
    return b;
  }
}

const u32 = (b: Uint8Array, o = 0): number => (b[o]! | (b[o + 1]! << 8) | (b[o + 2]! << 16) | (b[o + 3]! << 24)) >>> 0;

/** The decompressed bytes of every frame in `input`, in chunks that are reused: consume each before asking for the next. */
export async function* decodeLz4Frames(input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  const r = new ChunkReader(input[Symbol.asyncIterator]());
  let frames = 0;
  for (;;) {
    const at = r.offset;
    const magicBytes = await r.read(4, 'a frame magic number');
    if (!magicBytes) {
      if (frames === 0) throw new DumpError('TRUNCATED', 'the LZ4 input is empty', { offset: 0, length: 0 });
      return;
    }
    const magic = u32(magicBytes);
    if ((magic & 0xfffffff0) === 0x184d2a50) {
      // skippable frame: its size, then that many bytes
      let skip = u32(await r.need(4, 'a skippable frame size'));
      while (skip > 0) {
        const n = Math.min(skip, 1 << 20);
        await r.need(n, 'a skippable frame');
        skip -= n;
      }
      continue;
    }
    if (magic !== MAGIC) throw new DumpError('BAD_SIGNATURE', `no LZ4 frame magic (0x184d2204) at offset ${at}: 0x${magic.toString(16)}`, { offset: at, length: 4 });
    frames++;
    const [flg, bd] = await r.need(2, 'the frame descriptor');
    if (flg! >> 6 !== 1) throw new DumpError('UNSUPPORTED', `LZ4 frame version ${flg! >> 6} (FLG 0x${flg!.toString(16)})`, { offset: at + 4, length: 1 });
    if (flg! & 1) throw new DumpError('UNSUPPORTED', 'LZ4 frame needs a dictionary (DictID flag)', { offset: at + 4, length: 1 });
    const independent = (flg! & 0x20) !== 0;
    const blockChecksum = (flg! & 0x10) !== 0;
    const contentChecksum = (flg! & 0x04) !== 0;
    const blockMax = BLOCK_MAX[(bd! >> 4) & 7];
    if (!blockMax) throw new DumpError('BAD_SIZE', `LZ4 block maximum size id ${(bd! >> 4) & 7} (BD 0x${bd!.toString(16)})`, { offset: at + 5, length: 1 });
    await r.need((flg! & 0x08 ? 8 : 0) + 1, 'the frame descriptor'); // content size, header checksum
    const window = new Uint8Array(WINDOW + blockMax);
    let history = 0;
    for (;;) {
      const blockAt = r.offset;
      const word = u32(await r.need(4, 'a block size'));
      if (word === 0) break;
      const raw = (word & 0x80000000) !== 0;
      const size = word & 0x7fffffff;
      if (size > blockMax) throw new DumpError('BAD_SIZE', `LZ4 block of ${size} bytes exceeds the frame's maximum of ${blockMax}`, { offset: blockAt, length: 4 });
      const data = await r.need(size, 'a block');
      if (blockChecksum) await r.need(4, 'a block checksum');
      const start = independent ? 0 : history;
      const end = raw ? (window.set(data, start), start + size) : decodeBlock(data, window, start, blockAt + 4);
      yield window.subarray(start, end);
      if (!independent) {
        const keep = Math.min(WINDOW, end);
        window.copyWithin(0, end - keep, end);
        history = keep;
      }
    }
    if (contentChecksum) await r.need(4, 'the content checksum');
  }
}

/** Decodes one LZ4 block into `dst` from `start`; returns the end. Matches may reach back to dst[0]. */
export function decodeBlock(src: Uint8Array, dst: Uint8Array, start: number, fileOffset = 0): number {
  let s = 0;
  let d = start;
  const bad = (why: string): DumpError => new DumpError('BAD_SIZE', `corrupt LZ4 block: ${why}`, { offset: fileOffset + s, length: 1 });
  const length = (n: number): number => {
    if (n !== 15) return n;
    for (;;) {
      if (s >= src.length) throw bad('a length runs past the block');
      const b = src[s++]!;
      n += b;
      if (b !== 255) return n;
    }
  };
  while (s < src.length) {
    const token = src[s++]!;
    const lit = length(token >> 4);
    if (s + lit > src.length) throw bad('literals run past the block');
    if (d + lit > dst.length) throw bad('literals run past the block maximum size');
    dst.set(src.subarray(s, s + lit), d);
    s += lit;
    d += lit;
    if (s === src.length) break; // the last sequence has literals only
    if (s + 2 > src.length) throw bad('a match offset runs past the block');
    const offset = src[s]! | (src[s + 1]! << 8);
    s += 2;
    if (offset === 0 || offset > d) throw bad(`match offset ${offset} reaches before the window`);
    const len = length(token & 15) + 4;
    if (d + len > dst.length) throw bad('a match runs past the block maximum size');
    // An overlapping match repeats the last `offset` bytes: copy spans that double, each a whole number of periods.
    const from = d - offset;
    for (let done = 0; done < len; ) {
      const n = Math.min(offset + done, len - done);
      dst.copyWithin(d + done, from, from + n);
      done += n;
    }
    d += len;
  }
  return d;
}
