// STACK CFI INIT <address> <size> <rules> and STACK CFI <address> <rules>: DWARF-style unwind rules.
// The INIT record gives the rules at the start of a range; each delta record changes some rules from
// its address on. Rules are `name: postfix-expression` pairs; names `.cfa`, `.ra` or a register.
import type { CfiRules } from '../types.js';

/**
 * Applies one rule set to `rules` as Breakpad's CFIRuleParser does: tokens split on whitespace, a token
 * ending in ':' names the next rule, the following tokens form its expression. Rules reported before a
 * malformed one stay applied (as in Breakpad). Register names lose their `$` (contract: keys and
 * expressions name registers without it). Returns false when the set is malformed.
 */
export function applyCfiRuleSet(text: string, rules: CfiRules): boolean {
  let name: string | undefined;
  let expr: string[] = [];
  const report = (): boolean => {
    if (name === undefined || expr.length === 0) return false;
    rules[stripDollar(name)] = expr.map(stripDollar).join(' ');
    return true;
  };
  for (const token of text.split(/[ \t\r\n]+/)) {
    if (token === '') continue;
    if (token.endsWith(':')) {
      if (token.length < 2) return false;
      if (name !== undefined || expr.length > 0) {
        if (!report()) return false;
      }
      name = token.slice(0, -1);
      expr = [];
    } else {
      expr.push(token);
    }
  }
  return report();
}

function stripDollar(token: string): string {
  return token.length > 1 && token.startsWith('$') ? token.slice(1) : token;
}
