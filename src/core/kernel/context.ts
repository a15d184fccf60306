/**
 * CPU CONTEXT records stored in the kernel dump header (AMD64, x86, ARM64): register views and,
 * for the writer, an AMD64 CONTEXT builder. Notes: kernel-dump-format.md §1.1 and §3.1.
 */
import { StructView } from '../bytes/struct-view.js';
import { DumpError } from '../errors.js';

export const AMD64_CONTEXT = {
  size: 0x4d0,
  ContextFlags: 0x30,
  MxCsr: 0x34,
  SegCs: 0x38,
  SegDs: 0x3a,
  SegEs: 0x3c,
  SegFs: 0x3e,
  SegGs: 0x40,
  SegSs: 0x42,
  EFlags: 0x44,
  Dr0: 0x48,
  Rax: 0x78,
  Rsp: 0x98,
  Rip: 0xf8,
  FltSave: 0x100,
  FltSaveMxCsr: 0x118,
} as const;
/** CONTEXT_ALL for AMD64. */
export const CONTEXT_AMD64_ALL = 0x10001f;
const AMD64_GPR = ['Rax', 'Rcx', 'Rdx', 'Rbx', 'Rsp', 'Rbp', 'Rsi', 'Rdi', 'R8', 'R9', 'R10', 'R11', 'R12', 'R13', 'R14', 'R15'] as const;

export const X86_CONTEXT = { size: 0x2cc } as const;
export const ARM64_CONTEXT = { size: 0x390 } as const;

export type ContextArch = 'amd64' | 'x86' | 'arm64';

export interface CpuContext {
  arch: ContextArch;
  contextFlags: number;
  /** Registers by name (Rip, Rsp, … / Eip, Esp, … / X0..X28, Fp, Lr, Sp, Pc, Cpsr). */
  registers: Record<string, bigint>;
  /** Instruction and stack pointers. */
  pc: bigint;
  sp: bigint;
}

function amd64(v: StructView): CpuContext {
  const r: Record<string, bigint> = {};
  AMD64_GPR.forEach((name, i) => (r[name] = v.u64(AMD64_CONTEXT.Rax + 8 * i)));
  r.Rip = v.u64(AMD64_CONTEXT.Rip);
  r.EFlags = BigInt(v.u32(AMD64_CONTEXT.EFlags));
  r.MxCsr = BigInt(v.u32(AMD64_CONTEXT.MxCsr));
  (['SegCs', 'SegDs', 'SegEs', 'SegFs', 'SegGs', 'SegSs'] as const).forEach((s) => (r[s] = BigInt(v.u16(AMD64_CONTEXT[s]))));
  return { arch: 'amd64', contextFlags: v.u32(AMD64_CONTEXT.ContextFlags), registers: r, pc: r.Rip!, sp: r.Rsp! };
}

function x86(v: StructView): CpuContext {
  const names: [string, number][] = [
    ['SegGs', 0x8c], ['SegFs', 0x90], ['SegEs', 0x94], ['SegDs', 0x98], ['Edi', 0x9c], ['Esi', 0xa0], ['Ebx', 0xa4], ['Edx', 0xa8],
    ['Ecx', 0xac], ['Eax', 0xb0], ['Ebp', 0xb4], ['Eip', 0xb8], ['SegCs', 0xbc], ['EFlags', 0xc0], ['Esp', 0xc4], ['SegSs', 0xc8],
  ];
  const r: Record<string, bigint> = {};
  for (const [n, off] of names) r[n] = BigInt(v.u32(off));
  return { arch: 'x86', contextFlags: v.u32(0), registers: r, pc: r.Eip!, sp: r.Esp! };
}

function arm64(v: StructView): CpuContext {
  const r: Record<string, bigint> = { Cpsr: BigInt(v.u32(4)) };
  for (let i = 0; i <= 28; i++) r[`X${i}`] = v.u64(8 + 8 * i);
  r.Fp = v.u64(0xf0);
  r.Lr = v.u64(0xf8);
  r.Sp = v.u64(0x100);
  r.Pc = v.u64(0x108);
  r.Fpcr = BigInt(v.u32(0x310));
  r.Fpsr = BigInt(v.u32(0x314));
  return { arch: 'arm64', contextFlags: v.u32(0), registers: r, pc: r.Pc!, sp: r.Sp! };
}

