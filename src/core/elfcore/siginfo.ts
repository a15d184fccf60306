/**
 * NT_SIGINFO: the siginfo_t (128 bytes) of the signal that made the core. si_signo 0, si_errno 4,
 * si_code 8, then the union at 16 on 64-bit ABIs (12 on i386): for SIGILL, SIGFPE, SIGSEGV, SIGBUS
 * and SIGTRAP raised by the CPU (si_code > 0) it starts with si_addr; for a signal sent by a
 * process (si_code <= 0) with si_pid and si_uid.
 */
import { StructView } from '../bytes/struct-view.js';

export interface CoreSigInfo {
  signo: number;
  errno: number;
  code: number;
  /** si_addr: the faulting address, for the CPU fault signals. */
  address?: bigint;
  /** si_pid / si_uid: who sent it (kill, tgkill, abort's raise). */
  senderPid?: number;
  senderUid?: number;
}

const FAULT_SIGNALS = new Set([4 /* SIGILL */, 5 /* SIGTRAP */, 7 /* SIGBUS */, 8 /* SIGFPE */, 11 /* SIGSEGV */]);

export function parseSigInfo(wordSize: 4 | 8, desc: Uint8Array, fileOffset: number): CoreSigInfo {
  const v = new StructView(desc, fileOffset, 'NT_SIGINFO (siginfo_t)');
  const u = wordSize === 8 ? 16 : 12;
  const info: CoreSigInfo = { signo: v.i32(0), errno: v.i32(4), code: v.i32(8) };
  if (info.code > 0 && FAULT_SIGNALS.has(info.signo)) info.address = wordSize === 8 ? v.u64(u) : BigInt(v.u32(u));
  else if (info.code <= 0) {
    info.senderPid = v.i32(u);
    info.senderUid = v.u32(u + 4);
  }
  return info;
}
