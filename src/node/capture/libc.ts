import koffi from 'koffi';
import { msgLayout } from './msghdr.js';

/**
 * The libc calls live capture needs, through koffi, synchronous. All koffi use stays in this
 * directory. Errors come back as -1 plus errno (read with `errno()`).
 */
const lib = koffi.load('libc.so.6');

/**
 * koffi's type names are process-wide, and one process may load this module more than once: each
 * CLI bundle carries its own copy (`dumpkit --help` loads them all). The first copy defines a
 * struct; the others use it.
 */
function namedStruct(name: string, fields: Record<string, string>): koffi.IKoffiCType {
  const g = globalThis as { [k: symbol]: Set<string> | undefined };
  const defined = (g[Symbol.for('dumpkit.koffi.structs')] ??= new Set<string>());
  if (defined.has(name)) return koffi.resolve(name);
  defined.add(name);
  return koffi.struct(name, fields);
}

const iovec = namedStruct('dumpkit_iovec', { iov_base: 'void *', iov_len: 'size_t' });

export const PTRACE_CONT = 7;
export const PTRACE_KILL = 8;
export const PTRACE_SYSCALL = 24;
export const PTRACE_SETOPTIONS = 0x4200;
export const PTRACE_GETEVENTMSG = 0x4201;
export const PTRACE_SETREGSET = 0x4205;
export const PTRACE_O_TRACESYSGOOD = 0x1;
export const PTRACE_O_TRACECLONE = 0x8;
export const PTRACE_O_EXITKILL = 0x100000;
export const PTRACE_EVENT_CLONE = 3;
export const SIGKILL = 9;
export const SIGTRAP = 5;
export const PTRACE_DETACH = 17;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_EVENT_STOP = 128;
export const PTRACE_LISTEN = 0x4208;
export const NT_PRSTATUS = 1;
export const NT_PRFPREG = 2;
export const NT_PRXFPREG = 0x46e62b7f;
export const WNOHANG = 1;
export const __WALL = 0x40000000;
export const ESRCH = 3;
export const EPERM = 1;
export const EINTR = 4;
export const ECHILD = 10;
export const EFAULT = 14;
export const EIO = 5;

const ptraceNum = lib.func('long ptrace(int request, int pid, uintptr_t addr, uintptr_t data)');
const ptraceIov = lib.func('long ptrace(int request, int pid, uintptr_t addr, _Inout_ dumpkit_iovec *data)');
const ptraceBuf = lib.func('long ptrace(int request, int pid, uintptr_t addr, _Out_ uint8_t *data)');
const waitpidFn = lib.func('int waitpid(int pid, _Out_ int *status, int options)');
const pvReadv = lib.func('long process_vm_readv(int pid, dumpkit_iovec *local, unsigned long liovcnt, dumpkit_iovec *remote, unsigned long riovcnt, unsigned long flags)');

export function errno(): number {
  return koffi.errno();
}

export function ptrace(request: number, pid: number, addr = 0, data = 0): number {
  return Number(ptraceNum(request, pid, addr, data));
}

/** PTRACE_GETREGSET into `buf`; returns the number of bytes the kernel filled, or -1. */
export function ptraceGetRegset(pid: number, noteType: number, buf: Uint8Array): number {
  const iov = { iov_base: buf, iov_len: buf.length };
  const r = Number(ptraceIov(PTRACE_GETREGSET, pid, noteType, iov));
  return r < 0 ? -1 : Number(iov.iov_len);
}

/** PTRACE_SETREGSET from `buf`; returns 0 or -1. */
export function ptraceSetRegset(pid: number, noteType: number, buf: Uint8Array): number {
  return Number(ptraceIov(PTRACE_SETREGSET, pid, noteType, { iov_base: buf, iov_len: buf.length }));
}

/** PTRACE_GETEVENTMSG (e.g. the new child's pid after PTRACE_EVENT_CLONE), or -1. */
export function ptraceGetEventMsg(pid: number): number {
  const b = new Uint8Array(8);
  if (Number(ptraceBuf(PTRACE_GETEVENTMSG, pid, 0, b)) < 0) return -1;
  return Number(new DataView(b.buffer).getBigUint64(0, true));
}

const killFn = lib.func('int kill(int pid, int sig)');
export function kill(pid: number, sig: number): number {
  return killFn(pid, sig) as number;
}

/** PTRACE_GETSIGINFO into a 128-byte siginfo_t buffer. */
export function ptraceGetSiginfo(pid: number, buf: Uint8Array): number {
  return Number(ptraceBuf(PTRACE_GETSIGINFO, pid, 0, buf));
}

/** waitpid; returns [pid or -1 or 0, status]. */
export function waitpid(pid: number, options: number): [number, number] {
  const st = [0];
  const r = waitpidFn(pid, st, options) as number;
  return [r, st[0]!];
}

const iovecRaw = namedStruct('dumpkit_iovec_raw', { iov_base: 'uintptr_t', iov_len: 'size_t' });
const pvReadvRaw = lib.func('long process_vm_readv(int pid, dumpkit_iovec_raw *local, unsigned long liovcnt, dumpkit_iovec_raw *remote, unsigned long riovcnt, unsigned long flags)');
// memset(p, 0, 0) returns p: the address of a typed array's memory, passed without copying.
const addressOf = lib.func('uintptr_t memset(void *s, int c, size_t n)');
/** Typed arrays at least this large live outside the V8 heap, so their memory never moves. */
const OFF_HEAP_MIN = 4096;

/**
 * process_vm_readv of one remote range into `buf`; returns bytes read or -1. Large buffers are
 * passed by address (koffi would otherwise marshal a copy of a struct member's buffer).
 */