/** Interprets CONTEXT bytes (at least the architecture's CONTEXT size) found at `fileOffset`. */
export function parseContext(arch: ContextArch, bytes: Uint8Array, fileOffset: number): CpuContext {
  const size = arch === 'amd64' ? AMD64_CONTEXT.size : arch === 'x86' ? X86_CONTEXT.size : ARM64_CONTEXT.size;
  const v = new StructView(bytes.subarray(0, Math.min(bytes.length, size)), fileOffset, `${arch.toUpperCase()} CONTEXT`);
  if (bytes.length < size) throw new DumpError('TRUNCATED', `${arch} CONTEXT needs ${size} bytes, ${bytes.length} available`, { offset: fileOffset, length: bytes.length });
  return arch === 'amd64' ? amd64(v) : arch === 'x86' ? x86(v) : arm64(v);
}

export interface Amd64Registers {
  rip: bigint;
  rsp: bigint;
  rbp?: bigint;
  rax?: bigint; rcx?: bigint; rdx?: bigint; rbx?: bigint; rsi?: bigint; rdi?: bigint;
  r8?: bigint; r9?: bigint; r10?: bigint; r11?: bigint; r12?: bigint; r13?: bigint; r14?: bigint; r15?: bigint;
  eflags?: number;
}

/**
 * A full AMD64 CONTEXT (0x4D0 bytes) with kernel selectors (CS 0x10, SS 0x18, DS/ES/GS 0x2B,
 * FS 0x53), CONTEXT_ALL, and MxCsr 0x1F80 written both at +0x34 and in FltSave (kdmp-parser
 * rejects dumps where they differ).
 */
export function makeAmd64Context(regs: Amd64Registers): Uint8Array {
  const b = new Uint8Array(AMD64_CONTEXT.size);
  const v = new DataView(b.buffer);
  const C = AMD64_CONTEXT;
  v.setUint32(C.ContextFlags, CONTEXT_AMD64_ALL, true);
  v.setUint32(C.MxCsr, 0x1f80, true);
  v.setUint32(C.FltSaveMxCsr, 0x1f80, true);
  v.setUint16(C.FltSave, 0x27f, true); // x87 ControlWord default
  v.setUint16(C.SegCs, 0x10, true);
  v.setUint16(C.SegDs, 0x2b, true);
  v.setUint16(C.SegEs, 0x2b, true);
  v.setUint16(C.SegFs, 0x53, true);
  v.setUint16(C.SegGs, 0x2b, true);
  v.setUint16(C.SegSs, 0x18, true);
  v.setUint32(C.EFlags, regs.eflags ?? 0x40202, true);
  const named = regs as unknown as Record<string, bigint | undefined>;
  AMD64_GPR.forEach((name, i) => v.setBigUint64(C.Rax + 8 * i, named[name.toLowerCase()] ?? 0n, true));
  v.setBigUint64(C.Rip, regs.rip, true);
  return b;
}

/** Throws unless CONTEXT.MxCsr equals FltSave.MxCsr (a kdmp-parser requirement). */
export function checkAmd64Context(ctx: Uint8Array): void {
  if (ctx.length !== AMD64_CONTEXT.size) {
    throw new DumpError('INVALID_ARGUMENT', `AMD64 CONTEXT must be 0x${AMD64_CONTEXT.size.toString(16)} bytes, got 0x${ctx.length.toString(16)}`);
  }
  const v = new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength);
  const a = v.getUint32(AMD64_CONTEXT.MxCsr, true);
  const b = v.getUint32(AMD64_CONTEXT.FltSaveMxCsr, true);
  if (a !== b) {
    throw new DumpError('INVALID_ARGUMENT', `AMD64 CONTEXT.MxCsr (0x${a.toString(16)}) differs from FltSave.MxCsr (0x${b.toString(16)}); kdmp-parser rejects such dumps`);
  }
}
