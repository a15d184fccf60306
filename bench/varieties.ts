// Benchmark: converting a modeled complete dump (4 GiB RAM) to a kernel dump, against `cp` of
// the same file. Throughput is input bytes per second (the dump being shrunk); the converter reads
// only the pages the kernel dump keeps, in runs, so it is expected to beat a full copy.
// Peak memory is the child's max RSS, for a 1 GiB and a 4 GiB machine (it should not grow with the dump).
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Machine } from '../src/core/machine/machine.js';
import { variety } from '../src/core/varieties/rules.js';
import { writeFileSafely } from '../src/node/varieties/cli-util.js';
import { fromMachine, writeFromSource } from '../src/node/varieties/variety-source.js';

const child = fileURLToPath(new URL('./_varieties-convert.ts', import.meta.url));
const GB = 1e9;

async function makeMachineDump(dir: string, gib: number): Promise<{ path: string; ms: number }> {
  const path = join(dir, `workstation-${gib}g.dmp`);
  const t0 = performance.now();
  const m = new Machine({ ramBytes: gib * 2 ** 30, profile: 'workstation', seed: 1 });
  await writeFileSafely(path, true, (sink) => writeFromSource(fromMachine(m, 'bench'), variety('complete'), sink));
  return { path, ms: performance.now() - t0 };
}

function convert(input: string, output: string): { ms: number; bytes: number; maxRssKiB: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, input, output, 'kernel'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`convert failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; bytes: number; maxRssKiB: number };
}

function cp(input: string, output: string): number {
  const t0 = performance.now();
  const r = spawnSync('cp', [input, output]);
  if (r.status !== 0) throw new Error(`cp failed: ${r.stderr}`);
  return performance.now() - t0;
}

export async function run(): Promise<void> {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bench-varieties-'));
  try {
    const rows: string[] = [];
    const rss: Record<number, number> = {};
    for (const gib of [1, 4]) {
      const made = await makeMachineDump(dir, gib);
      const size = statSync(made.path).size;
      // Warm the page cache the same way for both contenders: one untimed read of the input.
      spawnSync('cat', [made.path], { stdio: ['ignore', 'ignore', 'ignore'] });
      const runs = [0, 1, 2].map(() => convert(made.path, join(dir, 'out-kernel.dmp')));
      const best = runs.reduce((a, b) => (a.ms < b.ms ? a : b));
      const cpMs = Math.min(...[0, 1, 2].map(() => cp(made.path, join(dir, 'out-cp.dmp'))));
      rss[gib] = Math.max(...runs.map((r) => r.maxRssKiB));
      rows.push(
        `${gib} GiB machine: dump ${(size / GB).toFixed(2)} GB (written in ${(made.ms / 1000).toFixed(1)} s); ` +
          `convert → kernel ${(best.ms / 1000).toFixed(2)} s = ${(size / GB / (best.ms / 1000)).toFixed(2)} GB/s of input, output ${(best.bytes / GB).toFixed(3)} GB; ` +
          `cp ${(cpMs / 1000).toFixed(2)} s = ${(size / GB / (cpMs / 1000)).toFixed(2)} GB/s; convert/cp time ratio ${(best.ms / cpMs).toFixed(2)}; ` +
          `peak RSS ${(rss[gib]! / 1024).toFixed(0)} MiB`,
      );
      rmSync(made.path);
    }
    for (const r of rows) process.stdout.write(r + '\n');
    process.stdout.write(`peak RSS 4 GiB / 1 GiB machine: ${(rss[4]! / rss[1]!).toFixed(2)} (memory independent of dump size when ≈ 1)\n`);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
