import { CONTEXT_SIZE } from './nt-layout.js';

export interface Amd64Registers {
  rip: bigint;
  rsp: bigint;
  rbp?: bigint;
  rax?: bigint;
  rcx?: bigint;
  rdx?: bigint;
  rbx?: bigint;
  rsi?: bigint;
  rdi?: bigint;
  r8?: bigint;
  r9?: bigint;
}

/**
 * A full AMD64 CONTEXT (0x4D0 bytes) of kernel-mode code: CONTEXT_ALL flags, kernel selectors,
 * and MxCsr written both at +0x34 and in FltSave (+0x118), which kdmp-parser insists on.
 */
export function amd64KernelContext(r: Amd64Registers): Uint8Array {
  const b = new Uint8Array(CONTEXT_SIZE);
  const v = new DataView(b.buffer);
  v.setUint32(0x30, 0x10001f, true); // ContextFlags = CONTEXT_ALL
  v.setUint32(0x34, 0x1f80, true); // MxCsr
  v.setUint16(0x38, 0x10, true); // SegCs
  v.setUint16(0x3a, 0x2b, true); // SegDs
  v.setUint16(0x3c, 0x2b, true); // SegEs
  v.setUint16(0x3e, 0x53, true); // SegFs
  v.setUint16(0x40, 0x2b, true); // SegGs
  v.setUint16(0x42, 0x18, true); // SegSs
  v.setUint32(0x44, 0x40202, true); // EFlags
  const regs: [number, bigint | undefined][] = [
    [0x78, r.rax],
    [0x80, r.rcx],
    [0x88, r.rdx],
    [0x90, r.rbx],
    [0x98, r.rsp],
    [0xa0, r.rbp],
    [0xa8, r.rsi],
    [0xb0, r.rdi],
    [0xb8, r.r8],
    [0xc0, r.r9],
    [0xf8, r.rip],
  ];
  for (const [off, val] of regs) v.setBigUint64(off, val ?? 0n, true);
  v.setUint16(0x100, 0x27f, true); // FltSave.ControlWord
  v.setUint32(0x118, 0x1f80, true); // FltSave.MxCsr
  v.setUint32(0x11c, 0x2ffff, true); // FltSave.MxCsr_Mask
  return b;
}

export function contextRsp(ctx: Uint8Array): bigint {
  return new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength).getBigUint64(0x98, true);
}
export function contextRip(ctx: Uint8Array): bigint {
  return new DataView(ctx.buffer, ctx.byteOffset, ctx.byteLength).getBigUint64(0xf8, true);
}
