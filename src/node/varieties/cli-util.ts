import { DumpError } from '../../core/errors.js';
import type { ByteSink } from '../../core/bytes/byte-sink.js';
import { FileSink } from '../file-sink.js';

/** `4G`, `4GiB`, `512M`, `1.5G`, `4294967296` (bytes) → bytes. */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt]?)(i?b)?\s*$/i.exec(text);
  if (!m) throw new DumpError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a size like 4G, 512M or a byte count`);
  const mult = { '': 1, k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as '' | 'k' | 'm' | 'g' | 't'];
  const n = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n)) throw new DumpError('INVALID_ARGUMENT', `${what} ${text} is too large`);
  return n;
}

export function parseIntOption(text: string, what: string, lo: number, hi: number): number {
  const n = Number(text);
  if (!/^\d+$/.test(text.trim()) || !Number.isSafeInteger(n) || n < lo || n > hi) {
    throw new DumpError('INVALID_ARGUMENT', `${what} must be an integer ${lo}..${hi} (got ${JSON.stringify(text)})`);
  }
  return n;
}

/**
 * Runs `write` into a FileSink: the file appears under its final name only when complete. With
 * `sync`, only once it is on disk, too (fsync): otherwise, like cp, the kernel writes it back.
 */
export async function writeFileSafely<T>(path: string, overwrite: boolean, write: (sink: ByteSink) => Promise<T>, sync = false): Promise<T> {
  const sink = FileSink.create(path, { overwrite });
  try {
    const r = await write(sink);
    sink.commit({ sync });
    return r;
  } catch (e) {
    sink.abort();
    throw e;
  }
}

/** What `--sync` says, for every command that writes a dump. */
export const SYNC_OPTION_HELP = 'wait until the dump is on disk (fsync) before giving it its final name';
