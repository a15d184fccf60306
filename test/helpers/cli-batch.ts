/**
 * Runs the dumpkit CLI's `main()` once per argument list inside this one process (a process per file
 * costs ~0.5 s of TypeScript start-up), capturing each run's stdout, stderr and exit code.
 * Usage: node --import tsx test/helpers/cli-batch.ts  < JSON array of argv arrays  > JSON array of results
 */
import { readFileSync } from 'node:fs';
import { main } from '../../src/node/cli/main.js';

const runs = JSON.parse(readFileSync(0, 'utf8')) as string[][];
const results: { args: string[]; code: number; stdout: string; stderr: string }[] = [];
const realOut = process.stdout.write.bind(process.stdout);
const realErr = process.stderr.write.bind(process.stderr);
for (const args of runs) {
  let stdout = '';
  let stderr = '';
  process.stdout.write = ((chunk: string | Uint8Array) => ((stdout += chunk.toString()), true)) as typeof process.stdout.write;
  process.stderr.write = ((chunk: string | Uint8Array) => ((stderr += chunk.toString()), true)) as typeof process.stderr.write;
  process.exitCode = undefined;
  let code: number;
  try {
    code = await main(args);
  } finally {
    process.stdout.write = realOut;
    process.stderr.write = realErr;
  }
  results.push({ args, code, stdout, stderr });
}
realOut(JSON.stringify(results));
