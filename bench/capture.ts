// bench/capture.ts: pause and total time of `dumpkit capture --type full` vs `gcore` on a process
// with 2 GiB of touched heap. The pause is measured from the target's side: a thread in the
// target records the longest gap in its own 0.5 ms ticking (test/fixtures/target/target.c).
// Run: npm run bench -- capture   (needs gcc and gdb's gcore; DUMPKIT_BENCH_HEAP_MB to change the size)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTarget, RunningTarget } from '../test/helpers/target.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const mainJs = fileURLToPath(new URL('../dist/node/cli/main.js', import.meta.url));

/** Compiles the CLI (npm run build) so the timing is of the JavaScript users run, not of tsx compiling TypeScript. */
function build(): void {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`build failed: ${r.stdout}${r.stderr}`);
}

function timed(cmd: string, args: string[]): Promise<{ ms: number; code: number | null; stderr: string; stdout: string }> {
  return new Promise((resolve) => {
    const t0 = performance.now();
    const child = spawn(cmd, args, { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('exit', (code) => resolve({ ms: performance.now() - t0, code, stdout, stderr }));
  });
}

export async function run(): Promise<void> {
  const heapMb = Number(process.env.DUMPKIT_BENCH_HEAP_MB ?? 2048);
  if (spawnSync('sh', ['-c', 'command -v gcore']).status !== 0) throw new Error('gcore (Debian gdb) is not installed');
  build();
  const binary = buildTarget(64)!;
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bench-'));
  const target = await RunningTarget.start(binary, ['--heap-mb', String(heapMb)]);
  try {
    await new Promise((r) => setTimeout(r, 300));
    await target.command('gap'); // reset the gap meter
    await new Promise((r) => setTimeout(r, 1000));
    const baseline = await target.command('gap'); // longest gap in 1 s of doing nothing: the meter's noise
    await target.command('gap');

    const dk = await timed(process.execPath, [mainJs, 'capture', String(target.pid), '--type', 'full', '-o', join(dir, 'dumpkit.dmp'), '--json']);
    if (dk.code !== 0) throw new Error(`dumpkit capture failed: ${dk.stderr}`);
    const dkGap = (await target.command('gap')) / 1000;
    const dkReport = JSON.parse(dk.stdout) as { size: number; pauseMs: number; totalMs: number; commitMs: number };

    // For reference: dumpkit without the snapshot (memory copied while the target is stopped).
    const cp = await timed(process.execPath, [mainJs, 'capture', String(target.pid), '--type', 'full', '--snapshot', 'copy', '--overwrite', '-o', join(dir, 'dumpkit.dmp'), '--json']);
    if (cp.code !== 0) throw new Error(`dumpkit capture --snapshot copy failed: ${cp.stderr}`);
    const cpGap = (await target.command('gap')) / 1000;

    const gc = await timed('gcore', ['-o', join(dir, 'gcore'), String(target.pid)]);
    if (gc.code !== 0) throw new Error(`gcore failed: ${gc.stderr}`);
    const gcGap = (await target.command('gap')) / 1000;
    const gcSize = statSync(join(dir, `gcore.${target.pid}`)).size;

    const f = (n: number): string => n.toFixed(0).padStart(9);
    const row = (label: string, a: number, b: number): string => `${label.padEnd(34)}${f(a)}${f(b)}   ${(a / b).toFixed(3)}`;
    const out = [
      `target: ${heapMb} MiB touched heap, pid ${target.pid}; longest gap in 1 s idle (meter noise) ${(baseline / 1000).toFixed(2)} ms`,
      `${''.padEnd(34)}  dumpkit    gcore   dumpkit/gcore`,
      row('pause seen by the target (ms)', dkGap, gcGap),
      row('total wall time (ms)', dk.ms, gc.ms),
      row('file size (MiB)', dkReport.size / 1048576, gcSize / 1048576),
      row('--snapshot copy: pause (ms)', cpGap, gcGap),
      row('--snapshot copy: total (ms)', cp.ms, gc.ms),
      `dumpkit's own figures: pause ${dkReport.pauseMs.toFixed(1)} ms, total ${dkReport.totalMs.toFixed(1)} ms (inside the CLI, without Node start-up), of which fsync + rename ${dkReport.commitMs.toFixed(1)} ms (gcore does not fsync)`,
      `load average while measuring: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
