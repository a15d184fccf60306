import { statSync } from 'node:fs';
import type { FileOpener } from '../../src/core/symbols/types.js';
import { FileSource } from '../../src/node/file-source.js';

/** A FileOpener over the file system, recording which paths were asked for. */
export function fsOpener(): FileOpener & { asked: string[] } {
  const asked: string[] = [];
  return {
    separator: '/',
    asked,
    async open(path: string) {
      asked.push(path);
      try {
        if (!statSync(path).isFile()) return undefined;
      } catch {
        return undefined; // no file there: the contract's undefined
      }
      return FileSource.open(path);
    },
  };
}
