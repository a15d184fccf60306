import { spawnSync } from 'node:child_process';
import { chmodSync, existsSync, renameSync, rmSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DumpError } from '../../core/errors.js';
import { onlyErrno } from '../errno.js';

/**
 * The resident handler's forwarder (forwarder.c): the tiny program the kernel runs per crash,
 * which hands the crash to `dumpkit handler daemon` (daemon.ts) and falls back to the per-crash
 * Node handler when the daemon is not there. Shipped as C source (src/node/handler/forwarder.c in
 * a checkout, dist/cli/forwarder.c in the package) and compiled here with the system's cc, the
 * paths compiled in: the kernel gives it no environment and no arguments of ours.
 */
export const DEFAULT_FORWARDER = '/usr/local/libexec/dumpkit-core-forward';
export const DEFAULT_SOCKET = '/run/dumpkit/handler.sock';

export interface ForwarderPaths {
  /** The daemon's socket. */
  socket: string;
  /** node and bin/dumpkit.cjs, for the fallback. */
  node: string;
  entry: string;
  /** The configuration file, or '' for the default. */
  config: string;
  /** How long the forwarder waits for the daemon's byte before it lets the crashed process go. */
  waitSeconds: number;
}

/** forwarder.c beside this module's package: the checkout's source or the bundle's copy. */
export function forwarderSource(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (let i = 0; i < 6; i++) {
    for (const p of [join(dir, 'forwarder.c'), join(dir, 'dist', 'cli', 'forwarder.c'), join(dir, 'src', 'node', 'handler', 'forwarder.c')]) if (existsSync(p)) return p;
    dir = dirname(dir);
  }
  throw new DumpError('INVALID_ARGUMENT', 'cannot find forwarder.c above this module (src/node/handler/forwarder.c or dist/cli/forwarder.c)');
}

/** A C string literal of a path (handlerPattern has already refused spaces, % and |). */
function cString(s: string): string {
  if (!/^[\x20-\x7e]*$/.test(s) || /["\\]/.test(s)) throw new DumpError('INVALID_ARGUMENT', `${JSON.stringify(s)}: the forwarder takes printable ASCII paths without quotes or backslashes`);
  return `"${s}"`;
}

/**
 * Compiles the forwarder into `out` (mode 0755; written under a temporary name, renamed when
 * complete). Refuses with one clear line when there is no C compiler: the per-crash Node pattern
 * (`handler install` without --resident) needs none.
 */
export function compileForwarder(out: string, paths: ForwarderPaths, cc = process.env.CC ?? 'cc'): void {
  const sun = Buffer.byteLength(paths.socket);
  if (sun > 107) throw new DumpError('INVALID_ARGUMENT', `the socket path ${paths.socket} is ${sun} bytes, past a Unix socket's 107`);
  const tmp = join(dirname(out), `.${out.slice(dirname(out).length + 1)}.${process.pid}.tmp`);
  const defines = [`-DDK_SOCKET=${cString(paths.socket)}`, `-DDK_NODE=${cString(paths.node)}`, `-DDK_ENTRY=${cString(paths.entry)}`, `-DDK_CONFIG=${cString(paths.config)}`, `-DDK_WAIT_SECONDS=${Math.max(1, Math.ceil(paths.waitSeconds))}`];
  const r = spawnSync(cc, ['-O2', '-Wall', ...defines, '-o', tmp, forwarderSource()], { encoding: 'utf8' });
  if (r.error) {
    if (onlyErrno(r.error).code === 'ENOENT') throw new DumpError('REFUSED', `no C compiler (${cc}) to build the resident handler's forwarder: install one (apt-get install gcc) or set CC, or use dumpkit handler install without --resident (the per-crash Node handler)`);
    throw new DumpError('IO', `${cc}: ${r.error.message}`);
  }
  if (r.status !== 0) {
    rmSync(tmp, { force: true });
    throw new DumpError('REFUSED', `${cc} could not compile the forwarder (exit ${r.status}): ${r.stderr.trim().split('\n').slice(0, 3).join(' | ')}`);
  }
  chmodSync(tmp, 0o755);
  renameSync(tmp, out);
}
