/** The shell's command history, kept in a file under the user's state directory. */
import { appendFileSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { homedir } from 'node:os';
import { dirname, join } from 'node:path';

export const HISTORY_SIZE = 1000;

/** `$DUMPKIT_HISTORY`, else `$XDG_STATE_HOME/dumpkit/dbg_history`, else `~/.local/state/dumpkit/dbg_history`. */
export function historyPath(env: NodeJS.ProcessEnv = process.env): string {
  if (env.DUMPKIT_HISTORY) return env.DUMPKIT_HISTORY;
  const state = env.XDG_STATE_HOME || join(homedir(), '.local', 'state');
  return join(state, 'dumpkit', 'dbg_history');
}

/** Past commands, newest first (readline's order); [] when there is no file yet. */
export function loadHistory(path: string): string[] {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (e) {
    if ((e as NodeJS.ErrnoException).code === 'ENOENT') return [];
    throw e;
  }
  const lines = text.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-HISTORY_SIZE).reverse();
}

/** Appends one command (and trims the file when it has grown past twice the size). */
export function appendHistory(path: string, line: string): void {
  try {
    mkdirSync(dirname(path), { recursive: true, mode: 0o700 });
    appendFileSync(path, line.replace(/\n/g, ' ') + '\n', { mode: 0o600 });
    const all = readFileSync(path, 'utf8').split('\n').filter(Boolean);
    if (all.length > 2 * HISTORY_SIZE) writeFileSync(path, all.slice(-HISTORY_SIZE).join('\n') + '\n', { mode: 0o600 });
  } catch (e) {
    // a history file that cannot be written (read-only home, full disk) must not stop the session
    if (!(e as NodeJS.ErrnoException).code) throw e;
  }
}
