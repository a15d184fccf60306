// FileOpener over the local file system: regular files only, opened without blocking on FIFOs.
import { sep } from 'node:path';
import type { ByteSource } from '../../core/bytes/byte-source.js';
import type { FileOpener } from '../../core/symbols/types.js';
import { FileSource } from '../file-source.js';

export const fileSystemOpener: FileOpener = {
  separator: sep,
  open(path: string): Promise<ByteSource | undefined> {
    try {
      return Promise.resolve(FileSource.openRegular(path));
    } catch (e) {
      return Promise.reject(e);
    }
  },
};
