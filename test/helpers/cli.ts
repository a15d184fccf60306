import { spawnSync, type SpawnSyncReturns } from 'node:child_process';
import { fileURLToPath } from 'node:url';

export const projectRoot = fileURLToPath(new URL('../../', import.meta.url));
const mainTs = fileURLToPath(new URL('../../src/node/cli/main.ts', import.meta.url));
/** tsx resolved from the project, so the CLI also runs with a cwd outside it. */
export const tsxLoader = import.meta.resolve('tsx');

/** Runs the CLI from source (no build needed) and returns its output. */
export function runCli(args: string[], options: { cwd?: string; input?: string; timeoutMs?: number; env?: Record<string, string> } = {}): SpawnSyncReturns<string> {
  return spawnSync(process.execPath, ['--import', tsxLoader, mainTs, ...args], {
    cwd: options.cwd ?? projectRoot,
    encoding: 'utf8',
    input: options.input,
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 256 * 1024 * 1024,
    env: options.env ? { ...process.env, ...options.env } : process.env,
  });
}
