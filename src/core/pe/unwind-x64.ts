/**
 * x64 UNWIND_INFO (Microsoft's "x64 exception handling") translated into Breakpad CFI rules in
 * force at one address, the way dump_syms turns PE unwind data into STACK CFI: `.cfa` is the
 * caller's RSP (the address above the return address), `.ra` the return address, and every
 * non-volatile register the prolog saved gets a rule `ADDR ^`.
 *
 * Only the unwind codes the code at the address has executed apply: inside the prolog those whose
 * CodeOffset is at or before the address's offset in the function; after it, all of them; in a
 * chained parent (UNW_FLAG_CHAININFO), all of them. An address in an epilog (`add rsp`/pops then
 * `ret`/`jmp`) is unwound by the epilog's own instructions, as Windows does.
 */
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import type { CfiRules } from '../symbols/types.js';
import type { PeImage } from './image.js';
import { PE_LIMITS } from './limits.js';
import { findRuntimeFunction, type RuntimeFunction } from './pdata.js';

export const UNW_FLAG_EHANDLER = 0x1;
export const UNW_FLAG_UHANDLER = 0x2;
export const UNW_FLAG_CHAININFO = 0x4;

export const UWOP = {
  PUSH_NONVOL: 0,
  ALLOC_LARGE: 1,
  ALLOC_SMALL: 2,
  SET_FPREG: 3,
  SAVE_NONVOL: 4,
  SAVE_NONVOL_FAR: 5,
  /** Version 2: epilog description (also SAVE_XMM in version 1, 2 slots either way). */
  EPILOG: 6,
  SPARE_CODE: 7,
  SAVE_XMM128: 8,
  SAVE_XMM128_FAR: 9,
  PUSH_MACHFRAME: 10,
} as const;

