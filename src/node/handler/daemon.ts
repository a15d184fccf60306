import { chmodSync, existsSync, mkdirSync, rmSync } from 'node:fs';
import { connect, createServer, Socket, type Server } from 'node:net';
import { dirname } from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { DumpError } from '../../core/errors.js';
import { close, EAGAIN, errno, MSG_CMSG_CLOEXEC, MSG_DONTWAIT, recvWithFds } from '../capture/libc.js';
import { loadConfigOrDefaults } from './config.js';
import { logOutcome, runHandler } from './core-handler.js';

/**
 * `dumpkit handler daemon`: the resident crash handler, as systemd-coredump's socket service.
 * The kernel runs the forwarder (forwarder.c) per crash; it connects here and sends the kernel's
 * arguments with two descriptors (SCM_RIGHTS): the core's pipe and /proc/PID. Each crash then goes
 * through runHandler, exactly as with the per-crash Node handler (configuration read per crash,
 * MaxConcurrent slots, caps, spool, convert, DumpCount, log line), with the process's files read
 * through the descriptor. Once the core is read to its end the daemon closes its copy of the pipe
 * and sends the forwarder its byte; the forwarder exits, and the kernel lets the crashed process go.
 *
 * Node cannot receive descriptors on a net.Socket, so connections are accepted paused (libuv never
 * reads them: a plain read would discard the descriptors) and the message is taken with recvmsg
 * through koffi, non-blocking, polled until it is whole or MESSAGE_WAIT_MS has passed. A forwarder
 * that dies mid-message leaves an end of file or a short message: its descriptors are closed and
 * nothing else happens.
 */
export interface DaemonOptions {
  socketPath: string;
  configPath: string;
  keepCore?: boolean;
}

const MAGIC = 'DKF1';
const MESSAGE_MAX = 3584;
const MESSAGE_WAIT_MS = 5000;
/** Connections handled at once; the kernel's core_pipe_limit bounds crashes in flight anyway. */
const MAX_CONNECTIONS = 256;

export interface ForwardedCrash {
  argv: string[];
  coreFd: number;
  procFd: number | undefined;
}

/** Parses "DKF1", uint32 length, NUL-ended arguments: the arguments, 'short' until `bytes` holds the whole message, or 'bad'. */
export function parseForwarded(bytes: Uint8Array): { argv: string[] } | 'short' | 'bad' {
  if (bytes.length < 8) return 'short';
  if (new TextDecoder().decode(bytes.subarray(0, 4)) !== MAGIC) return 'bad';
  const len = new DataView(bytes.buffer, bytes.byteOffset).getUint32(4, true);
  if (len > MESSAGE_MAX) return 'bad';
  if (bytes.length < 8 + len) return 'short';
  if (bytes.length > 8 + len || (len > 0 && bytes[8 + len - 1] !== 0)) return 'bad';
  const argv = len ? new TextDecoder().decode(bytes.subarray(8, 8 + len - 1)).split('\0') : [];
  return { argv };
}

/** Takes the forwarder's message off a paused connection; an error (its descriptors closed) when it never comes whole. */
async function receive(fd: number): Promise<ForwardedCrash | { error: string }> {
  const fds: number[] = [];
  let bytes = new Uint8Array(0);
  const end = performance.now() + MESSAGE_WAIT_MS;
  const fail = (error: string): { error: string } => {
    for (const f of fds) close(f);
    return { error };
  };
  for (;;) {
    const r = recvWithFds(fd, MESSAGE_MAX + 8 - bytes.length, MSG_DONTWAIT | MSG_CMSG_CLOEXEC);
    if (r.n < 0) {
      if (errno() !== EAGAIN) return fail(`recvmsg: errno ${errno()}`);
      if (performance.now() > end) return fail(`no whole message within ${MESSAGE_WAIT_MS} ms`);
      await sleep(bytes.length ? 1 : 2);
      continue;
    }
    fds.push(...r.fds);
    if (r.truncated) return fail('more descriptors than a forwarder sends');
    if (r.n === 0) return fail(`the forwarder went away after ${bytes.length} bytes`);
    const next = new Uint8Array(bytes.length + r.n);
    next.set(bytes);
    next.set(r.data, bytes.length);
    bytes = next;
    const m = parseForwarded(bytes);
    if (m === 'short') continue;
    if (m === 'bad' || fds.length < 1 || fds.length > 2) return fail(m === 'bad' ? 'not a forwarder message' : `${fds.length} descriptors, not 1 or 2`);
    return { argv: m.argv, coreFd: fds[0]!, procFd: fds[1] };
  }
}

