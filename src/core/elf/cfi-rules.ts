/**
 * Runs a CIE's and an FDE's DWARF call frame instructions up to an address and translates the
 * resulting row into Breakpad STACK CFI rules (the contract's CfiRules), as Breakpad's dump_syms
 * does: `.cfa` = `reg off +`, saved registers = `.cfa off + ^`, the return address column = `.ra`.
 * Expression rules are translated only for the PLT pattern GCC/binutils emit; any other expression
 * gives no rule (never a guess).
 */
import type { CfiRules } from '../symbols/types.js';
import { DumpError } from '../errors.js';
import { DwarfReader } from './dwarf-reader.js';
import { readEncodedPointer, type Cie, type Fde, type PointerBases } from './eh-frame.js';
import { EM_386, EM_AARCH64, EM_X86_64 } from './elf-file.js';

/** Instructions executed at most per row (CIE + FDE); a longer program is cut with an error. */
export const CFA_MAX_STEPS = 100_000;
/** DW_CFA_remember_state depth at most. */
export const CFA_MAX_STATE_DEPTH = 64;

export type RegisterRule =
  | { kind: 'undefined' }
  | { kind: 'same' }
  | { kind: 'offset'; offset: bigint } // saved at CFA + offset
  | { kind: 'val_offset'; offset: bigint } // value is CFA + offset
  | { kind: 'register'; register: number }
  | { kind: 'expression'; expr: Uint8Array }
  | { kind: 'val_expression'; expr: Uint8Array };

export type CfaRule = { kind: 'register'; register: number; offset: bigint } | { kind: 'expression'; expr: Uint8Array } | { kind: 'unset' };

/** One row of the CFI table: where the CFA is and how each register is recovered. */
export interface CfaRow {
  /** First address the row applies to. */
  loc: bigint;
  cfa: CfaRule;
  registers: Map<number, RegisterRule>;
}

interface State {
  cfa: CfaRule;
  registers: Map<number, RegisterRule>;
}

/** DWARF register names per e_machine, as Breakpad spells them (without '$'). */
export function dwarfRegisterNames(machine: number): readonly string[] | undefined {
  switch (machine) {
    case EM_X86_64:
      return ['rax', 'rdx', 'rcx', 'rbx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip'];
    case EM_386:
      return ['eax', 'ecx', 'edx', 'ebx', 'esp', 'ebp', 'esi', 'edi', 'eip'];
    case EM_AARCH64:
      return [...Array.from({ length: 31 }, (_, i) => `x${i}`), 'sp'];
    default:
      return undefined;
  }
}

/**
 * The row in force at `pc` (link-time address) for an FDE: the CIE's initial instructions, then
 * the FDE's, stopping before the first advance past pc. Throws DumpError for a corrupt program.
 */
export function cfaRowAt(fde: Fde, pc: bigint, bases: PointerBases = { sectionAddr: 0n }): CfaRow {
  const cie = fde.cie;
  const initial: State = { cfa: { kind: 'unset' }, registers: new Map() };
  const steps = { n: 0 };
  run(cie, cie.initialInstructions, cie.instructionsOffset, initial, undefined, fde.pcBegin, undefined, steps, bases);
  const state: State = { cfa: initial.cfa, registers: new Map(initial.registers) };
  const loc = run(cie, fde.instructions, fde.instructionsOffset, state, initial, fde.pcBegin, pc, steps, bases);
  return { loc, cfa: state.cfa, registers: state.registers };
}

/** Every row of an FDE's table, in order (for comparing with `objdump --dwarf=frames-interp`). */
export function cfaRows(fde: Fde, bases: PointerBases = { sectionAddr: 0n }): CfaRow[] {
  const rows: CfaRow[] = [];
  let pc = fde.pcBegin;
  for (let i = 0; i < CFA_MAX_STEPS && pc < fde.pcEnd; i++) {
    const row = cfaRowAt(fde, pc, bases);
    const next = nextLoc(fde, pc, bases);
    rows.push({ ...row, loc: pc });
    if (next === undefined) break;
    pc = next;
  }
  return rows;
}

