/**
 * NT_PRPSINFO: the process (struct elf_prpsinfo in <linux/elfcore.h>). 64-bit ABIs: pr_state 0,
 * pr_sname 1, pr_zomb 2, pr_nice 3, pr_flag 8 (8 bytes), pr_uid 16, pr_gid 20 (32-bit ids),
 * pr_pid 24, pr_ppid 28, pr_pgrp 32, pr_sid 36, pr_fname[16] 40, pr_psargs[80] 56 (136 bytes).
 * i386: pr_flag 4 (4 bytes), pr_uid 8 and pr_gid 10 (16-bit ids), pr_pid 12…, pr_fname 28,
 * pr_psargs 44 (124 bytes).
 */
import { StructView } from '../bytes/struct-view.js';
import type { CoreHeader } from './header.js';

export interface PrPsInfo {
  /** pr_sname: the state letter as in /proc/PID/stat (R, S, D, T, Z…). */
  state: string;
  zombie: boolean;
  nice: number;
  flags: bigint;
  uid: number;
  gid: number;
  pid: number;
  ppid: number;
  pgrp: number;
  sid: number;
  /** pr_fname: the executable's name (comm), at most 15 characters. */
  name: string;
  /** pr_psargs: the command line, arguments joined by spaces, cut at 79 characters. */
  args: string;
}

export function parsePrPsInfo(arch: CoreHeader['arch'], desc: Uint8Array, fileOffset: number): PrPsInfo {
  const v = new StructView(desc, fileOffset, 'NT_PRPSINFO (elf_prpsinfo)');
  const text = (off: number, n: number): string => {
    const b = v.raw(off, n);
    const end = b.indexOf(0);
    return new TextDecoder().decode(end < 0 ? b : b.subarray(0, end));
  };
  const sname = v.u8(1);
  const common = { state: sname ? String.fromCharCode(sname) : '', zombie: v.u8(2) !== 0, nice: (v.u8(3) << 24) >> 24 };
  if (arch === 'x86') {
    return { ...common, flags: BigInt(v.u32(4)), uid: v.u16(8), gid: v.u16(10), pid: v.i32(12), ppid: v.i32(16), pgrp: v.i32(20), sid: v.i32(24), name: text(28, 16), args: text(44, 80) };
  }
  return { ...common, flags: v.u64(8), uid: v.u32(16), gid: v.u32(20), pid: v.i32(24), ppid: v.i32(28), pgrp: v.i32(32), sid: v.i32(36), name: text(40, 16), args: text(56, 80) };
}
