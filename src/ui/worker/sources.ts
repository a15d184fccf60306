// Byte sources the worker reads dumps through (browser-only: FileReaderSync and synchronous XHR
// exist only in a dedicated worker). Nothing is read whole: every read asks for its own bytes.
import { BlobSource } from '../../core/bytes/blob-source.js';
import { checkRange, type ByteSource } from '../../core/bytes/byte-source.js';
import { DumpError } from '../../core/errors.js';

/** Reads of a Blob go through blocks of this size, the last CACHED_BLOCKS kept. */
const FILE_BLOCK = 1024 * 1024;
const CACHED_FILE_BLOCKS = 96;

/**
 * A File or Blob, read lazily. Each read of a Blob in Chromium is a round trip that costs about
 * as much for 256 KiB as for 4 KiB, and the readers make many small reads (directories, page
 * tables, stack walks), so reads fetch 256 KiB blocks and keep the last 64 (16 MiB): asynchronously
 * by Blob.arrayBuffer(), synchronously (the variety writer's page reads) by FileReaderSync.
 */
export class WorkerBlobSource extends BlobSource {
  private reader: FileReaderSync | undefined;
  private readonly blocks = new Map<number, Uint8Array>();
  private readonly loading = new Map<number, Promise<Uint8Array>>();
  constructor(
    private readonly file: Blob,
    name: string,
  ) {
    super(file, name);
  }

  private keep(index: number, b: Uint8Array): Uint8Array {
    if (this.blocks.size >= CACHED_FILE_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(index, b);
    return b;
  }
  private cached(index: number): Uint8Array | undefined {
    const b = this.blocks.get(index);
    if (b) {
      this.blocks.delete(index);
      this.blocks.set(index, b);
    }
    return b;
  }
  private blockSpan(index: number): [number, number] {
    return [index * FILE_BLOCK, Math.min(FILE_BLOCK, this.size - index * FILE_BLOCK)];
  }
  private blockSync(index: number): Uint8Array {
    const hit = this.cached(index);
    if (hit) return hit;
    const [at, n] = this.blockSpan(index);
    this.reader ??= new FileReaderSync();
    return this.keep(index, new Uint8Array(this.reader.readAsArrayBuffer(this.file.slice(at, at + n))));
  }
  private blockAsync(index: number): Promise<Uint8Array> | Uint8Array {
    const hit = this.cached(index);
    if (hit) return hit;
    let p = this.loading.get(index);
    if (!p) {
      const [at, n] = this.blockSpan(index);
      p = this.file
        .slice(at, at + n)
        .arrayBuffer()
        .then((buf) => {
          this.loading.delete(index);
          return this.keep(index, new Uint8Array(buf));
        });
      this.loading.set(index, p);
    }
    return p;
  }
  /** Copies [offset, offset+length) out of the blocks `get` gives (one or several). */
  private static gather(offset: number, length: number, blocks: Uint8Array[], first: number): Uint8Array {
    if (blocks.length === 1) return blocks[0]!.subarray(offset - first * FILE_BLOCK, offset - first * FILE_BLOCK + length);
    const out = new Uint8Array(length);
    blocks.forEach((b, j) => {
      const i = first + j;
      const from = Math.max(offset, i * FILE_BLOCK) - i * FILE_BLOCK;
      const to = Math.min(offset + length, i * FILE_BLOCK + b.length) - i * FILE_BLOCK;
      out.set(b.subarray(from, to), Math.max(0, i * FILE_BLOCK - offset));
    });
    return out;
  }

  override async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    if (length >= FILE_BLOCK) return super.read(offset, length);
    const first = Math.floor(offset / FILE_BLOCK);
    const last = Math.floor((offset + length - 1) / FILE_BLOCK);
    const blocks: Uint8Array[] = [];
    for (let i = first; i <= last; i++) blocks.push(await this.blockAsync(i));
    return WorkerBlobSource.gather(offset, length, blocks, first);
  }
  readSync(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    if (length >= FILE_BLOCK) {
      this.reader ??= new FileReaderSync();
      return new Uint8Array(this.reader.readAsArrayBuffer(this.file.slice(offset, offset + length)));
    }
    const first = Math.floor(offset / FILE_BLOCK);
    const last = Math.floor((offset + length - 1) / FILE_BLOCK);
    const blocks: Uint8Array[] = [];
    for (let i = first; i <= last; i++) blocks.push(this.blockSync(i));
    return WorkerBlobSource.gather(offset, length, blocks, first);
  }
  readSyncInto(offset: number, into: Uint8Array): void {
    into.set(this.readSync(offset, into.length));
  }
}

