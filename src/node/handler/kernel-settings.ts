import { readFileSync, writeFileSync } from 'node:fs';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';

/**
 * kernel.core_pattern and kernel.core_pipe_limit (Documentation/admin-guide/sysctl/kernel.rst):
 * with a pattern starting with `|`, the kernel runs the program as root, in the initial
 * namespaces, with `/` as its working directory, no PATH of ours, the core on standard input.
 * The pattern is split at spaces into arguments before its %-specifiers are expanded (so `%e`,
 * the thread's name, stays one argument even when it holds spaces; dumpkit puts it last and
 * joins what is left anyway, for kernels that split after expanding). A pattern is at most
 * 127 bytes (CORENAME_MAX_SIZE 128 with its NUL).
 */
export const CORE_PATTERN = '/proc/sys/kernel/core_pattern';
export const CORE_PIPE_LIMIT = '/proc/sys/kernel/core_pipe_limit';
export const CORE_PATTERN_MAX = 127;

/**
 * The specifiers dumpkit asks for: %P the pid in the initial pid namespace (the handler's own
 * view of /proc, unlike %p for a process in a container), %i the crashing thread's tid (same
 * namespace), %s the signal, %t the time of the dump (seconds since 1970), %e the thread's comm
 * (last: may hold spaces).
 */
export const HANDLER_SPECIFIERS = ['%P', '%i', '%s', '%t', '%e'];

export function readKernelSetting(path: string): string {
  try {
    return readFileSync(path, 'utf8').replace(/\n$/, '');
  } catch (e) {
    throw new DumpError('IO', `cannot read ${path}: ${onlyErrno(e).code}`);
  }
}

export function writeKernelSetting(path: string, value: string): void {
  try {
    writeFileSync(path, value);
  } catch (e) {
    const code = onlyErrno(e).code;
    if (code === 'EACCES' || code === 'EPERM' || code === 'EROFS') {
      throw new DumpError('PERMISSION', `cannot write ${path} (${code}): changing it needs root with CAP_SYS_ADMIN in the initial user namespace, and /proc/sys writable (not in a container)`);
    }
    throw new DumpError('IO', `cannot write ${path}: ${code}`);
  }
}

/** The pipe pattern that runs `node entry handler core [--config FILE] -- %P %i %s %t %e` (`--`: a thread named like an option stays an argument). */
export function handlerPattern(node: string, entry: string, configArgs: string[]): string {
  return pipePattern([node, entry], [node, entry, 'handler', 'core', ...configArgs, '--']);
}

/** The resident handler's pattern: the forwarder (forwarder.c) and the specifiers. */
export function forwarderPattern(forwarder: string): string {
  return pipePattern([forwarder], [forwarder]);
}

/** `|fixed… %P %i %s %t %e`, refusing what the kernel cannot run or carry; `programs` must be absolute paths. */
function pipePattern(programs: string[], fixed: string[]): string {
  for (const p of fixed) {
    if (!p.startsWith('/') && programs.includes(p)) throw new DumpError('INVALID_ARGUMENT', `${p}: the kernel runs the handler with no PATH and no working directory: an absolute path is needed`);
    if (/[\s%|]/.test(p)) throw new DumpError('INVALID_ARGUMENT', `${JSON.stringify(p)} holds a space, % or |, which kernel.core_pattern cannot carry in one argument; use a path without them (a symbolic link will do)`);
  }
  const pattern = `|${[...fixed, ...HANDLER_SPECIFIERS].join(' ')}`;
  if (Buffer.byteLength(pattern) > CORE_PATTERN_MAX) {
    throw new DumpError('INVALID_ARGUMENT', `the handler's pattern is ${Buffer.byteLength(pattern)} bytes, past the kernel's limit of ${CORE_PATTERN_MAX}: ${pattern} (use shorter paths, e.g. symbolic links, for node, dumpkit and the configuration)`);
  }
  return pattern;
}

/** Whether a core_pattern is some dumpkit handler's (for status when the state file is gone). */
export function looksLikeHandler(pattern: string): boolean {
  return pattern.startsWith('|') && (/ handler core .*-- %P %i %s %t %e$/.test(pattern) || /\/dumpkit-core-forward %P %i %s %t %e$/.test(pattern));
}

/** Refuses politely unless running as root; `what` is the action. */
export function requireRoot(what: string): void {
  if (process.getuid?.() !== 0) {
    throw new DumpError('PERMISSION', `${what} needs root: kernel.core_pattern and kernel.core_pipe_limit can only be changed by root (CAP_SYS_ADMIN); run it with sudo`);
  }
}
