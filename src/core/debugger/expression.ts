/**
 * WinDbg's MASM expression syntax: numbers in the default radix 16 (`0x` hex, `0n` decimal, `0t`
 * octal, `0y` binary prefixes; `` ` `` separators as in `fffff800`00000000`; a trailing `h`),
 * registers (`@rip` or bare `rip` when the word is not a number), pseudo-registers (`$ip`, `$csp`),
 * `poi()`, `by()`, `wo()`, `dwo()`, `qwo()`, `hi()`, `low()`, module names (their base) and
 * `module!symbol`, unary `- ~ !`, binary `* / % mod + - << >> >>> == != < > <= >= & and ^ xor | or`
 * with MASM's precedence, and parentheses. Values are 64-bit (modulo 2^64).
 */
import { DumpError } from '../errors.js';

const MASK = 0xffffffffffffffffn;

export interface ExpressionContext {
  /** A register or pseudo-register value (`rip`, `$ip`), lower-case name; undefined if unknown. */
  register(name: string): Promise<bigint | undefined>;
  /** A module base (`ntdll`) or symbol (`ntdll!RtlUserThreadStart`); undefined if unknown. */
  symbol(name: string): Promise<bigint | undefined>;
  /** Reads `size` bytes at `address` as a little-endian number (DumpError when not in the dump). */
  readNumber(address: bigint, size: 1 | 2 | 4 | 8): Promise<bigint>;
  pointerSize: 4 | 8;
}

type Token = { kind: 'num'; value: bigint; at: number } | { kind: 'word'; text: string; at: number } | { kind: 'op'; text: string; at: number } | { kind: 'end'; at: number };

const WORD = /[A-Za-z0-9_$@!`]/;
const OPS = ['>>>', '<<', '>>', '==', '!=', '<=', '>=', '+', '-', '*', '/', '%', '&', '|', '^', '~', '!', '(', ')', '<', '>', '=', ','];

/** Parses a number word in MASM's rules; undefined when it is not one. */
export function parseNumber(word: string): bigint | undefined {
  let w = word.replace(/`/g, '');
  let radix = 16;
  const prefix = /^0([xntyXNTY])/.exec(w);
  if (prefix) {
    radix = { x: 16, n: 10, t: 8, y: 2 }[prefix[1]!.toLowerCase() as 'x' | 'n' | 't' | 'y'];
    w = w.slice(2);
  } else if (/^[0-9][0-9a-fA-F]*[hH]$/.test(w)) w = w.slice(0, -1);
  if (w === '') return undefined;
  const digits = radix === 16 ? /^[0-9a-fA-F]+$/ : radix === 10 ? /^[0-9]+$/ : radix === 8 ? /^[0-7]+$/ : /^[01]+$/;
  if (!digits.test(w)) return undefined;
  let v = 0n;
  const r = BigInt(radix);
  for (const c of w) v = v * r + BigInt(parseInt(c, radix));
  return v & MASK;
}

class Lexer {
  pos = 0;
  constructor(readonly text: string) {}

  peek(): Token {
    const save = this.pos;
    const t = this.next();
    this.pos = save;
    return t;
  }

  next(): Token {
    const s = this.text;
    while (this.pos < s.length && /\s/.test(s[this.pos]!)) this.pos++;
    const at = this.pos;
    if (this.pos >= s.length) return { kind: 'end', at };
    const c = s[this.pos]!;
    if (WORD.test(c) && c !== '!') {
      let e = this.pos;
      while (e < s.length && WORD.test(s[e]!)) e++;
      const text = s.slice(this.pos, e);
      this.pos = e;
      return { kind: 'word', text, at };
    }
    for (const op of OPS) {
      if (s.startsWith(op, this.pos)) {
        this.pos += op.length;
        return { kind: 'op', text: op, at };
      }
    }
    // not part of an expression (a quoted string, a comma list): the expression ends here
    return { kind: 'end', at };
  }
}

const BINARY: { ops: string[] }[] = [
  { ops: ['|', 'or'] },
  { ops: ['^', 'xor'] },
  { ops: ['&', 'and'] },
  { ops: ['=', '==', '!=', '<', '>', '<=', '>='] },
  { ops: ['<<', '>>', '>>>'] },
  { ops: ['+', '-'] },
  { ops: ['*', '/', '%', 'mod'] },
];

const FUNCTIONS: Record<string, 1 | 2 | 4 | 8 | 'poi' | 'hi' | 'low'> = { poi: 'poi', by: 1, wo: 2, dwo: 4, qwo: 8, hi: 'hi', low: 'low' };

class Parser {
  constructor(
    readonly lx: Lexer,
    readonly ctx: ExpressionContext,
  ) {}

  private opText(t: Token): string | undefined {
    if (t.kind === 'op') return t.text;
    if (t.kind === 'word' && ['and', 'or', 'xor', 'mod'].includes(t.text.toLowerCase())) return t.text.toLowerCase();
    return undefined;
  }