/** Register numbers of unwind codes, by Breakpad/DWARF-style lower-case names. */
export const X64_UNWIND_REGISTERS = ['rax', 'rcx', 'rdx', 'rbx', 'rsp', 'rbp', 'rsi', 'rdi', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15'] as const;

/** One decoded unwind operation. */
export interface UnwindCode {
  /** Offset of the end of the prolog instruction this code describes. */
  codeOffset: number;
  op: number;
  info: number;
  /** ALLOC_*: bytes allocated; SAVE_*: the (scaled) frame offset; PUSH_MACHFRAME: 0/1 error code. */
  operand?: number;
}

export interface UnwindInfoX64 {
  rva: number;
  version: number;
  flags: number;
  sizeOfProlog: number;
  frameRegister: number;
  /** Scaled: the frame register is RSP + 16 × frameOffset when set. */
  frameOffset: number;
  codes: UnwindCode[];
  /** The parent entry when UNW_FLAG_CHAININFO is set. */
  chained?: RuntimeFunction;
}

/** Slots (u16) an unwind code takes. */
function slotsOf(op: number, info: number): number {
  switch (op) {
    case UWOP.ALLOC_LARGE:
      return info === 0 ? 2 : 3;
    case UWOP.SAVE_NONVOL:
    case UWOP.EPILOG:
    case UWOP.SAVE_XMM128:
      return 2;
    case UWOP.SAVE_NONVOL_FAR:
    case UWOP.SPARE_CODE:
    case UWOP.SAVE_XMM128_FAR:
      return 3;
    default:
      return 1;
  }
}

/** Decodes UNWIND_INFO bytes found at `rva` (header, codes, and the chained RUNTIME_FUNCTION when flagged). */
export function parseUnwindInfoX64(bytes: Uint8Array, rva: number): UnwindInfoX64 {
  const where = `UNWIND_INFO at RVA ${hex(rva)}`;
  if (bytes.length < 4) throw new DumpError('TRUNCATED', `${where}: needs 4 bytes, has ${bytes.length}`);
  const version = bytes[0]! & 7;
  const flags = bytes[0]! >> 3;
  if (version !== 1 && version !== 2) throw new DumpError('BAD_VERSION', `${where}: version ${version} (1 or 2 expected)`);
  const count = bytes[2]!;
  const need = (flags & UNW_FLAG_CHAININFO) !== 0 ? 4 + ((count + 1) & ~1) * 2 + 12 : 4 + count * 2;
  if (bytes.length < need) throw new DumpError('TRUNCATED', `${where}: needs ${need} bytes, has ${bytes.length}`);
  const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const slot = (i: number) => v.getUint16(4 + i * 2, true);
  const codes: UnwindCode[] = [];
  for (let i = 0; i < count; ) {
    const codeOffset = bytes[4 + i * 2]!;
    const op = bytes[5 + i * 2]! & 0xf;
    const info = bytes[5 + i * 2]! >> 4;
    const n = slotsOf(op, info);
    if (i + n > count) throw new DumpError('TRUNCATED', `${where}: unwind code ${i} (op ${op}) needs ${n} slots, ${count - i} left`);
    const c: UnwindCode = { codeOffset, op, info };
    if (op === UWOP.ALLOC_LARGE) c.operand = info === 0 ? slot(i + 1) * 8 : slot(i + 1) + slot(i + 2) * 0x10000;
    else if (op === UWOP.ALLOC_SMALL) c.operand = info * 8 + 8;
    else if (op === UWOP.SAVE_NONVOL || op === UWOP.SAVE_XMM128) c.operand = slot(i + 1) * (op === UWOP.SAVE_NONVOL ? 8 : 16);
    else if (op === UWOP.SAVE_NONVOL_FAR || op === UWOP.SAVE_XMM128_FAR) c.operand = slot(i + 1) + slot(i + 2) * 0x10000;
    else if (op === UWOP.PUSH_MACHFRAME) c.operand = info;
    else if (op > UWOP.PUSH_MACHFRAME) throw new DumpError('UNSUPPORTED', `${where}: unknown unwind operation ${op} in code ${i}`);
    codes.push(c);
    i += n;
  }
  const out: UnwindInfoX64 = { rva, version, flags, sizeOfProlog: bytes[1]!, frameRegister: bytes[3]! & 0xf, frameOffset: bytes[3]! >> 4, codes };
  if ((flags & UNW_FLAG_CHAININFO) !== 0) {
    const at = 4 + ((count + 1) & ~1) * 2;
    out.chained = { beginAddress: v.getUint32(at, true), endAddress: v.getUint32(at + 4, true), unwindData: v.getUint32(at + 8, true) };
  }
  return out;
}

/** An address expression: a postfix base plus a constant. */
interface Expr {
  base: string;
  k: number;
}
const show = (e: Expr): string => (e.k === 0 ? e.base : e.k > 0 ? `${e.base} ${e.k} +` : `${e.base} ${-e.k} -`);
const plus = (e: Expr, n: number): Expr => ({ base: e.base, k: e.k + n });

/**
 * The rules in force at `offset` bytes into the function described by `chain` (the primary
 * UNWIND_INFO first, then its chained parents). `epilog`, when the code at the address is an
 * epilog, overrides the unwind codes.
 */
export function x64RulesFromUnwindInfo(chain: readonly UnwindInfoX64[], offset: number, epilog?: X64Epilog): CfiRules {
  const rules: CfiRules = {};
  if (epilog) {
    let cur: Expr = { base: 'rsp', k: epilog.stackAdjust };
    for (const reg of epilog.pops) {
      rules[reg] = `${show(cur)} ^`;
      cur = plus(cur, 8);
    }
    rules['.cfa'] = show(plus(cur, 8));
    rules['.ra'] = '.cfa 8 - ^';
    return rules;
  }
  // Register values as the unwinding has recovered them so far (caller's values once restored).
  const value = (name: string): string => (rules[name] !== undefined ? rules[name]! : name);
  let cur: Expr = { base: 'rsp', k: 0 };
  for (let c = 0; c < chain.length; c++) {
    const info = chain[c]!;
    const at = c === 0 ? offset : Number.POSITIVE_INFINITY;
    const inProlog = at < info.sizeOfProlog;
    const executed = (code: UnwindCode) => !inProlog || code.codeOffset <= at;
    const frameName = X64_UNWIND_REGISTERS[info.frameRegister]!;
    const setFp = info.codes.find((x) => x.op === UWOP.SET_FPREG);
    // SAVE_NONVOL offsets are from the establisher frame: the frame register's base once set, else RSP.
    const frameBase: Expr = info.frameRegister !== 0 && setFp && executed(setFp) ? { base: value(frameName), k: -16 * info.frameOffset } : { ...cur };
    for (const code of info.codes) {
      if (!executed(code)) continue;
      const reg = X64_UNWIND_REGISTERS[code.info]!;
      switch (code.op) {
        case UWOP.PUSH_NONVOL:
          rules[reg] = `${show(cur)} ^`;
          cur = plus(cur, 8);
          break;
        case UWOP.ALLOC_LARGE:
        case UWOP.ALLOC_SMALL:
          cur = plus(cur, code.operand!);
          break;
        case UWOP.SET_FPREG:
          cur = { base: value(frameName), k: -16 * info.frameOffset };
          break;
        case UWOP.SAVE_NONVOL:
        case UWOP.SAVE_NONVOL_FAR:
          rules[reg] = `${show(plus(frameBase, code.operand!))} ^`;
          break;
        case UWOP.PUSH_MACHFRAME: {
          // The processor pushed SS, RSP, EFLAGS, CS, RIP (and an error code when info is 1).
          const frame = plus(cur, code.operand! * 8);
          rules['.ra'] = `${show(frame)} ^`;
          rules['.cfa'] = `${show(plus(frame, 24))} ^`;
          return rules;
        }
        default:
          break; // XMM saves and version-2 epilog descriptions do not move RSP
      }
    }
  }
  rules['.cfa'] = show(plus(cur, 8));
  rules['.ra'] = '.cfa 8 - ^';
  return rules;
}

/** What an x64 epilog still has to do at an address: an RSP adjustment, pops, then `ret`/`jmp`. */
export interface X64Epilog {
  stackAdjust: number;
  pops: string[];
}

/**
 * Recognises the code at an address as the rest of an epilog, as Windows' unwinder does: an
 * optional `add rsp, imm`, `pop` instructions, then `ret` or a `jmp` (a tail call).
 */
export function matchX64Epilog(code: Uint8Array): X64Epilog | undefined {
  let i = 0;
  let stackAdjust = 0;
  if (code[i] === 0x48 && code[i + 1] === 0x83 && code[i + 2] === 0xc4) {
    stackAdjust = code[i + 3]!;
    i += 4;
  } else if (code[i] === 0x48 && code[i + 1] === 0x81 && code[i + 2] === 0xc4 && code.length >= i + 7) {
    stackAdjust = new DataView(code.buffer, code.byteOffset + i + 3, 4).getUint32(0, true);
    i += 7;
  }
  const pops: string[] = [];
  while (i < code.length && pops.length < 16) {
    if (code[i]! >= 0x58 && code[i]! <= 0x5f) {
      pops.push(X64_UNWIND_REGISTERS[code[i]! - 0x58]!);
      i += 1;
    } else if (code[i] === 0x41 && code[i + 1]! >= 0x58 && code[i + 1]! <= 0x5f) {
      pops.push(X64_UNWIND_REGISTERS[8 + code[i + 1]! - 0x58]!);
      i += 2;
    } else break;
  }
  const end = code[i];
  const isReturn = end === 0xc3 || end === 0xc2 || (end === 0xf3 && code[i + 1] === 0xc3);
  const isJump = end === 0xe9 || end === 0xeb || (end === 0xff && ((code[i + 1]! >> 3) & 7) === 4) || (end === 0x48 && code[i + 1] === 0xff && ((code[i + 2]! >> 3) & 7) === 4);
  if (!isReturn && !(isJump && (pops.length > 0 || stackAdjust > 0))) return undefined;
  if (pops.includes('rsp')) return undefined;
  return { stackAdjust, pops };
}

/** Reads the UNWIND_INFO chain of a RUNTIME_FUNCTION (indirect entries and chained parents followed, with a cap). */
export async function readUnwindChain(image: PeImage, table: readonly RuntimeFunction[], fn: RuntimeFunction): Promise<UnwindInfoX64[] | undefined> {
  const chain: UnwindInfoX64[] = [];
  let entry: RuntimeFunction | undefined = fn;
  for (let depth = 0; entry; depth++) {
    if (depth > PE_LIMITS.maxUnwindChain) throw new DumpError('COUNT_TOO_LARGE', `chained unwind info of the function at RVA ${hex(fn.beginAddress)} in the image at ${hex(image.base)}: more than ${PE_LIMITS.maxUnwindChain} links`);
    if ((entry.unwindData & 1) !== 0) {
      // Indirect: UnwindData points at another RUNTIME_FUNCTION (whose unwind info applies).
      const b = await image.readRva(entry.unwindData & ~1, 12, 'indirect RUNTIME_FUNCTION');
      if (!b) return undefined;
      const v = new DataView(b.buffer, b.byteOffset, 12);
      entry = { beginAddress: v.getUint32(0, true), endAddress: v.getUint32(4, true), unwindData: v.getUint32(8, true) };
      continue;
    }
    const head = await image.readRva(entry.unwindData, 4, 'UNWIND_INFO');
    if (!head) return undefined;
    const count = head[2]!;
    const len = 4 + ((count + 1) & ~1) * 2 + ((head[0]! >> 3) & UNW_FLAG_CHAININFO ? 12 : 0);
    const bytes = await image.readRva(entry.unwindData, Math.max(len, 4 + count * 2), 'UNWIND_INFO');
    if (!bytes) return undefined;
    const info = parseUnwindInfoX64(bytes, entry.unwindData);
    chain.push(info);
    entry = info.chained;
    // A chained parent is normally its own .pdata entry; the table is searched only when the parent lacks an extent.
    if (entry && entry.endAddress === 0) entry = findRuntimeFunction(table, entry.beginAddress);
  }
  return chain;
}

/** Rules for a leaf function (no .pdata entry): the return address is at RSP. */
export const X64_LEAF_RULES: Readonly<CfiRules> = Object.freeze({ '.cfa': 'rsp 8 +', '.ra': '.cfa 8 - ^' });

/**
 * The CFI rules in force at absolute address `address` of `image`, from its .pdata (`table`).
 * Undefined when the address is not in the image's code or its unwind data is not in memory.
 */
export async function x64UnwindRulesAt(image: PeImage, table: readonly RuntimeFunction[], address: bigint): Promise<CfiRules | undefined> {
  const rva = Number(address - image.base);
  if (rva < 0 || rva >= image.sizeOfImage) return undefined;
  const fn = findRuntimeFunction(table, rva);
  if (!fn) return image.isExecutable(rva) ? { ...X64_LEAF_RULES } : undefined;
  const chain = await readUnwindChain(image, table, fn);
  if (!chain || chain.length === 0) return undefined;
  const offset = rva - fn.beginAddress;
  let epilog: X64Epilog | undefined;
  if (offset >= chain[0]!.sizeOfProlog && rva >= 8) {
    // Callers are looked up at their return address - 1, the last byte of a call: never an epilog.
    const n = Math.min(40, image.sizeOfImage - rva + 8);
    const code = await image.readRva(rva - 8, n, 'code at the address');
    if (code && !endsCall(code.subarray(0, 9))) epilog = matchX64Epilog(code.subarray(8));
  }
  return x64RulesFromUnwindInfo(chain, offset, epilog);
}

/** True when the 9 bytes (8 before the address and the byte at it) end with a call instruction's last byte. */
export function endsCall(b: Uint8Array): boolean {
  const at = (back: number) => b[8 - back];
  if (at(4) === 0xe8) return true; // call rel32
  if (at(5) === 0xff && at(4) === 0x15) return true; // call [rip+disp32]
  if (at(1) === 0xff && ((at(0)! >> 3) & 7) === 2 && at(0)! >= 0xc0) return true; // call reg
  if (at(2) === 0xff && ((at(1)! >> 3) & 7) === 2 && (at(1)! >> 6) === 1) return true; // call [reg+disp8]
  if (at(5) === 0xff && ((at(4)! >> 3) & 7) === 2 && (at(4)! >> 6) === 2) return true; // call [reg+disp32]
  return false;
}
