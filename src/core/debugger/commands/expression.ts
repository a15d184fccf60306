/** ? EXPR: evaluate a MASM expression. */
import { signed64 } from '../format.js';
import type { Command } from '../types.js';
import { helpList } from './session.js';

export const EXPRESSION_COMMANDS: Command[] = [
  {
    names: ['?'],
    usage: '? EXPR',
    summary: 'evaluate an expression (? alone: help)',
    help:
      'Evaluates a MASM expression as WinDbg does and prints it in decimal and hex: `? 1000` (hex by default), `? 0n4096` (decimal), `? fffff800`00000000 + 10`, `? @rip - nt`, `? poi(@rsp)`, `? ntdll!NtClose`. ' +
      'Operators: + - * / % (mod) << >> >>> & (and) | (or) ^ (xor) == != < > <= >=, unary - ~ !, parentheses; functions poi() by() wo() dwo() qwo() hi() low(). Without an expression, lists the commands.',
    async run(engine, { args }) {
      if (!args.trim()) return helpList(engine);
      const { value, end } = await engine.evaluatePrefix(args);
      const extra = args.slice(end).trim();
      if (extra) return { text: `Syntax error at '${extra}'`, error: { code: 'INVALID_ARGUMENT', message: `Syntax error at '${extra}'` } };
      const shown = engine.pointerSize === 8 ? signed64(value) : BigInt.asIntN(32, value);
      return { text: `Evaluate expression: ${shown} = ${engine.formatAddress(value)}`, data: { value } };
    },
  },
];
