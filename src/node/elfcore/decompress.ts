/**
 * systemd-coredump keeps cores compressed (Compress=yes): zstd (`.zst`), lz4 (`.lz4`) or xz
 * (`.xz`). These are decompressed as streams into a temporary file (0600, in a 0700 folder,
 * removed afterwards), so memory stays bounded whatever the core's size; the file is what the ELF
 * core reader needs, random access. zstd: fzstd (Node 20's zlib has no zstd); xz: xz-decompress
 * (xz-embedded in WebAssembly); lz4: src/core/elfcore/lz4-frame.ts.
 */
import { createReadStream, mkdtempSync, openSync, closeSync, rmSync, statfsSync, writeSync, fstatSync, constants } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { decodeLz4Frames } from '../../core/elfcore/lz4-frame.js';
import { DumpError } from '../../core/errors.js';

export type Compression = 'zstd' | 'lz4' | 'xz';

/** Largest output written (systemd-coredump's own ProcessSizeMax is at most 32 GiB). */
export const DECOMPRESS_MAX_BYTES = 64 * 1024 ** 3;
/** Free space left on the temporary file's file system at the least. */
export const DECOMPRESS_KEEP_FREE_BYTES = 512 * 1024 ** 2;
const READ_CHUNK = 1024 * 1024;

/** The decompressed bytes of `input`, chunk by chunk (a chunk may be reused: consume it before the next). */
export async function* decompressStream(kind: Compression, input: AsyncIterable<Uint8Array>): AsyncGenerator<Uint8Array> {
  if (kind === 'lz4') {
    yield* decodeLz4Frames(input);
    return;
  }
  if (kind === 'zstd') {
    const out: Uint8Array[] = [];
    const { Decompress } = await import('fzstd'); // loaded only for a .zst input
    const z = new Decompress((chunk) => void out.push(chunk));
    let any = false;
    for await (const chunk of input) {
      any = true;
      zstdStep(() => z.push(chunk));
      yield* out.splice(0);
    }
    if (!any) throw new DumpError('TRUNCATED', 'the zstd input is empty', { offset: 0, length: 0 });
    zstdStep(() => z.push(new Uint8Array(0), true));
    yield* out.splice(0);
    return;
  }
  const it = input[Symbol.asyncIterator]();
  const compressed = new ReadableStream<Uint8Array>({
    async pull(controller) {
      const next = await it.next();
      if (next.done) controller.close();
      else controller.enqueue(next.value);
    },
  });
  // xz-decompress is a CommonJS bundle: Node puts its class on the default export, tsx also by name
  const xz = (await import('xz-decompress')) as typeof import('xz-decompress') & { default?: typeof import('xz-decompress') };
  const XzReadableStream = xz.default?.XzReadableStream ?? xz.XzReadableStream;
  const reader = new XzReadableStream(compressed).getReader();
  for (;;) {
    let r: ReadableStreamReadResult<Uint8Array>;
    try {
      r = await reader.read();
    } catch (e) {
      // xz-decompress reports bad input with plain Errors carrying xz-embedded's return code
      const message = (e as Error).message;
      if (/error code 6\b/.test(message)) throw new DumpError('UNSUPPORTED', `xz: options xz-embedded does not support (an SHA-256 check, or a filter other than LZMA2/BCJ): ${message}`);
      throw new DumpError('BAD_SIZE', `xz: ${message}`);
    }
    if (r.done) return;
    yield r.value;
  }
}

/** fzstd throws plain Errors with a numeric `code` for corrupt input: those become DumpErrors. */
function zstdStep(f: () => void): void {
  try {
    f();
  } catch (e) {
    if (e instanceof Error && typeof (e as { code?: unknown }).code === 'number') throw new DumpError('BAD_SIZE', `zstd: ${e.message}`);
    throw e;
  }
}

export interface Decompressed {
  path: string;
  size: number;
  /** Removes the temporary file and its folder. */
  remove(): void;
}

/** Decompresses `input` into a new temporary file; refuses past `maxBytes` or when the disk would fill. */
export async function decompressToTemp(input: string, kind: Compression, options: { maxBytes?: number; dir?: string } = {}): Promise<Decompressed> {
  const maxBytes = options.maxBytes ?? DECOMPRESS_MAX_BYTES;
  const dir = mkdtempSync(join(options.dir ?? tmpdir(), 'dumpkit-core-'));
  const path = join(dir, 'core');
  const remove = (): void => rmSync(dir, { recursive: true, force: true });
  let fd: number | undefined;
  try {
    fd = openSync(path, constants.O_WRONLY | constants.O_CREAT | constants.O_EXCL, 0o600);
    const available = (): number => {
      const f = statfsSync(dir);
      return Number(f.bavail) * Number(f.bsize) - DECOMPRESS_KEEP_FREE_BYTES;
    };
    let room = available();
    let size = 0;
    const source = createReadStream(input, { highWaterMark: READ_CHUNK }) as AsyncIterable<Uint8Array>;
    for await (const chunk of decompressStream(kind, source)) {
      size += chunk.length;
      if (size > maxBytes) throw new DumpError('LIMIT', `${input} decompresses to more than ${maxBytes} bytes: refused`);
      if (size > room) {
        room = size - chunk.length + available(); // what is written, plus what is free now
        if (size > room) throw new DumpError('LIMIT', `decompressing ${input} would leave less than ${DECOMPRESS_KEEP_FREE_BYTES >> 20} MiB free in ${dir}: refused (set TMPDIR to a larger file system)`);
      }
      for (let done = 0; done < chunk.length; ) done += writeSync(fd, chunk, done, chunk.length - done);
    }
    const written = fstatSync(fd).size;
    closeSync(fd);
    fd = undefined;
    return { path, size: written, remove };
  } catch (e) {
    if (fd !== undefined) closeSync(fd);
    remove();
    throw e;
  }
}
