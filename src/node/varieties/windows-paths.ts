import { join, resolve, sep } from 'node:path';
import { DumpError } from '../../core/errors.js';

/**
 * Maps a Windows path (`%SystemRoot%\MEMORY.DMP`, `C:\Windows\Minidump`) under a root directory
 * standing for drive C: (`%SystemRoot%` = C:\Windows). Refuses paths that would leave the root.
 */
export function mapWindowsPath(root: string, winPath: string): string {
  let p = winPath.replace(/%SystemRoot%/gi, 'C:\\Windows').replace(/%SystemDrive%/gi, 'C:');
  if (/%[^%]+%/.test(p)) throw new DumpError('INVALID_ARGUMENT', `${winPath}: only %SystemRoot% and %SystemDrive% are known`);
  p = p.replace(/^[a-z]:/i, '');
  const parts = p.split(/[\\/]+/).filter(Boolean);
  if (parts.some((x) => x === '..')) throw new DumpError('INVALID_ARGUMENT', `${winPath}: '..' is not allowed`);
  const base = resolve(root);
  const out = join(base, ...parts);
  if (out !== base && !out.startsWith(base + sep)) throw new DumpError('INVALID_ARGUMENT', `${winPath} leaves ${root}`);
  return out;
}
