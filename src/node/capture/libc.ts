import koffi from 'koffi';

/**
 * The libc calls live capture needs, through koffi, synchronous. All koffi use stays in this
 * directory. Errors come back as -1 plus errno (read with `errno()`).
 */
const lib = koffi.load('libc.so.6');

const iovec = koffi.struct('dumpkit_iovec', { iov_base: 'void *', iov_len: 'size_t' });

export const PTRACE_CONT = 7;
export const PTRACE_DETACH = 17;
export const PTRACE_GETREGSET = 0x4204;
export const PTRACE_SEIZE = 0x4206;
export const PTRACE_INTERRUPT = 0x4207;
export const PTRACE_GETSIGINFO = 0x4202;
export const PTRACE_EVENT_STOP = 128;
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

/** process_vm_readv of one remote range into `buf`; returns bytes read or -1. */
export function readProcessMemory(pid: number, address: bigint, buf: Uint8Array): number {
  return Number(pvReadv(pid, [{ iov_base: buf, iov_len: buf.length }], 1, [{ iov_base: address, iov_len: buf.length }], 1, 0));
}
