import { DumpError } from '../../core/errors.js';
import { parseInteger, numberOrUndefined } from '../../core/numbers.js';
import { FileSink } from '../file-sink.js';

/**
 * `4G`, `4GiB`, `512M`, `1.5G` (binary multiples), or a byte count as any number (decimal, `0x` hex) → bytes.
 */
export function parseSize(text: string, what = 'size'): number {
  const m = /^\s*(\d+(?:\.\d+)?)\s*([kmgt])(i?b)?\s*$/i.exec(text);
  if (!m) {
    const bytes = numberOrUndefined(text);
    if (bytes === undefined) throw new DumpError('INVALID_ARGUMENT', `${what} ${JSON.stringify(text)} is not a size like 4G, 512M or a byte count (decimal or 0x hex)`);
    if (bytes > BigInt(Number.MAX_SAFE_INTEGER)) throw new DumpError('INVALID_ARGUMENT', `${what} ${text} is too large`);
    return Number(bytes);
  }
  const mult = { k: 1024, m: 1024 ** 2, g: 1024 ** 3, t: 1024 ** 4 }[m[2]!.toLowerCase() as 'k' | 'm' | 'g' | 't'];
  const n = Math.round(Number(m[1]) * mult);
  if (!Number.isSafeInteger(n)) throw new DumpError('INVALID_ARGUMENT', `${what} ${text} is too large`);
  return n;
}

/** An integer option in lo..hi, in one of the forms of core/numbers.ts. */
export const parseIntOption = parseInteger;

/** A number of seconds: decimal, with an optional fraction (`30`, `0.5`). */
export function parseSeconds(text: string, what: string): number {
  const s = /^\s*\d+(?:\.\d+)?\s*$/.test(text) ? Number(text) : NaN;
  if (!(s > 0) || !Number.isFinite(s)) throw new DumpError('INVALID_ARGUMENT', `${what} must be a positive number of seconds like 30 or 0.5 (got ${JSON.stringify(text)})`);
  return s;
}

/**
 * Runs `write` into a FileSink: the file appears under its final name only when complete. With
 * `sync`, only once it is on disk, too (fsync): otherwise, like cp, the kernel writes it back.
 */
export async function writeFileSafely<T>(path: string, overwrite: boolean, write: (sink: FileSink) => Promise<T>, sync = false): Promise<T> {
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