  async binary(level: number): Promise<bigint> {
    if (level >= BINARY.length) return this.unary();
    let left = await this.binary(level + 1);
    for (;;) {
      const t = this.lx.peek();
      const op = this.opText(t);
      if (!op || !BINARY[level]!.ops.includes(op)) return left;
      this.lx.next();
      const right = await this.binary(level + 1);
      left = apply(op, left, right);
    }
  }

  async unary(): Promise<bigint> {
    const t = this.lx.peek();
    if (t.kind === 'op' && (t.text === '-' || t.text === '+' || t.text === '~' || t.text === '!')) {
      this.lx.next();
      const v = await this.unary();
      if (t.text === '-') return -v & MASK;
      if (t.text === '~') return ~v & MASK;
      if (t.text === '!') return v === 0n ? 1n : 0n;
      return v;
    }
    return this.primary();
  }

  async primary(): Promise<bigint> {
    const t = this.lx.next();
    if (t.kind === 'op' && t.text === '(') {
      const v = await this.binary(0);
      this.expect(')');
      return v;
    }
    if (t.kind !== 'word') throw new DumpError('INVALID_ARGUMENT', `Syntax error at '${this.lx.text.slice(t.at) || '<end>'}'`);
    const word = t.text;
    const lower = word.toLowerCase();
    const fn = FUNCTIONS[lower];
    if (fn !== undefined) {
      const p = this.lx.peek();
      if (p.kind === 'op' && p.text === '(') {
        this.lx.next();
        const arg = await this.binary(0);
        this.expect(')');
        if (fn === 'hi') return (arg >> 16n) & 0xffffn;
        if (fn === 'low') return arg & 0xffffn;
        return this.ctx.readNumber(arg, fn === 'poi' ? this.ctx.pointerSize : fn);
      }
    }
    if (word.startsWith('@')) {
      const v = await this.ctx.register(lower.slice(1));
      if (v === undefined) throw new DumpError('INVALID_ARGUMENT', `Bad register error at '${word}'`);
      return v & MASK;
    }
    const n = parseNumber(word);
    if (n !== undefined) return n;
    const reg = await this.ctx.register(lower);
    if (reg !== undefined) return reg & MASK;
    const sym = await this.ctx.symbol(word);
    if (sym !== undefined) return sym & MASK;
    throw new DumpError('INVALID_ARGUMENT', `Couldn't resolve error at '${word}'`);
  }

  expect(op: string): void {
    const t = this.lx.next();
    if (t.kind !== 'op' || t.text !== op) throw new DumpError('INVALID_ARGUMENT', `Syntax error: expected '${op}' at '${this.lx.text.slice(t.at) || '<end>'}'`);
  }
}

function apply(op: string, a: bigint, b: bigint): bigint {
  switch (op) {
    case '+':
      return (a + b) & MASK;
    case '-':
      return (a - b) & MASK;
    case '*':
      return (a * b) & MASK;
    case '/':
    case '%':
    case 'mod': {
      if (b === 0n) throw new DumpError('INVALID_ARGUMENT', 'Divide by zero error');
      // MASM divides as signed 64-bit numbers
      const sa = a >= 0x8000000000000000n ? a - 0x10000000000000000n : a;
      const sb = b >= 0x8000000000000000n ? b - 0x10000000000000000n : b;
      return (op === '/' ? sa / sb : sa % sb) & MASK;
    }
    case '<<':
      return (a << (b & 63n)) & MASK;
    case '>>': {
      const sa = a >= 0x8000000000000000n ? a - 0x10000000000000000n : a;
      return (sa >> (b & 63n)) & MASK;
    }
    case '>>>':
      return a >> (b & 63n);
    case '&':
    case 'and':
      return a & b;
    case '|':
    case 'or':
      return a | b;
    case '^':
    case 'xor':
      return a ^ b;
    case '=':
    case '==':
      return a === b ? 1n : 0n;
    case '!=':
      return a !== b ? 1n : 0n;
    case '<':
      return a < b ? 1n : 0n;
    case '>':
      return a > b ? 1n : 0n;
    case '<=':
      return a <= b ? 1n : 0n;
    case '>=':
      return a >= b ? 1n : 0n;
    default:
      throw new DumpError('INVALID_ARGUMENT', `unknown operator ${op}`);
  }
}

/**
 * Evaluates the expression starting at `from` in `text` and stops where a token cannot continue
 * it (a following argument such as `L10`). Returns the value and where it stopped.
 */
export async function evaluatePrefix(text: string, ctx: ExpressionContext, from = 0): Promise<{ value: bigint; end: number }> {
  const lx = new Lexer(text);
  lx.pos = from;
  const p = new Parser(lx, ctx);
  const value = await p.binary(0);
  const next = lx.peek();
  return { value, end: next.kind === 'end' && next.at >= text.trimEnd().length ? text.length : next.at };
}

/** Evaluates a whole expression; trailing text is a syntax error. */
export async function evaluate(text: string, ctx: ExpressionContext): Promise<bigint> {
  const { value, end } = await evaluatePrefix(text, ctx);
  if (text.slice(end).trim() !== '') throw new DumpError('INVALID_ARGUMENT', `Syntax error at '${text.slice(end).trim()}'`);
  return value;
}
