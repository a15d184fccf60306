/**
 * For a catch around a file-system call or a system call: returns the error when it is a system
 * error (a Node errno error, with a string `code` such as ENOENT, EACCES, EIO), and rethrows
 * anything else — an exception that is not the call failing is a bug and must surface.
 */
export function onlyErrno(e: unknown): NodeJS.ErrnoException {
  if (e instanceof Error && typeof (e as NodeJS.ErrnoException).code === 'string') return e;
  throw e;
}