/** The first row boundary after `pc`, or undefined. */
function nextLoc(fde: Fde, pc: bigint, bases: PointerBases): bigint | undefined {
  const cie = fde.cie;
  const state: State = { cfa: { kind: 'unset' }, registers: new Map() };
  const steps = { n: 0 };
  const out = { next: undefined as bigint | undefined };
  run(cie, fde.instructions, fde.instructionsOffset, state, state, fde.pcBegin, pc, steps, bases, out);
  return out.next;
}

function run(
  cie: Cie,
  code: Uint8Array,
  fileOffset: number,
  state: State,
  initial: State | undefined,
  startLoc: bigint,
  stopAt: bigint | undefined,
  steps: { n: number },
  bases: PointerBases,
  out?: { next: bigint | undefined },
): bigint {
  const r = new DwarfReader(code, fileOffset, 'CFA program');
  const stack: State[] = [];
  let loc = startLoc;
  const advance = (delta: bigint): boolean => {
    const next = loc + delta * cie.codeAlign;
    if (stopAt !== undefined && next > stopAt) {
      if (out) out.next = next;
      return false;
    }
    loc = next;
    return true;
  };
  const restore = (reg: number) => {
    const rule = initial?.registers.get(reg);
    if (rule) state.registers.set(reg, rule);
    else state.registers.delete(reg);
  };
  const setCfaReg = (reg: number) => {
    state.cfa = { kind: 'register', register: reg, offset: state.cfa.kind === 'register' ? state.cfa.offset : 0n };
  };
  const setCfaOff = (off: bigint) => {
    if (state.cfa.kind === 'register') state.cfa = { ...state.cfa, offset: off };
  };
  while (r.remaining > 0) {
    if (++steps.n > CFA_MAX_STEPS) throw new DumpError('COUNT_TOO_LARGE', `CFA program runs more than ${CFA_MAX_STEPS} instructions`, { offset: fileOffset + r.pos, length: 0 });
    const at = r.pos;
    const op = r.u8();
    const hi = op & 0xc0;
    const low = op & 0x3f;
    if (hi === 0x40) {
      if (!advance(BigInt(low))) return loc;
      continue;
    }
    if (hi === 0x80) {
      state.registers.set(low, { kind: 'offset', offset: BigInt(r.ulebNum()) * cie.dataAlign });
      continue;
    }
    if (hi === 0xc0) {
      restore(low);
      continue;
    }
    switch (op) {
      case 0x00: // nop
        break;
      case 0x01: {
        // set_loc
        const target = readEncodedPointer(r, cie.fdeEncoding, cie.addressSize, bases) ?? loc;
        if (stopAt !== undefined && target > stopAt) {
          if (out) out.next = target;
          return loc;
        }
        loc = target;
        break;
      }
      case 0x02:
        if (!advance(BigInt(r.u8()))) return loc;
        break;
      case 0x03:
        if (!advance(BigInt(r.u16()))) return loc;
        break;
      case 0x04:
        if (!advance(BigInt(r.u32()))) return loc;
        break;
      case 0x05:
        state.registers.set(r.ulebNum(), { kind: 'offset', offset: BigInt(r.ulebNum()) * cie.dataAlign });
        break;
      case 0x06:
        restore(r.ulebNum());
        break;
      case 0x07:
        state.registers.set(r.ulebNum(), { kind: 'undefined' });
        break;
      case 0x08:
        state.registers.set(r.ulebNum(), { kind: 'same' });
        break;
      case 0x09: {
        const reg = r.ulebNum();
        state.registers.set(reg, { kind: 'register', register: r.ulebNum() });
        break;
      }
      case 0x0a:
        if (stack.length >= CFA_MAX_STATE_DEPTH) throw new DumpError('COUNT_TOO_LARGE', `DW_CFA_remember_state nested deeper than ${CFA_MAX_STATE_DEPTH}`, { offset: fileOffset + at, length: 1 });
        stack.push({ cfa: state.cfa, registers: new Map(state.registers) });
        break;
      case 0x0b: {
        const s = stack.pop();
        if (!s) throw new DumpError('BAD_SIZE', 'DW_CFA_restore_state without a remembered state', { offset: fileOffset + at, length: 1 });
        // The CFA rule is restored too (DWARF 5 §6.4.2.4).
        state.cfa = s.cfa;
        state.registers = s.registers;
        break;
      }
      case 0x0c: {
        const reg = r.ulebNum();
        state.cfa = { kind: 'register', register: reg, offset: r.uleb() };
        break;
      }
      case 0x0d:
        setCfaReg(r.ulebNum());
        break;
      case 0x0e:
        setCfaOff(r.uleb());
        break;
      case 0x0f:
        state.cfa = { kind: 'expression', expr: r.bytesOf(r.ulebNum()) };
        break;
      case 0x10: {
        const reg = r.ulebNum();
        state.registers.set(reg, { kind: 'expression', expr: r.bytesOf(r.ulebNum()) });
        break;
      }
      case 0x11: {
        const reg = r.ulebNum();
        state.registers.set(reg, { kind: 'offset', offset: r.sleb() * cie.dataAlign });
        break;
      }
      case 0x12: {
        const reg = r.ulebNum();
        state.cfa = { kind: 'register', register: reg, offset: r.sleb() * cie.dataAlign };
        break;
      }
      case 0x13:
        setCfaOff(r.sleb() * cie.dataAlign);
        break;
      case 0x14: {
        const reg = r.ulebNum();
        state.registers.set(reg, { kind: 'val_offset', offset: BigInt(r.ulebNum()) * cie.dataAlign });
        break;
      }
      case 0x15: {
        const reg = r.ulebNum();
        state.registers.set(reg, { kind: 'val_offset', offset: r.sleb() * cie.dataAlign });
        break;
      }
      case 0x16: {
        const reg = r.ulebNum();
        state.registers.set(reg, { kind: 'val_expression', expr: r.bytesOf(r.ulebNum()) });
        break;
      }
      case 0x2d: // DW_CFA_GNU_window_save / DW_CFA_AARCH64_negate_ra_state: no effect on the rules here
        break;
      case 0x2e: // DW_CFA_GNU_args_size
        r.uleb();
        break;
      case 0x2f: {
        // DW_CFA_GNU_negative_offset_extended
        const reg = r.ulebNum();
        state.registers.set(reg, { kind: 'offset', offset: -BigInt(r.ulebNum()) * cie.dataAlign });
        break;
      }
      default:
        throw new DumpError('UNSUPPORTED', `CFA program: unknown instruction 0x${op.toString(16)}`, { offset: fileOffset + at, length: 1 });
    }
  }
  return loc;
}

