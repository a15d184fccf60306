// Tests that change kernel.core_pattern (the crash handler, kernel-written cores) take one lock, so
// that test files running side by side never see each other's pattern, and restore the previous
// pattern and core_pipe_limit whatever happens (even if the test throws or the process is killed
// between: the saved values are kept in the lock file's folder and put back by the next taker).
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { setTimeout as sleep } from 'node:timers/promises';

const PATTERN = '/proc/sys/kernel/core_pattern';
const PIPE_LIMIT = '/proc/sys/kernel/core_pipe_limit';
const LOCK = '/tmp/dumpkit-core-pattern.lock';
const SAVED = '/tmp/dumpkit-core-pattern.saved.json';

/** Why core_pattern cannot be changed here (not root), or undefined. */
export function noCorePatternReason(): string | undefined {
  if (process.getuid?.() !== 0) return 'changing kernel.core_pattern needs root';
  try {
    writeFileSync(PATTERN, readFileSync(PATTERN, 'utf8').trimEnd());
    return undefined;
  } catch (e) {
    return `kernel.core_pattern is not writable here (${(e as Error).message})`;
  }
}

async function lock(): Promise<void> {
  for (;;) {
    try {
      mkdirSync(LOCK);
      return;
    } catch (e) {
      if ((e as NodeJS.ErrnoException).code !== 'EEXIST') throw e;
      // a lock whose holder is gone is taken over
      try {
        const pid = Number(readFileSync(`${LOCK}/pid`, 'utf8'));
        if (pid && !alive(pid)) {
          rmSync(LOCK, { recursive: true, force: true });
          continue;
        }
      } catch {
        // no pid file yet: its holder is between mkdir and writing it
      }
      await sleep(100);
    }
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

/**
 * Runs `fn` with kernel.core_pattern set to `pattern` (and core_pipe_limit to `pipeLimit` when
 * given), then restores both.
 */
export async function withCorePattern<T>(pattern: string, fn: () => Promise<T>, pipeLimit?: number): Promise<T> {
  await lock();
  writeFileSync(`${LOCK}/pid`, String(process.pid));
  // a previous holder killed mid-test left its saved values: put them back first
  if (existsSync(SAVED)) restore();
  const saved = { pattern: readFileSync(PATTERN, 'utf8').trimEnd(), pipeLimit: readFileSync(PIPE_LIMIT, 'utf8').trim() };
  writeFileSync(SAVED, JSON.stringify(saved));
  try {
    writeFileSync(PATTERN, pattern);
    if (pipeLimit !== undefined) writeFileSync(PIPE_LIMIT, String(pipeLimit));
    return await fn();
  } finally {
    restore();
    rmSync(LOCK, { recursive: true, force: true });
  }
}

function restore(): void {
  const saved = JSON.parse(readFileSync(SAVED, 'utf8')) as { pattern: string; pipeLimit: string };
  writeFileSync(PATTERN, saved.pattern);
  writeFileSync(PIPE_LIMIT, saved.pipeLimit);
  rmSync(SAVED, { force: true });
}
