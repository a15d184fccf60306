import { detectInputFormat, type InputFormat } from '../../core/detect.js';
import { DumpError } from '../../core/errors.js';
import { FileSource } from '../file-source.js';
import { decompressToTemp } from './decompress.js';

export function isCompressed(format: InputFormat): format is 'zstd' | 'lz4' | 'xz' {
  return format === 'zstd' || format === 'lz4' || format === 'xz';
}

/**
 * Runs `use` on an ELF core at `path`, plain or compressed as systemd-coredump keeps them
 * (decompressed into a temporary file first, removed afterwards). `format` is what detectInputFormat
 * said of the file.
 */
export async function withElfCore<T>(path: string, format: InputFormat, use: (source: FileSource) => Promise<T>): Promise<T> {
  if (format === 'elfcore') {
    const source = FileSource.open(path);
    try {
      return await use(source);
    } finally {
      await source.close();
    }
  }
  if (!isCompressed(format)) throw new DumpError('UNSUPPORTED', `${path} is a ${format}, not an ELF core`);
  const plain = await decompressToTemp(path, format);
  try {
    const source = FileSource.open(plain.path);
    try {
      const inner = await detectInputFormat(source);
      if (inner !== 'elfcore') throw new DumpError('UNSUPPORTED', `${path} is ${format}-compressed, but what it holds is not an ELF core (${inner})`);
      return await use(source);
    } finally {
      await source.close();
    }
  } finally {
    plain.remove();
  }
}