/**
 * Breakpad rules for a row, or undefined when the CFA cannot be expressed (an expression other
 * than the PLT pattern, an unknown register).
 */
export function breakpadRules(row: CfaRow, cie: Cie, machine: number): CfiRules | undefined {
  const names = dwarfRegisterNames(machine);
  if (!names) return undefined;
  const name = (reg: number): string | undefined => names[reg];
  const rules: CfiRules = {};
  if (row.cfa.kind === 'register') {
    const reg = name(row.cfa.register);
    if (!reg) return undefined;
    rules['.cfa'] = `${reg} ${row.cfa.offset} +`;
  } else if (row.cfa.kind === 'expression') {
    const cfa = pltCfa(row.cfa.expr, machine) ?? expressionToPostfix(row.cfa.expr, names, false);
    if (!cfa) return undefined;
    rules['.cfa'] = cfa;
  } else return undefined;
  const raName = name(cie.raRegister);
  for (const [reg, rule] of row.registers) {
    const key = reg === cie.raRegister ? '.ra' : name(reg);
    if (!key) continue;
    let expr: string | undefined;
    switch (rule.kind) {
      case 'offset':
        expr = `.cfa ${rule.offset} + ^`;
        break;
      case 'val_offset':
        expr = `.cfa ${rule.offset} +`;
        break;
      case 'register':
        expr = name(rule.register);
        break;
      case 'same':
        expr = key === '.ra' ? raName : key;
        break;
      case 'undefined':
        // An undefined return address marks the outermost frame (_start, clone): the caller's pc is 0.
        if (key === '.ra') expr = '0';
        break;
      case 'expression': {
        const address = expressionToPostfix(rule.expr, names, true);
        expr = address === undefined ? undefined : `${address} ^`;
        break;
      }
      case 'val_expression':
        expr = expressionToPostfix(rule.expr, names, true);
        break;
    }
    if (expr !== undefined) rules[key] = expr;
  }
  return rules;
}

