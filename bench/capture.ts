// bench/capture.ts: pause and total time of `dumpkit capture --type full` vs `gcore` on a process
// with 2 GiB of touched heap. The pause is measured from the target's side: a thread in the
// target records the longest gap in its own 0.5 ms ticking (test/fixtures/target/target.c).
// Run: npm run bench -- capture   (needs gcc and gdb's gcore; DUMPKIT_BENCH_HEAP_MB to change the size,
// DUMPKIT_BENCH_ROUNDS the number of alternating rounds, 7 by default)
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { cpus, loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildTarget, RunningTarget } from '../test/helpers/target.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const mainJs = fileURLToPath(new URL('../bin/dumpkit.cjs', import.meta.url));

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

interface Run {
  ms: number;
  gap: number;
  size: number;
  report?: { pauseMs: number; totalMs: number; commitMs: number; method: string };
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s.length % 2 ? s[(s.length - 1) / 2]! : (s[s.length / 2 - 1]! + s[s.length / 2]!) / 2;
}

export async function run(): Promise<void> {
  const heapMb = Number(process.env.DUMPKIT_BENCH_HEAP_MB ?? 2048);
  const rounds = Number(process.env.DUMPKIT_BENCH_ROUNDS ?? 7);
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

    // Each tool writes a new file, deleted after the run, so both find the page cache alike.
    const dumpkit = async (extra: string[] = [], of: RunningTarget = target): Promise<Run> => {
      const file = join(dir, 'dumpkit.dmp');
      await of.command('gap');
      const r = await timed(process.execPath, [mainJs, 'capture', String(of.pid), '--type', 'full', '-o', file, '--json', ...extra]);
      if (r.code !== 0) throw new Error(`dumpkit capture failed: ${r.stderr}`);
      const gap = (await of.command('gap')) / 1000;
      const report = JSON.parse(r.stdout) as Run['report'] & { size: number };
      rmSync(file);
      return { ms: r.ms, gap, size: report.size, report };
    };
    const gcore = async (of: RunningTarget = target): Promise<Run> => {
      const prefix = join(dir, 'gcore');
      await of.command('gap');
      const r = await timed('gcore', ['-o', prefix, String(of.pid)]);
      if (r.code !== 0) throw new Error(`gcore failed: ${r.stderr}`);
      const gap = (await of.command('gap')) / 1000;
      const file = `${prefix}.${of.pid}`;
      const size = statSync(file).size;
      rmSync(file);
      return { ms: r.ms, gap, size };
    };

    // Alternate which tool goes first: on a VM, how fast new page cache comes depends on what ran before.
    const dk: Run[] = [];
    const gc: Run[] = [];
    for (let i = 0; i < rounds; i++) {
      if (i % 2 === 0) {
        dk.push(await dumpkit());
        gc.push(await gcore());
      } else {
        gc.push(await gcore());
        dk.push(await dumpkit());
      }
    }
    const synced = await dumpkit(['--sync']);
    const copied = await dumpkit(['--snapshot', 'copy']);

    // A 32-bit target with 1 GiB of touched heap (where gcc -m32 works), alone: the 64-bit target,
    // whose thread spins, is stopped first.
    await target.stop();
    let line32 = 'a 32-bit target: not measured (no gcc -m32: apt-get install gcc-multilib)';
    const binary32 = buildTarget(32);
    if (binary32) {
      const t32 = await RunningTarget.start(binary32, ['--heap-mb', '1024']);
      try {
        await new Promise((r) => setTimeout(r, 300));
        const d32: Run[] = [];
        const g32: Run[] = [];
        for (let i = 0; i < 3; i++) {
          if (i % 2 === 0) {
            d32.push(await dumpkit([], t32));
            g32.push(await gcore(t32));
          } else {
            g32.push(await gcore(t32));
            d32.push(await dumpkit([], t32));
          }
        }
        const c = await dumpkit(['--snapshot', 'copy'], t32);
        const m = (rs: Run[], k: (r: Run) => number): string => median(rs.map(k)).toFixed(0);
        line32 =
          `a 32-bit target with 1 GiB of touched heap, 3 alternating rounds, medians: pause dumpkit ${m(d32, (r) => r.gap)} ms ` +
          `(--snapshot copy, once: ${c.gap.toFixed(0)} ms), gcore ${m(g32, (r) => r.gap)} ms; total dumpkit ${m(d32, (r) => r.ms)} ms, gcore ${m(g32, (r) => r.ms)} ms ` +
          `(every run: ${d32.map((r) => r.ms.toFixed(0)).join(' ')} | ${g32.map((r) => r.ms.toFixed(0)).join(' ')})`;
      } finally {
        await t32.stop();
      }
    }

    const f = (n: number): string => n.toFixed(0).padStart(9);
    const row = (label: string, a: number, b: number): string => `${label.padEnd(34)}${f(a)}${f(b)}   ${(a / b).toFixed(3)}`;
    const med = (rs: Run[], k: (r: Run) => number): number => median(rs.map(k));
    const list = (rs: Run[], k: (r: Run) => number): string => rs.map((r) => k(r).toFixed(0)).join(' ');
    const out = [
      `target: ${heapMb} MiB touched heap, pid ${target.pid}, a thread spinning on one CPU; longest gap in 1 s idle (meter noise) ${(baseline / 1000).toFixed(2)} ms`,
      `${rounds} rounds, dumpkit and gcore alternating which goes first; medians:`,
      `${''.padEnd(34)}  dumpkit    gcore   dumpkit/gcore`,
      row('pause seen by the target (ms)', med(dk, (r) => r.gap), med(gc, (r) => r.gap)),
      row('total wall time (ms)', med(dk, (r) => r.ms), med(gc, (r) => r.ms)),
      row('file size (MiB)', dk[0]!.size / 1048576, gc[0]!.size / 1048576),
      `every run, total ms: dumpkit ${list(dk, (r) => r.ms)} | gcore ${list(gc, (r) => r.ms)}`,
      `every run, pause ms: dumpkit ${list(dk, (r) => r.gap)} | gcore ${list(gc, (r) => r.gap)}`,
      `dumpkit's own figures (median, inside the CLI, without Node start-up): pause ${med(dk, (r) => r.report!.pauseMs).toFixed(1)} ms, total ${med(dk, (r) => r.report!.totalMs).toFixed(1)} ms; memory written by ${dk[0]!.report!.method === 'snapshot' ? 'the snapshot' : dk[0]!.report!.method}`,
      `once, dumpkit --sync (fsync before the rename; gcore does not fsync): total ${synced.ms.toFixed(0)} ms, of which fsync + rename ${synced.report!.commitMs.toFixed(0)} ms`,
      `once, dumpkit --snapshot copy (memory copied while the target is stopped): pause ${copied.gap.toFixed(0)} ms, total ${copied.ms.toFixed(0)} ms`,
      line32,
      `load average while measuring: ${loadavg().map((x) => x.toFixed(1)).join(' ')} on ${cpus().length} CPUs`,
    ];
    process.stdout.write(out.join('\n') + '\n');
  } finally {
    await target.stop();
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
