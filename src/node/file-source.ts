import { closeSync, constants, fstatSync, openSync, readSync } from 'node:fs';
import { checkRange, type ByteSource } from '../core/bytes/byte-source.js';
import { DumpError } from '../core/errors.js';

/**
 * Opens an input for reading — the one way every input (dumps, configs) is opened: non-blocking,
 * so that a FIFO cannot stall `open` waiting for a writer, then refused unless it is a regular file
 * (or a block device holding a dump). O_NONBLOCK changes nothing for reads of regular files.
 */
function openInput(path: string): { fd: number; size: number } {
  let fd: number;
  try {
    fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK);
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    throw new DumpError(err.code === 'EACCES' ? 'PERMISSION' : 'IO', `cannot open ${path}: ${err.code ?? err.message}`);
  }
  const st = fstatSync(fd);
  if (!st.isFile() && !st.isBlockDevice()) {
    closeSync(fd);
    const kind = st.isFIFO() ? 'a FIFO' : st.isDirectory() ? 'a directory' : st.isCharacterDevice() ? 'a character device' : st.isSocket() ? 'a socket' : 'not a file';
    throw new DumpError('IO', `${path} is not a regular file (${kind})`);
  }
  return { fd, size: st.size };
}

/**
 * A small text input (a config) read whole, refused when larger than `maxBytes` (checked before
 * reading, and again while reading in case it grows).
 */
export function readInputText(path: string, what: string, maxBytes: number): string {
  const { fd, size } = openInput(path);
  try {
    if (size > maxBytes) throw new DumpError('COUNT_TOO_LARGE', `${what} ${path} is ${size} bytes; the limit is ${maxBytes}`);
    const buf = Buffer.alloc(maxBytes + 1);
    let done = 0;
    for (let n; done <= maxBytes && (n = readSync(fd, buf, done, buf.length - done, done)) > 0; ) done += n;
    if (done > maxBytes) throw new DumpError('COUNT_TOO_LARGE', `${what} ${path} grew past the limit of ${maxBytes} bytes while being read`);
    return buf.subarray(0, done).toString('utf8');
  } finally {
    closeSync(fd);
  }
}

/**
 * A ByteSource over a file: positioned reads with readSync (fast for page-sized reads from the
 * page cache), nothing read until asked for.
 */
export class FileSource implements ByteSource {
  readonly size: number;
  private fd: number | undefined;

  private constructor(fd: number, size: number, readonly name: string) {
    this.fd = fd;
    this.size = size;
  }

  static open(path: string): FileSource {
    const { fd, size } = openInput(path);
    return new FileSource(fd, size, path);
  }

  /**
   * Opens `path` only if it is a regular file: undefined when there is nothing there or something
   * else (a directory, a FIFO, a device). Opened non-blocking, so a FIFO never blocks the open.
   * Other failures (permission) are DumpErrors.
   */
  static openRegular(path: string): FileSource | undefined {
    let fd: number;
    try {
      fd = openSync(path, constants.O_RDONLY | constants.O_NONBLOCK | constants.O_NOCTTY);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      if (err.code === 'ENOENT' || err.code === 'ENOTDIR' || err.code === 'ENXIO' || err.code === 'EISDIR' || err.code === 'ELOOP') return undefined;
      throw new DumpError(err.code === 'EACCES' ? 'PERMISSION' : 'IO', `cannot open ${path}: ${err.code ?? err.message}`);
    }
    const st = fstatSync(fd);
    if (!st.isFile()) {
      closeSync(fd);
      return undefined;
    }
    return new FileSource(fd, st.size, path);
  }

  /** The open file's descriptor (for in-kernel copies out of it). */
  get descriptor(): number {
    if (this.fd === undefined) throw new DumpError('IO', `${this.name} is closed`);
    return this.fd;
  }

  read(offset: number, length: number): Promise<Uint8Array> {
    try {
      return Promise.resolve(this.readSync(offset, length));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  readSync(offset: number, length: number): Uint8Array {
    const out = Buffer.allocUnsafe(length);
    this.readSyncInto(offset, out);
    return new Uint8Array(out.buffer, out.byteOffset, length);
  }

  readSyncInto(offset: number, into: Uint8Array): void {
    const length = into.length;
    checkRange(this, offset, length);
    if (this.fd === undefined) throw new DumpError('IO', `${this.name} is closed`);
    let done = 0;
    while (done < length) {
      const n = readSync(this.fd, into, done, length - done, offset + done);
      if (n === 0) throw new DumpError('TRUNCATED', `${this.name} shrank while reading`, { offset: offset + done, length: length - done });
      done += n;
    }
  }

  close(): Promise<void> {
    if (this.fd !== undefined) closeSync(this.fd);
    this.fd = undefined;
    return Promise.resolve();
  }
}
