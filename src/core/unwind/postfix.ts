// Breakpad postfix expressions: STACK CFI rule values (`rsp 16 +`, `.cfa -8 + ^`) and STACK WIN
// program strings (`$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =`).
// Values are unsigned machine words (wrapping at 2^32 or 2^64). Evaluation never throws: a
// malformed expression is `{ error }` (the walker turns it into a diagnostic), a register or memory
// word that is not available is `{ unavailable }` (an ordinary reason to try another strategy).

/** Reads one machine word; undefined when the bytes are not in the dump. */
export type WordReader = (address: bigint) => Promise<bigint | undefined>;

export type PostfixValue = { value: bigint } | { unavailable: string } | { error: string };

/** Caps on hostile expressions: tokens per expression and the evaluation stack's depth. */
export const POSTFIX_LIMITS = { maxTokens: 512, maxDepth: 64 } as const;

const BINARY = new Set(['+', '-', '*', '/', '%', '@']);

function mask(bits: 32 | 64): bigint {
  return bits === 32 ? 0xffffffffn : 0xffffffffffffffffn;
}

function parseNumber(token: string, m: bigint): bigint | undefined {
  if (/^-?[0-9]+$/.test(token)) return BigInt(token) & m;
  if (/^-?0x[0-9a-f]+$/i.test(token)) return (token.startsWith('-') ? -BigInt(token.slice(1)) : BigInt(token)) & m;
  return undefined;
}

function binary(op: string, a: bigint, b: bigint, m: bigint): bigint | string {
  switch (op) {
    case '+':
      return (a + b) & m;
    case '-':
      return (a - b) & m;
    case '*':
      return (a * b) & m;
    case '/':
      return b === 0n ? 'division by zero' : a / b;
    case '%':
      return b === 0n ? 'modulo by zero' : a % b;
    default: // '@': align down to a power of two
      return b === 0n || (b & (b - 1n)) !== 0n ? `alignment ${b} is not a power of two` : a & ~(b - 1n) & m;
  }
}

const REGISTER_NAME = /^\$?[a-z_][a-z0-9_]*$/i;

/**
 * Evaluates one STACK CFI expression. Tokens: decimal or `0x` numbers, register names (with or
 * without `$`) looked up in `registers`, `.cfa` (when `cfa` is given), and the operators
 * `+ - * / % @ ^` (`^` reads a word at the address on top of the stack). The result is the single
 * value left on the stack.
 */
export async function evaluateCfiExpression(
  expression: string,
  registers: Record<string, bigint>,
  read: WordReader,
  bits: 32 | 64,
  cfa?: bigint,
): Promise<PostfixValue> {
  const m = mask(bits);
  const tokens = expression.split(/\s+/).filter((t) => t !== '');
  if (tokens.length === 0) return { error: 'empty expression' };
  if (tokens.length > POSTFIX_LIMITS.maxTokens) return { error: `${tokens.length} tokens, more than ${POSTFIX_LIMITS.maxTokens}` };
  const stack: bigint[] = [];
  for (const t of tokens) {
    if (BINARY.has(t)) {
      if (stack.length < 2) return { error: `'${t}' needs two operands` };
      const b = stack.pop()!;
      const a = stack.pop()!;
      const r = binary(t, a, b, m);
      if (typeof r === 'string') return { error: r };
      stack.push(r);
    } else if (t === '^') {
      if (stack.length < 1) return { error: `'^' needs an operand` };
      const address = stack.pop()!;
      const v = await read(address);
      if (v === undefined) return { unavailable: `memory at 0x${address.toString(16)} is not in the dump` };
      stack.push(v & m);
    } else if (t === '.cfa') {
      if (cfa === undefined) return { error: `'.cfa' used in the .cfa rule itself` };
      stack.push(cfa);
    } else if (t === '.undef') {
      return { unavailable: 'the rule is .undef' };
    } else {
      const n = parseNumber(t, m);
      if (n !== undefined) stack.push(n);
      else if (REGISTER_NAME.test(t)) {
        const v = registers[t.startsWith('$') ? t.slice(1) : t];
        if (v === undefined) return { unavailable: `register ${t} is not known in this frame` };
        stack.push(v & m);
      } else return { error: `unknown token '${t}'` };
    }
    if (stack.length > POSTFIX_LIMITS.maxDepth) return { error: `stack deeper than ${POSTFIX_LIMITS.maxDepth}` };
  }
  if (stack.length !== 1) return { error: `${stack.length} values left on the stack, not 1` };
  return { value: stack[0]! };
}

/** What a STACK CFI rule set gives for the caller: its CFA (= sp), return address (= pc), other registers. */
export type CfiResult =
  | { cfa: bigint; ra: bigint; registers: Record<string, bigint>; cleared: string[] }
  | { unavailable: string }
  | { error: string };

/**
 * Evaluates merged STACK CFI rules (`.cfa`, `.ra`, registers; keys may carry a `$`). `.cfa` and `.ra`
 * must evaluate; a register rule that cannot (its input is not known) leaves that register unknown
 * in the caller (listed in `cleared`), as Breakpad and rust-minidump do.
 */