/** Reads below this many bytes fetch a whole block, kept in a small cache (directory walks read many tiny pieces). */
const BLOCK = 64 * 1024;
const CACHED_BLOCKS = 64;

/**
 * A file of the server's dump folder, read by HTTP Range requests (`GET /files/<path>` answers 206
 * with the asked bytes; same origin, the session cookie authorizes it). Small reads fetch 64 KiB
 * blocks, cached; synchronous reads use synchronous XHR (allowed in workers).
 */
export class HttpRangeSource implements ByteSource {
  private readonly blocks = new Map<number, Uint8Array>();
  private constructor(
    private readonly url: string,
    readonly name: string,
    readonly size: number,
  ) {}

  static async open(url: string, name: string): Promise<HttpRangeSource> {
    const r = await fetch(url, { headers: { Range: 'bytes=0-0' } });
    if (r.status === 404) throw new DumpError('IO', `${name}: the server has no such file`);
    if (r.status !== 206) throw new DumpError('IO', `${name}: the server answered ${r.status} to a Range request (expected 206)`);
    const total = /\/(\d+)$/.exec(r.headers.get('Content-Range') ?? '');
    await r.arrayBuffer();
    if (!total) throw new DumpError('IO', `${name}: the server gave no Content-Range total`);
    return new HttpRangeSource(url, name, Number(total[1]));
  }

  private remember(index: number, bytes: Uint8Array): Uint8Array {
    if (this.blocks.size >= CACHED_BLOCKS) this.blocks.delete(this.blocks.keys().next().value!);
    this.blocks.set(index, bytes);
    return bytes;
  }

  private check(bytes: Uint8Array, status: number, offset: number, length: number): Uint8Array {
    if (status !== 206 && !(status === 200 && offset === 0 && length === this.size)) throw new DumpError('IO', `${this.name}: the server answered ${status} to a Range request`, { offset, length });
    if (bytes.length !== length) throw new DumpError('IO', `${this.name}: the server sent ${bytes.length} bytes for a ${length}-byte range`, { offset, length });
    return bytes;
  }

  private async fetchRange(offset: number, length: number): Promise<Uint8Array> {
    const r = await fetch(this.url, { headers: { Range: `bytes=${offset}-${offset + length - 1}` } });
    return this.check(new Uint8Array(await r.arrayBuffer()), r.status, offset, length);
  }

  private fetchRangeSync(offset: number, length: number): Uint8Array {
    const x = new XMLHttpRequest();
    x.open('GET', this.url, false);
    x.responseType = 'arraybuffer';
    x.setRequestHeader('Range', `bytes=${offset}-${offset + length - 1}`);
    x.send();
    return this.check(new Uint8Array(x.response as ArrayBuffer), x.status, offset, length);
  }

  /** The bytes from the cache's blocks when the read fits in one block; undefined when it does not. */
  private blockRange(offset: number, length: number): { index: number; from: number; len: number } | undefined {
    const index = Math.floor(offset / BLOCK);
    if (length > BLOCK || Math.floor((offset + length - 1) / BLOCK) !== index) return undefined;
    return { index, from: index * BLOCK, len: Math.min(BLOCK, this.size - index * BLOCK) };
  }

  async read(offset: number, length: number): Promise<Uint8Array> {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    const b = this.blockRange(offset, length);
    if (!b) return this.fetchRange(offset, length);
    const block = this.blocks.get(b.index) ?? this.remember(b.index, await this.fetchRange(b.from, b.len));
    return block.subarray(offset - b.from, offset - b.from + length);
  }

  readSync(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    if (length === 0) return new Uint8Array(0);
    const b = this.blockRange(offset, length);
    if (!b) return this.fetchRangeSync(offset, length);
    const block = this.blocks.get(b.index) ?? this.remember(b.index, this.fetchRangeSync(b.from, b.len));
    return block.subarray(offset - b.from, offset - b.from + length);
  }

  readSyncInto(offset: number, into: Uint8Array): void {
    into.set(this.readSync(offset, into.length));
  }
}
