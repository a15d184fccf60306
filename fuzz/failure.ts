/**
 * What identifies a failure: the exception's type and the top stack frame in this repository's
 * code (paths made relative), e.g. `RangeError at src/core/kernel/virtual.ts:121:19 (VirtualMemory.tableAt)`.
 * Timeouts and heap failures have no stack; they are told apart by the seed they came from.
 */
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));

export interface Thrown {
  type: string;
  message: string;
  stack: string;
}

export function describeThrown(e: unknown): Thrown {
  if (e instanceof Error) return { type: e.constructor?.name || e.name, message: e.message, stack: e.stack ?? '' };
  return { type: typeof e, message: String(e), stack: '' };
}

/**
 * The top `n` stack frames inside the repository's code (not node:internal, not <anonymous>, not the
 * fuzz harness), repo-relative, e.g. `src/core/hex.ts:6 (hex) < src/core/kernel/physical.ts:350 (PhysicalMemory.missing)`.
 * Two frames by default: a helper that throws (hex, a struct view) says little without its caller.
 */
export function topFrame(stack: string, n = 2): string {
  const frames: string[] = [];
  for (const line of stack.split('\n')) {
    const m = /^\s+at (?:(.*?) \()?(?:file:\/\/)?(\/[^)]*?):(\d+):(\d+)\)?$/.exec(line);
    if (!m || !m[2]!.startsWith(root) || m[2]!.includes('/node_modules/') || m[2]!.startsWith(`${root}fuzz/`)) continue;
    frames.push(`${m[2]!.slice(root.length)}:${m[3]}${m[1] && m[1] !== '<anonymous>' ? ` (${m[1]})` : ''}`);
    if (frames.length === n) break;
  }
  return frames.length ? frames.join(' < ') : '(no frame in the repository)';
}

export function failureKey(t: Thrown): string {
  return `${t.type} at ${topFrame(t.stack)}`;
}