export async function evaluateCfiRules(
  rules: Record<string, string>,
  callee: Record<string, bigint>,
  read: WordReader,
  bits: 32 | 64,
): Promise<CfiResult> {
  const cfaRule = rules['.cfa'];
  const raRule = rules['.ra'];
  if (cfaRule === undefined) return { error: 'no .cfa rule' };
  if (raRule === undefined) return { error: 'no .ra rule' };
  const cfa = await evaluateCfiExpression(cfaRule, callee, read, bits);
  if (!('value' in cfa)) return cfa;
  const ra = await evaluateCfiExpression(raRule, callee, read, bits, cfa.value);
  if (!('value' in ra)) return ra;
  const registers: Record<string, bigint> = {};
  const cleared: string[] = [];
  for (const [key, rule] of Object.entries(rules)) {
    if (key === '.cfa' || key === '.ra') continue;
    const name = key.startsWith('$') ? key.slice(1) : key;
    const v = await evaluateCfiExpression(rule, callee, read, bits, cfa.value);
    if ('error' in v) return { error: `${name}: ${v.error}` };
    if ('value' in v) registers[name] = v.value;
    else cleared.push(name);
  }
  return { cfa: cfa.value, ra: ra.value, registers, cleared };
}

/**
 * Parses a rule string in Breakpad's line syntax (`.cfa: rsp 8 + .ra: .cfa -8 + ^ rbx: .cfa -16 + ^`)
 * into a rule map, for tests and for providers that keep the raw text. Returns an error string for
 * text that does not start with a `name:` or repeats nothing after one.
 */
export function parseCfiRuleText(text: string): Record<string, string> | { error: string } {
  const out: Record<string, string> = {};
  let current: string | undefined;
  let expr: string[] = [];
  const flush = (): string | undefined => {
    if (current === undefined) return undefined;
    if (expr.length === 0) return `rule '${current}:' has no expression`;
    out[current.startsWith('$') ? current.slice(1) : current] = expr.join(' ');
    return undefined;
  };
  for (const t of text.split(/\s+/).filter((x) => x !== '')) {
    if (t.endsWith(':') && t.length > 1) {
      const e = flush();
      if (e) return { error: e };
      current = t.slice(0, -1);
      expr = [];
    } else {
      if (current === undefined) return { error: `expression '${t}' before any register name` };
      expr.push(t);
    }
  }
  const e = flush();
  if (e) return { error: e };
  return out;
}

/** The variables a STACK WIN program string reads and sets (`$eip`, `$T0`, `.raSearch`…), 32-bit. */
export type WinVariables = Map<string, bigint>;

export type WinProgramResult = { variables: WinVariables; assigned: Set<string> } | { unavailable: string } | { error: string };

/**
 * Evaluates a STACK WIN program string (x86 FrameData): a sequence of `var expression =`
 * assignments in postfix form over 32-bit values. Variables are `$name` or `.name`; an unset
 * variable used as a value makes the result unavailable. `=` may be glued to its right neighbour
 * (`=$eip`) as some program strings have it.
 */
export async function evaluateWinProgram(program: string, initial: WinVariables, read: WordReader): Promise<WinProgramResult> {
  const m = 0xffffffffn;
  const variables: WinVariables = new Map(initial);
  const assigned = new Set<string>();
  const tokens: string[] = [];
  for (const t of program.split(/\s+/)) {
    if (t === '') continue;
    if (t.length > 1 && t.startsWith('=')) tokens.push('=', t.slice(1));
    else tokens.push(t);
  }
  if (tokens.length > POSTFIX_LIMITS.maxTokens) return { error: `${tokens.length} tokens, more than ${POSTFIX_LIMITS.maxTokens}` };
  type Item = { v: bigint } | { name: string } | { undef: true };
  const stack: Item[] = [];
  const value = (it: Item): bigint | { unavailable: string } | { error: string } => {
    if ('v' in it) return it.v;
    if ('undef' in it) return { error: '.undef used as a value' };
    const v = variables.get(it.name);
    return v === undefined ? { unavailable: `${it.name} is not set` } : v;
  };
  for (const t of tokens) {
    if (BINARY.has(t)) {
      if (stack.length < 2) return { error: `'${t}' needs two operands` };
      const b = value(stack.pop()!);
      const a = value(stack.pop()!);
      if (typeof a !== 'bigint') return a;
      if (typeof b !== 'bigint') return b;
      const r = binary(t, a, b, m);
      if (typeof r === 'string') return { error: r };
      stack.push({ v: r });
    } else if (t === '^') {
      if (stack.length < 1) return { error: `'^' needs an operand` };
      const a = value(stack.pop()!);
      if (typeof a !== 'bigint') return a;
      const w = await read(a);
      if (w === undefined) return { unavailable: `memory at 0x${a.toString(16)} is not in the dump` };
      stack.push({ v: w & m });
    } else if (t === '=') {
      if (stack.length < 2) return { error: `'=' needs a variable and a value` };
      const rhs = stack.pop()!;
      const lhs = stack.pop()!;
      if (!('name' in lhs)) return { error: `'=' assigns to something that is not a variable` };
      if ('undef' in rhs) {
        variables.delete(lhs.name);
        assigned.delete(lhs.name);
      } else {
        const v = value(rhs);
        if (typeof v !== 'bigint') return v;
        variables.set(lhs.name, v);
        assigned.add(lhs.name);
      }
    } else if (t === '.undef') stack.push({ undef: true });
    else if (/^[$.][a-z0-9_]+$/i.test(t)) stack.push({ name: t });
    else {
      const n = parseNumber(t, m);
      if (n === undefined) return { error: `unknown token '${t}'` };
      stack.push({ v: n });
    }
    if (stack.length > POSTFIX_LIMITS.maxDepth) return { error: `stack deeper than ${POSTFIX_LIMITS.maxDepth}` };
  }
  if (stack.length !== 0) return { error: `${stack.length} values left over after the last '='` };
  return { variables, assigned };
}
