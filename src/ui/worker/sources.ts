// Byte sources the worker reads dumps through (browser-only: FileReaderSync and synchronous XHR
// exist only in a dedicated worker). Nothing is read whole: every read asks for its own bytes.
import { BlobSource } from '../../core/bytes/blob-source.js';
import { checkRange, type ByteSource } from '../../core/bytes/byte-source.js';
import { DumpError } from '../../core/errors.js';

/**
 * A File or Blob, read lazily: asynchronously by Blob.slice().arrayBuffer(), synchronously (the
 * kernel page readers' hot paths) by FileReaderSync.
 */
export class WorkerBlobSource extends BlobSource {
  private reader: FileReaderSync | undefined;
  constructor(
    private readonly file: Blob,
    name: string,
  ) {
    super(file, name);
  }
  readSync(offset: number, length: number): Uint8Array {
    checkRange(this, offset, length);
    this.reader ??= new FileReaderSync();
    return new Uint8Array(this.reader.readAsArrayBuffer(this.file.slice(offset, offset + length)));
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