export function readProcessMemory(pid: number, address: bigint, buf: Uint8Array): number {
  if (buf.length >= OFF_HEAP_MIN) {
    // User-space addresses are below 2^47: exact as numbers.
    const base = Number(addressOf(buf, 0, 0) as number | bigint);
    return Number(pvReadvRaw(pid, [{ iov_base: base, iov_len: buf.length }], 1, [{ iov_base: Number(address), iov_len: buf.length }], 1, 0));
  }
  return Number(pvReadv(pid, [{ iov_base: buf, iov_len: buf.length }], 1, [{ iov_base: address, iov_len: buf.length }], 1, 0));
}

const syscallFn = lib.func('long syscall(long number, ...)');
const SYS_PIDFD_OPEN = 434;
const SYS_PIDFD_GETFD = 438;
/** pidfd_open(pid, 0): a file descriptor for the process, or -1. */
export function pidfdOpen(pid: number): number {
  return Number(syscallFn(SYS_PIDFD_OPEN, 'int', pid, 'uint', 0));
}
/** pidfd_getfd(pidfd, fd, 0): a duplicate, in this process, of another process's descriptor, or -1. */
export function pidfdGetfd(pidfd: number, fd: number): number {
  return Number(syscallFn(SYS_PIDFD_GETFD, 'int', pidfd, 'int', fd, 'uint', 0));
}

const closeFn = lib.func('int close(int fd)');
export function close(fd: number): number {
  return closeFn(fd) as number;
}

const sendmsgFn = lib.func('long sendmsg(int fd, uintptr_t msg, int flags)');
/**
 * Sends one byte and the descriptor `passFd` over the Unix socket `sock` (SCM_RIGHTS). The
 * msghdr is built in a buffer outside the V8 heap, whose address does not move.
 */
export function sendFd(sock: number, passFd: number): number {
  const buf = new Uint8Array(OFF_HEAP_MIN);
  const base = BigInt(addressOf(buf, 0, 0) as number | bigint);
  buf.set(msgLayout(8).message(base, passFd));
  return Number(sendmsgFn(sock, base, 0));
}

const sysconfFn = lib.func('long sysconf(int name)');
export const _SC_CLK_TCK = 2;
export const _SC_PAGESIZE = 30;

/** sysconf(3): clock ticks per second, page size, …; -1 if unknown. */
export function sysconf(name: number): number {
  return Number(sysconfFn(name));
}

const recvmsgFn = lib.func('long recvmsg(int fd, uintptr_t msg, int flags)');
export const MSG_DONTWAIT = 0x40;
export const MSG_CMSG_CLOEXEC = 0x40000000;
const MSG_CTRUNC = 0x8;
export const EAGAIN = 11;
/** Room for the received bytes, and for descriptors (SCM_RIGHTS). */
const RECV_DATA_AT = 512;
const RECV_CONTROL_AT = 128;
const RECV_CONTROL_BYTES = 256;

/**
 * recvmsg(2) of up to `max` bytes (at most 3584) from the Unix socket `sock`, with every
 * descriptor that came along (SCM_RIGHTS; with MSG_CMSG_CLOEXEC in `flags`, close-on-exec). `n`
 * is what recvmsg returned (0 at the end, -1 with `errno()`); `truncated`: descriptors were lost
 * because the control buffer was too small (those that arrived are in `fds`). 64-bit only, like
 * sendFd.
 */
export function recvWithFds(sock: number, max: number, flags: number): { n: number; data: Uint8Array; fds: number[]; truncated: boolean } {
  const buf = new Uint8Array(OFF_HEAP_MIN);
  const len = Math.min(max, buf.length - RECV_DATA_AT);
  const base = BigInt(addressOf(buf, 0, 0) as number | bigint);
  const v = new DataView(buf.buffer, buf.byteOffset, buf.byteLength);
  // msghdr: msg_name, msg_namelen, msg_iov, msg_iovlen, msg_control, msg_controllen, msg_flags (x86_64/aarch64 offsets).
  v.setBigUint64(16, base + 64n, true);
  v.setBigUint64(24, 1n, true);
  v.setBigUint64(32, base + BigInt(RECV_CONTROL_AT), true);
  v.setBigUint64(40, BigInt(RECV_CONTROL_BYTES), true);
  v.setBigUint64(64, base + BigInt(RECV_DATA_AT), true);
  v.setBigUint64(72, BigInt(len), true);
  const n = Number(recvmsgFn(sock, base, flags));
  const fds: number[] = [];
  if (n < 0) return { n, data: new Uint8Array(0), fds, truncated: false };
  const controlLen = Number(v.getBigUint64(40, true));
  // cmsghdr: cmsg_len (size_t), cmsg_level, cmsg_type (int each), data at 16; each aligned to 8.
  for (let at = 0; at + 16 <= controlLen; ) {
    const cl = Number(v.getBigUint64(RECV_CONTROL_AT + at, true));
    if (cl < 16 || at + cl > controlLen) break;
    if (v.getInt32(RECV_CONTROL_AT + at + 8, true) === 1 && v.getInt32(RECV_CONTROL_AT + at + 12, true) === 1) {
      for (let i = 16; i + 4 <= cl; i += 4) fds.push(v.getInt32(RECV_CONTROL_AT + at + i, true));
    }
    at += (cl + 7) & ~7;
  }
  return { n, data: buf.slice(RECV_DATA_AT, RECV_DATA_AT + n), fds, truncated: (v.getInt32(48, true) & MSG_CTRUNC) !== 0 };
}