/**
 * A DWARF expression made only of register-relative values, constants, dereferences and
 * arithmetic (what GCC emits for realigned frames, e.g. i386 main: `DW_OP_breg5 -4; DW_OP_deref`)
 * as a Breakpad postfix expression; undefined for anything else. For register rules the CFA is
 * on the stack first (`cfaPushed`).
 */
function expressionToPostfix(expr: Uint8Array, names: readonly string[], cfaPushed: boolean): string | undefined {
  const out: string[] = [];
  let depth = 0;
  let usedCfa = false;
  const pop = (n: number): boolean => {
    if (depth >= n) {
      depth -= n;
      return true;
    }
    if (cfaPushed && !usedCfa && depth === n - 1) {
      usedCfa = true;
      out.unshift('.cfa');
      depth = 0;
      return true;
    }
    return false;
  };
  const r = new DwarfReader(expr, 0, 'DWARF expression');
  try {
    while (r.remaining > 0) {
      if (out.length > 64) return undefined;
      const op = r.u8();
      if (op >= 0x70 && op <= 0x8f) {
        const reg = names[op - 0x70];
        if (!reg) return undefined;
        out.push(reg, String(r.sleb()), '+');
        depth++;
      } else if (op >= 0x30 && op <= 0x4f) {
        out.push(String(op - 0x30));
        depth++;
      } else if (op === 0x06) {
        if (!pop(1)) return undefined;
        out.push('^');
        depth++;
      } else if (op === 0x23) {
        if (!pop(1)) return undefined;
        out.push(String(r.uleb()), '+');
        depth++;
      } else if (op === 0x22 || op === 0x1c || op === 0x1e) {
        if (!pop(2)) return undefined;
        out.push(op === 0x22 ? '+' : op === 0x1c ? '-' : '*');
        depth++;
      } else return undefined;
    }
  } catch (e) {
    if (e instanceof DumpError) return undefined;
    throw e;
  }
  if (cfaPushed && !usedCfa && depth === 2) return undefined; // result above an unused CFA: Breakpad wants one value
  return depth === 1 ? out.join(' ') : undefined;
}

/**
 * The CFA expression binutils writes for x86 PLT entries (16-byte entries whose stack depth changes
 * after the push at offset 11 or 10):
 *   DW_OP_breg7(rsp) 8; DW_OP_breg16(rip) 0; DW_OP_lit15; DW_OP_and; DW_OP_litK; DW_OP_ge;
 *   DW_OP_lit3; DW_OP_shl; DW_OP_plus
 * i.e. rsp + 8 + ((rip & 15) >= K ? 8 : 0), in Breakpad postfix (which has no comparison) as
 * `rsp 8 + rip 16 % (16-K) + 16 / 8 * +` — exact for rip & 15 in 0..15. i386 uses esp/eip (breg4/breg8)
 * and 4-byte slots. Any other expression: undefined.
 */
function pltCfa(expr: Uint8Array, machine: number): string | undefined {
  const [spReg, ipReg, sp, ip, slot] = machine === EM_X86_64 ? [7, 16, 'rsp', 'rip', 3] : machine === EM_386 ? [4, 8, 'esp', 'eip', 2] : [-1, -1, '', '', 0];
  if (spReg < 0) return undefined;
  const e = expr;
  // breg(sp) sleb; breg(ip) 0; lit15; and; litK; ge; litS; shl; plus
  if (e.length !== 11 || e[0] !== 0x70 + spReg || e[2] !== 0x70 + ipReg || e[3] !== 0 || e[4] !== 0x30 + 15 || e[5] !== 0x1a) return undefined;
  const spOff = e[1]!;
  if (spOff & 0x80) return undefined;
  const k = e[6]! - 0x30;
  if (k < 1 || k > 15 || e[7] !== 0x2a || e[8] !== 0x30 + slot || e[9] !== 0x24 || e[10] !== 0x22) return undefined;
  return `${sp} ${spOff} + ${ip} 16 % ${16 - k} + 16 / ${1 << slot} * +`;
}
