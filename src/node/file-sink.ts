import { closeSync, constants, existsSync, fsyncSync, ftruncateSync, linkSync, mkdirSync, openSync, renameSync, rmdirSync, unlinkSync, writeSync } from 'node:fs';
import { basename, dirname, extname, join, resolve } from 'node:path';
import type { ByteSink } from '../core/bytes/byte-sink.js';
import { DumpError } from '../core/errors.js';

/**
 * Writes a dump the safe way: under a temporary name in the target directory, mode 0600, then
 * renamed to the final name only when complete. Never replaces an existing file unless
 * `overwrite` is set. If the writer fails or the process dies, no file appears under the final
 * name (the temporary one is removed on failure; `*.dumpkit-tmp` leftovers after a SIGKILL are
 * harmless and say what they are).
 */
export class FileSink implements ByteSink {
  position = 0;
  private fd: number | undefined;
  readonly tempPath: string;

  private constructor(
    readonly finalPath: string,
    private readonly overwrite: boolean,
  ) {
    this.tempPath = join(dirname(finalPath), `.${basename(finalPath)}.${process.pid}.dumpkit-tmp`);
    if (!overwrite && existsSync(finalPath)) {
      throw new DumpError('REFUSED', `${finalPath} exists; pass --overwrite to replace it`);
    }
    try {
      this.fd = openSync(this.tempPath, constants.O_WRONLY | constants.O_CREAT | constants.O_TRUNC, 0o600);
    } catch (e) {
      const err = e as NodeJS.ErrnoException;
      throw new DumpError(err.code === 'EACCES' ? 'PERMISSION' : 'IO', `cannot create ${this.tempPath}: ${err.code ?? err.message}`);
    }
  }

  static create(finalPath: string, options: { overwrite?: boolean } = {}): FileSink {
    return new FileSink(finalPath, options.overwrite ?? false);
  }

  write(bytes: Uint8Array): Promise<number> {
    return Promise.resolve(this.writeSync(bytes));
  }

  writeSync(bytes: Uint8Array): number {
    const at = this.position;
    this.writeAt(at, bytes);
    this.position += bytes.length;
    return at;
  }

  /** Leaves `length` bytes to be written at their offset by someone else (the file is extended at commit). */
  reserve(length: number): Promise<number> {
    const at = this.position;
    this.position += length;
    return Promise.resolve(at);
  }

  /** The open temporary file's descriptor (to hand to a writer in another process). */
  get descriptor(): number {
    if (this.fd === undefined) throw new DumpError('IO', `${this.finalPath}: sink already closed`);
    return this.fd;
  }

  patch(offset: number, bytes: Uint8Array): Promise<void> {
    if (offset + bytes.length > this.position) throw new RangeError('patch past end of sink');
    this.writeAt(offset, bytes);
    return Promise.resolve();
  }

  private writeAt(offset: number, bytes: Uint8Array): void {
    if (this.fd === undefined) throw new DumpError('IO', `${this.finalPath}: sink already closed`);
    let done = 0;
    while (done < bytes.length) {
      try {
        done += writeSync(this.fd, bytes, done, bytes.length - done, offset + done);
      } catch (e) {
        const err = e as NodeJS.ErrnoException;
        throw new DumpError('IO', `writing ${this.tempPath}: ${err.code ?? err.message}`);
      }
    }
  }

  /**
   * Closes and renames into place; with `sync`, first waits until the data is on disk (fsync).
   * Returns the final path.
   */
  commit(options: { sync?: boolean } = {}): string {
    const fd = this.fd;
    if (fd === undefined) throw new DumpError('IO', `${this.finalPath}: sink already closed`);
    ioStep(`writing ${this.tempPath}`, () => {
      ftruncateSync(fd, this.position); // reserved bytes at the end that were never written still count
      if (options.sync) fsyncSync(fd);
    });
    this.fd = undefined;
    ioStep(`closing ${this.tempPath}`, () => closeSync(fd)); // a delayed write error (NFS, quota) shows here
    if (this.overwrite) {
      ioStep(`renaming ${this.tempPath} to ${this.finalPath}`, () => renameSync(this.tempPath, this.finalPath));
    } else {
      // link() fails if the final name appeared meanwhile: no silent replacement, even in a race.
      try {
        linkSync(this.tempPath, this.finalPath);
      } catch (e) {
        unlinkSync(this.tempPath);
        const err = e as NodeJS.ErrnoException;
        throw new DumpError(err.code === 'EEXIST' ? 'REFUSED' : 'IO', `cannot create ${this.finalPath}: ${err.code ?? err.message}`);
      }
      unlinkSync(this.tempPath);
    }
    return this.finalPath;
  }

  /** Closes and removes the temporary file; safe to call more than once. */
  abort(): void {
    if (this.fd !== undefined) {
      try {
        closeSync(this.fd);
      } catch {
        /* already closed */
      }
      this.fd = undefined;
    }
    try {
      unlinkSync(this.tempPath);
    } catch {
      /* already gone */
    }
  }
}

/** Runs a file-system step; its errno error becomes a one-line IO (or PERMISSION) DumpError saying what was being done. */
function ioStep(what: string, step: () => void): void {
  try {
    step();
  } catch (e) {
    const err = e as NodeJS.ErrnoException;
    if (typeof err.code !== 'string') throw e;
    throw new DumpError(err.code === 'EACCES' || err.code === 'EPERM' ? 'PERMISSION' : 'IO', `${what}: ${err.code}`);
  }
}

/**
 * Runs `f` with folder `dir` (and its missing parents) created, for a file about to be written in
 * it; if `f` fails, removes the folders this call created (those still empty), so that an aborted
 * write leaves no empty tree behind.
 */
export async function inNewFolders<T>(dir: string, f: () => Promise<T>): Promise<T> {
  let first: string | undefined;
  ioStep(`cannot create ${dir}`, () => {
    first = mkdirSync(dir, { recursive: true });
  });
  try {
    return await f();
  } catch (e) {
    if (first !== undefined) removeEmptyFolders(resolve(dir), resolve(first));
    throw e;
  }
}

/** rmdir from `dir` up to and including `top`, stopping at the first folder that is not empty. */
function removeEmptyFolders(dir: string, top: string): void {
  for (let d = dir; d.startsWith(top); d = dirname(d)) {
    try {
      rmdirSync(d);
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      if (code === 'ENOTEMPTY' || code === 'EEXIST' || code === 'ENOENT') return;
      throw e;
    }
    if (d === top) return;
  }
}

/** `name.dmp`, then `name (2).dmp`, `name (3).dmp`, … — the first that does not exist. */
export function nextFreeName(path: string): string {
  if (!existsSync(path)) return path;
  const ext = extname(path);
  const stem = path.slice(0, path.length - ext.length);
  for (let i = 2; i < 100000; i++) {
    const candidate = `${stem} (${i})${ext}`;
    if (!existsSync(candidate)) return candidate;
  }
  throw new DumpError('REFUSED', `no free file name near ${path}`);
}