async function handleConnection(conn: Socket, opts: DaemonOptions): Promise<void> {
  // The forwarder may be gone by the time the byte is written: that is its business.
  conn.on('error', () => undefined);
  const fd = (conn as unknown as { _handle?: { fd?: number } })._handle?.fd;
  if (typeof fd !== 'number' || fd < 0) return void conn.destroy();
  const got = await receive(fd);
  if ('error' in got) {
    logOutcome({ result: 'error', fields: { via: 'daemon', result: 'error', error: `forwarder: ${got.error}` }, logFile: loadConfigOrDefaults(opts.configPath).config.LogFile });
    return void conn.destroy();
  }
  let answered = false;
  const answer = (): void => {
    if (answered) return;
    answered = true;
    conn.end(Buffer.from([1]));
  };
  const input = new Socket({ fd: got.coreFd, readable: true, writable: false });
  try {
    const outcome = await runHandler(got.argv, {
      configPath: opts.configPath,
      keepCore: opts.keepCore,
      input,
      releaseInput: async () => {
        await new Promise<void>((r) => {
          if (input.closed) return r();
          input.once('close', () => r());
          input.destroy();
        });
        answer();
      },
      procDir: got.procFd === undefined ? undefined : `/proc/self/fd/${got.procFd}`,
      resident: true,
    });
    logOutcome(outcome);
  } finally {
    input.destroy();
    if (got.procFd !== undefined) close(got.procFd);
    answer();
  }
}

/** Whether something answers on the socket (another daemon). */
function answers(path: string): Promise<boolean> {
  return new Promise((resolve) => {
    const c = connect(path);
    c.once('connect', () => {
      c.destroy();
      resolve(true);
    });
    c.once('error', () => resolve(false));
  });
}

/**
 * Listens on `socketPath` (its folder created 0700 if missing, the socket 0600); refuses when
 * another daemon answers there, removes a stale socket file otherwise. Resolves once listening.
 */
export async function startDaemon(opts: DaemonOptions): Promise<{ server: Server; stop: () => Promise<void> }> {
  if (process.arch !== 'x64' && process.arch !== 'arm64') throw new DumpError('UNSUPPORTED', `handler daemon receives descriptors through a 64-bit msghdr; ${process.arch} is not supported`);
  const dir = dirname(opts.socketPath);
  if (!existsSync(dir)) mkdirSync(dir, { recursive: true, mode: 0o700 });
  if (existsSync(opts.socketPath)) {
    if (await answers(opts.socketPath)) throw new DumpError('REFUSED', `a daemon already listens on ${opts.socketPath}`);
    rmSync(opts.socketPath);
  }
  const inFlight = new Set<Promise<void>>();
  const server = createServer({ pauseOnConnect: true }, (conn) => {
    const p = handleConnection(conn, opts).finally(() => inFlight.delete(p));
    inFlight.add(p);
  });
  server.maxConnections = MAX_CONNECTIONS;
  const oldMask = process.umask(0o177);
  try {
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(opts.socketPath, () => resolve());
    });
  } finally {
    process.umask(oldMask);
  }
  chmodSync(opts.socketPath, 0o600);
  return {
    server,
    stop: async () => {
      await new Promise<void>((r) => server.close(() => r()));
      await Promise.all(inFlight);
    },
  };
}
