// FileObjectStore: the ObjectStore of the embedded deployment (and of a scale-out deployment on a
// shared folder): one file per key under DIR, written under a temporary name (mode 0600) and
// renamed (or hard-linked, to refuse an existing key atomically) when complete.
import { createWriteStream } from 'node:fs';
import { link, lstat, mkdir, open, readFile, readdir, rename, statfs, unlink } from 'node:fs/promises';
import { randomBytes } from 'node:crypto';
import { dirname, join, sep } from 'node:path';
import { Readable } from 'node:stream';
import { pipeline } from 'node:stream/promises';
import type { ByteSource } from '../../../core/bytes/byte-source.js';
import { DumpError } from '../../../core/errors.js';
import { onlyErrno } from '../../errno.js';
import { FileSource } from '../../file-source.js';
import type { ObjectStore } from '../contract.js';
import { checkObjectKey } from '../object-keys.js';

const TMP = '.tmp';

/** Maps the errno of a failed write to the contract's codes: ENOSPC/EDQUOT → NO_SPACE. */
export function writeError(e: unknown, what: string): DumpError {
  if (e instanceof DumpError) return e;
  const err = onlyErrno(e);
  if (err.code === 'ENOSPC' || err.code === 'EDQUOT') return new DumpError('NO_SPACE', `${what}: the disk is full (${err.code})`);
  return new DumpError(err.code === 'EACCES' ? 'PERMISSION' : 'IO', `${what}: ${err.code ?? err.message}`);
}

export class FileObjectStore implements ObjectStore {
  /** Directories known to exist (one mkdir per directory, not per object). */
  private readonly made = new Set<string>();
  private free = { at: 0, bytes: 0 };

  constructor(readonly dir: string) {}

  private async mkdirOnce(d: string): Promise<void> {
    if (this.made.has(d)) return;
    await mkdir(d, { recursive: true, mode: 0o700 });
    if (this.made.size > 10_000) this.made.clear();
    this.made.add(d);
  }

  private path(key: string): string {
    checkObjectKey(key);
    if (key.split('/')[0] === TMP) throw new DumpError('INVALID_ARGUMENT', `object key ${JSON.stringify(key)} names the store's temporary folder`);
    return join(this.dir, ...key.split('/'));
  }

  async put(key: string, body: Readable | AsyncIterable<Uint8Array> | Uint8Array, opts: { overwrite?: boolean; signal?: AbortSignal } = {}): Promise<{ size: number }> {
    const final = this.path(key);
    const tmpDir = join(this.dir, TMP);
    const tmp = join(tmpDir, `${randomBytes(12).toString('hex')}.part`);
    let size = 0;
    try {
      await this.mkdirOnce(tmpDir);
      await this.mkdirOnce(dirname(final));
      const out = createWriteStream(tmp, { flags: 'wx', mode: 0o600 });
      const source = body instanceof Uint8Array ? Readable.from([body]) : body;
      await pipeline(
        source,
        async function* count(chunks: AsyncIterable<Uint8Array>) {
          for await (const c of chunks) {
            size += c.length;
            yield c;
          }
        },
        out,
        opts.signal ? { signal: opts.signal } : {},
      );
      if (opts.overwrite) await rename(tmp, final);
      else {
        try {
          await link(tmp, final);
        } catch (e) {
          if (onlyErrno(e).code === 'EEXIST') throw new DumpError('REFUSED', `object ${key} exists`);
          throw e;
        }
        await unlink(tmp);
      }
      return { size };
    } catch (e) {
      await unlink(tmp).catch((u) => {
        if (onlyErrno(u).code !== 'ENOENT') throw u;
      });
      if (e instanceof Error && e.name === 'AbortError') throw e;
      throw writeError(e, `storing ${key}`);
    }
  }

  async get(key: string): Promise<Uint8Array | undefined> {
    try {
      return new Uint8Array(await readFile(this.path(key)));
    } catch (e) {
      if (onlyErrno(e).code === 'ENOENT') return undefined;
      throw writeError(e, `reading ${key}`);
    }
  }

  async getStream(key: string): Promise<Readable | undefined> {
    const p = this.path(key);
    try {
      const fh = await open(p, 'r');
      return fh.createReadStream();
    } catch (e) {
      if (onlyErrno(e).code === 'ENOENT') return undefined;
      throw writeError(e, `reading ${key}`);
    }
  }

  source(key: string): Promise<ByteSource | undefined> {
    try {
      return Promise.resolve(FileSource.openRegular(this.path(key)));
    } catch (e) {
      return Promise.reject(e);
    }
  }

  async delete(key: string): Promise<void> {
    try {
      await unlink(this.path(key));
    } catch (e) {
      if (onlyErrno(e).code !== 'ENOENT') throw e;
    }
  }

  async *list(prefix: string): AsyncIterable<string> {
    const keys: string[] = [];
    const walk = async (dir: string, rel: string): Promise<void> => {
      let names: string[];
      try {
        names = await readdir(dir);
      } catch (e) {
        const code = onlyErrno(e).code;
        if (code === 'ENOENT' || code === 'ENOTDIR') return;
        throw e;
      }
      for (const name of names.sort()) {
        if (!rel && name === TMP) continue;
        const k = rel ? `${rel}/${name}` : name;
        if (!(k.startsWith(prefix) || prefix.startsWith(k + '/'))) continue;
        const p = join(dir, name);
        const st = await lstat(p);
        if (st.isDirectory()) await walk(p, k);
        else if (st.isFile() && k.startsWith(prefix)) keys.push(k);
      }
    };
    await walk(this.dir, '');
    yield* keys.sort();
  }

  /** Free bytes on the store's file system (asked at most every 500 ms). */
  async freeBytes(): Promise<number | undefined> {
    const now = Date.now();
    if (now - this.free.at > 500) {
      await this.mkdirOnce(this.dir);
      const s = await statfs(this.dir + sep);
      this.free = { at: now, bytes: s.bavail * s.bsize };
    }
    return this.free.bytes;
  }
}
