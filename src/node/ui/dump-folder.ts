import { chmodSync, lstatSync, mkdirSync, statSync } from 'node:fs';
import { tmpdir, userInfo } from 'node:os';
import { join, resolve } from 'node:path';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';

/**
 * The default dump folder: Task Manager writes user dumps to the per-user temporary folder; here
 * that is `$TMPDIR` (or /tmp) `/dumpkit-<user>`, created mode 0700. A shared /tmp lets anyone
 * create that name first, so an existing one must be a real directory of ours, not a symlink,
 * and is made private again if it is not.
 */
export function defaultDumpFolder(): string {
  const user = userInfo().username.replace(/[^\w.-]/g, '_') || String(process.getuid?.() ?? 'user');
  return join(process.env.TMPDIR || tmpdir(), `dumpkit-${user}`);
}

/** Creates (0700) or checks the dump folder; returns its absolute path. */
export function prepareDumpFolder(dir: string, isDefault: boolean): string {
  const abs = resolve(dir);
  try {
    mkdirSync(abs, { recursive: !isDefault, mode: 0o700 });
  } catch (e) {
    const err = onlyErrno(e);
    if (err.code !== 'EEXIST') throw new DumpError(err.code === 'EACCES' ? 'PERMISSION' : 'IO', `cannot create the dump folder ${abs}: ${err.code}`);
  }
  const st = lstatSync(abs);
  if (isDefault) {
    if (!st.isDirectory()) throw new DumpError('REFUSED', `${abs} is not a directory (a symlink or file someone else put there?): remove it or pass --dump-dir`);
    const uid = process.getuid?.();
    if (uid !== undefined && st.uid !== uid) throw new DumpError('REFUSED', `${abs} belongs to user ${st.uid}, not to you: remove it or pass --dump-dir`);
    if ((st.mode & 0o077) !== 0) chmodSync(abs, 0o700);
  } else if (!statSync(abs).isDirectory()) {
    throw new DumpError('INVALID_ARGUMENT', `the dump folder ${abs} is not a directory`);
  }
  return abs;
}
