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

export interface CliRun {
  args: string[];
  code: number;
  stdout: string;
  stderr: string;
}

/**
 * Runs several CLI invocations in one process (test/helpers/cli-batch.ts: main() per argv), saving
 * the TypeScript start-up per run. Use for commands that neither block nor exit the process.
 */
export function runCliBatch(runs: string[][], options: { cwd?: string; timeoutMs?: number } = {}): CliRun[] {
  const batchTs = fileURLToPath(new URL('./cli-batch.ts', import.meta.url));
  const r = spawnSync(process.execPath, ['--import', tsxLoader, batchTs], {
    cwd: options.cwd ?? projectRoot,
    encoding: 'utf8',
    input: JSON.stringify(runs),
    timeout: options.timeoutMs ?? 120_000,
    maxBuffer: 256 * 1024 * 1024,
  });
  if (r.status !== 0) throw new Error(`cli-batch failed (${r.status ?? r.signal}): ${r.stderr}`);
  return JSON.parse(r.stdout) as CliRun[];
}
