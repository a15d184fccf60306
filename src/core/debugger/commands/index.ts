/** The command table: every command family registers its commands here; lookup by WinDbg name. */
import type { Command } from '../types.js';
import { DISASSEMBLY_COMMANDS } from './disassembly.js';
import { DUMP_COMMANDS } from './dump.js';
import { EXPRESSION_COMMANDS } from './expression.js';
import { KERNEL_COMMANDS } from './kernel.js';
import { MEMORY_COMMANDS } from './memory.js';
import { MODULE_COMMANDS } from './modules.js';
import { SESSION_COMMANDS } from './session.js';
import { STACK_COMMANDS } from './stack.js';
import { THREAD_COMMANDS } from './threads.js';

export type { Command } from '../types.js';

export const COMMANDS: Command[] = [
  ...SESSION_COMMANDS,
  ...MODULE_COMMANDS,
  ...THREAD_COMMANDS,
  ...STACK_COMMANDS,
  ...MEMORY_COMMANDS,
  ...DISASSEMBLY_COMMANDS,
  ...EXPRESSION_COMMANDS,
  ...KERNEL_COMMANDS,
  ...DUMP_COMMANDS,
];

const BY_NAME = new Map<string, Command>();
for (const c of COMMANDS) for (const n of c.names) BY_NAME.set(n.toLowerCase(), c);

/** All command names (for completion). */
export function commandNames(): string[] {
  return [...BY_NAME.keys()].sort();
}

/**
 * Finds the command a line starts with: `.name` and `!name` up to a space; `~` and `?` and `||`
 * by their first characters; otherwise the longest known name the leading word starts with
 * (`lmv m x` is `lm` with `v m x`, `~3s` is `~` with `3s`).
 */
export function findCommand(line: string): { command: Command; name: string; args: string } | undefined {
  const t = line.trim();
  for (const special of ['||', '~', '?']) {
    if (t.startsWith(special)) {
      const c = BY_NAME.get(special);
      return c ? { command: c, name: special, args: t.slice(special.length).trim() } : undefined;
    }
  }
  const m = /^([.!]?[A-Za-z_][A-Za-z0-9_]*)/.exec(t);
  if (!m) return undefined;
  const word = m[1]!.toLowerCase();
  const exact = BY_NAME.get(word);
  if (exact) return { command: exact, name: word, args: t.slice(word.length).trim() };
  if (word.startsWith('.') || word.startsWith('!')) return undefined;
  for (let n = word.length - 1; n > 0; n--) {
    const c = BY_NAME.get(word.slice(0, n));
    if (c && c.names.includes(word.slice(0, n)) && PREFIX_OK.has(word.slice(0, n))) return { command: c, name: word.slice(0, n), args: t.slice(n).trim() };
  }
  return undefined;
}

/** Commands whose options may follow the name without a space (`lmv`, `lmvm`). */
const PREFIX_OK = new Set(['lm']);
