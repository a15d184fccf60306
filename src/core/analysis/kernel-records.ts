/**
 * Records a bug check parameter points to, read from the dump's memory as `.exr`, `.cxr` and
 * `.trap` do: EXCEPTION_RECORD64, the AMD64 CONTEXT, the x64 KTRAP_FRAME. A record whose memory is
 * not in the dump, or whose bytes do not look like one, is reported (a limit), never guessed at.
 */
import { StructView } from '../bytes/struct-view.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { AMD64_CONTEXT } from '../kernel/context.js';
import { EXCEPTION_RECORD64 } from '../kernel/header.js';
import type { KernelDump } from '../kernel/kernel-dump.js';
import type { ExceptionFacts } from './crash-reason.js';

/** The x64 KTRAP_FRAME fields analyze reads (public symbols of ntoskrnl: Rbp +0x158, Rip +0x168, Rsp +0x180; size 0x190). */
export const KTRAP_FRAME64 = { size: 0x190, Rbp: 0x158, Rip: 0x168, SegCs: 0x170, EFlags: 0x178, Rsp: 0x180 } as const;

/** CONTEXT_AMD64 CPU-type bit of ContextFlags. */
const CONTEXT_AMD64 = 0x00100000;
/** ContextFlags bits no AMD64 CONTEXT has (between the CPU type and the feature bits, winnt.h). */
const CONTEXT_AMD64_UNUSED = 0x03e0ff80;
/** CS selectors of an x64 Windows CONTEXT: kernel, 64-bit user, WoW64 user. */
const AMD64_CODE_SELECTORS = new Set([0x10, 0x33, 0x23]);

export type RecordResult<T> = { ok: true; value: T } | { ok: false; why: string };

async function readOrWhy(kd: KernelDump, va: bigint, length: number, what: string): Promise<RecordResult<Uint8Array>> {
  if (va === 0n) return { ok: false, why: `${what} pointer is 0` };
  try {
    return { ok: true, value: await kd.readVirtual(va, length) };
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    return { ok: false, why: `the ${what} at ${hex(va)} cannot be read: ${e.message}` };
  }
}

/** `.exr ADDRESS`: an EXCEPTION_RECORD64 in kernel memory (x64 dumps). */
export async function readExceptionRecord64(kd: KernelDump, va: bigint): Promise<RecordResult<ExceptionFacts & { flagsValid: boolean }>> {
  const r = await readOrWhy(kd, va, EXCEPTION_RECORD64.size, 'exception record');
  if (!r.ok) return r;
  const v = new StructView(r.value, 0, `EXCEPTION_RECORD64 at ${hex(va)}`);
  const code = v.u32(EXCEPTION_RECORD64.ExceptionCode);
  const n = v.u32(EXCEPTION_RECORD64.NumberParameters);
  if (code === 0 || n > 15) return { ok: false, why: `the bytes at ${hex(va)} are not an EXCEPTION_RECORD64 (ExceptionCode ${hex(code)}, NumberParameters ${n})` };
  const information: bigint[] = [];
  for (let i = 0; i < n; i++) information.push(v.u64(EXCEPTION_RECORD64.ExceptionInformation + 8 * i));
  const flags = v.u32(EXCEPTION_RECORD64.ExceptionFlags);
  return { ok: true, value: { code, flags, address: v.u64(EXCEPTION_RECORD64.ExceptionAddress), information, flagsValid: flags <= 0xff } };
}

export interface RecordRegisters {
  pc: bigint;
  sp: bigint;
  fp?: bigint;
  /** Registers by lower-case name, for the unwinder. */
  registers: Record<string, bigint>;
}

/** `.cxr ADDRESS`: an AMD64 CONTEXT in kernel memory. */
export async function readContextRecord(kd: KernelDump, va: bigint): Promise<RecordResult<RecordRegisters>> {
  if (kd.machine !== 'amd64') return { ok: false, why: `reading a CONTEXT record is done for x64 dumps only (this one is ${kd.machine})` };
  const r = await readOrWhy(kd, va, AMD64_CONTEXT.size, 'context record');
  if (!r.ok) return r;
  const v = new StructView(r.value, 0, `CONTEXT at ${hex(va)}`);
  const flags = v.u32(AMD64_CONTEXT.ContextFlags);
  const cs = v.u16(AMD64_CONTEXT.SegCs);
  if ((flags & CONTEXT_AMD64) === 0 || (flags & CONTEXT_AMD64_UNUSED) !== 0 || !AMD64_CODE_SELECTORS.has(cs)) {
    return { ok: false, why: `the bytes at ${hex(va)} are not an AMD64 CONTEXT (ContextFlags ${hex(flags)}, SegCs ${hex(cs)})` };
  }
  const names = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'];
  const registers: Record<string, bigint> = {};
  names.forEach((n, i) => (registers[n] = v.u64(AMD64_CONTEXT.Rax + 8 * i)));
  registers.rip = v.u64(AMD64_CONTEXT.Rip);
  return { ok: true, value: { pc: registers.rip, sp: registers.rsp!, fp: registers.rbp!, registers } };
}

/** `.trap ADDRESS`: the x64 KTRAP_FRAME's Rip, Rsp and Rbp (the volatile registers only are saved there). */
export async function readTrapFrame64(kd: KernelDump, va: bigint): Promise<RecordResult<RecordRegisters>> {
  if (kd.machine !== 'amd64') return { ok: false, why: `reading a trap frame is done for x64 dumps only (this one is ${kd.machine})` };
  const r = await readOrWhy(kd, va, KTRAP_FRAME64.size, 'trap frame');
  if (!r.ok) return r;
  const v = new StructView(r.value, 0, `KTRAP_FRAME at ${hex(va)}`);
  const rip = v.u64(KTRAP_FRAME64.Rip);
  const rsp = v.u64(KTRAP_FRAME64.Rsp);
  if (rip === 0n || rsp === 0n) return { ok: false, why: `the KTRAP_FRAME at ${hex(va)} has Rip ${hex(rip)} and Rsp ${hex(rsp)}: not a usable frame` };
  const rbp = v.u64(KTRAP_FRAME64.Rbp);
  return { ok: true, value: { pc: rip, sp: rsp, fp: rbp, registers: { rip, rsp, rbp } } };
}
