/**
 * Start-up figures shared by the minidump and kernel benches: `dumpkit info FILE` through the
 * published entry (bin/dumpkit.cjs, what a user runs; its code cache written by a first run) in a
 * fresh process, and without the code cache, beside a bare Node
 * start-up (`node -e 0`), medians of several alternating runs. DUMPKIT_BENCH_BASELINE_BIN=<another
 * checkout's bin/dumpkit.cjs> times that one too, in the same rounds (before/after a change);
 * DUMPKIT_BENCH_STARTUP_RUNS sets the rounds (default 11).
 */
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = fileURLToPath(new URL('../bin/dumpkit.cjs', import.meta.url));

/** Runs `npm run build` (dist/ and the CLI bundle) once; false (and why) when it fails. */
export function buildDist(): { ok: boolean; output: string } {
  const r = spawnSync(process.execPath, [fileURLToPath(new URL('../scripts/build.mjs', import.meta.url))], { cwd: root, encoding: 'utf8' });
  return { ok: r.status === 0, output: (r.stdout ?? '') + (r.stderr ?? '') };
}

const cpuAtExit = fileURLToPath(new URL('./_cpu-at-exit.cjs', import.meta.url));

/**
 * Wall time of a fresh `node ARGS`, and its CPU time (user + system, start-up included): on a shared
 * machine the wall time mostly measures the other jobs, the CPU time much less so.
 */
function wall(args: string[], env?: NodeJS.ProcessEnv): { ms: number; cpuMs: number; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['-r', cpuAtExit, ...args], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'], encoding: 'utf8', env: env ? { ...process.env, ...env } : undefined });
  const ms = performance.now() - t0;
  return { ms, cpuMs: Number(/DUMPKIT_BENCH_CPU_MS ([\d.]+)/.exec(r.stderr)?.[1] ?? NaN), code: r.status };
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

export interface StartupFigures {
  infoMs: number;
  nodeMs: number;
  infoCpuMs: number;
  nodeCpuMs: number;
  code: number | null;
  runs: number;
  /** The same without the code cache (DUMPKIT_COMPILE_CACHE=0): a command's first run after a build. */
  noCacheMs: number;
  noCacheCpuMs: number;
  baseline?: { bin: string; infoMs: number; infoCpuMs: number };
  /** Instructions executed (valgrind's callgrind), when valgrind is installed: the same on a busy machine as on an idle one. */
  instructions?: { info: number; node: number };
}

/** Instructions a fresh `node ARGS` executes, counted by callgrind; undefined without valgrind. */
function instructions(args: string[]): number | undefined {
  const out = `/tmp/dumpkit-bench-callgrind-${process.pid}.out`;
  const r = spawnSync('valgrind', ['--tool=callgrind', '--smc-check=all-non-file', `--callgrind-out-file=${out}`, process.execPath, ...args], { cwd: root, encoding: 'utf8', stdio: ['ignore', 'ignore', 'pipe'] });
  spawnSync('rm', ['-f', out]);
  const m = /Collected : (\d+)/.exec(r.stderr ?? '');
  return r.status === 0 && m ? Number(m[1]) : undefined;
}

/** Medians over `runs` rounds, each round one `node -e 0` and one `dumpkit info FILE`. */
export function infoStartup(file: string, runs = Number(process.env.DUMPKIT_BENCH_STARTUP_RUNS ?? 11)): StartupFigures {
  const info: number[] = [];
  const node: number[] = [];
  const before: number[] = [];
  const [infoCpu, nodeCpu, beforeCpu]: number[][] = [[], [], []];
  const [noCache, noCacheCpu]: number[][] = [[], []];
  const baseline = process.env.DUMPKIT_BENCH_BASELINE_BIN;
  let code: number | null = 0;
  wall([bin, 'info', file]); // warm the page cache for the modules and the file's header, and write the code cache
  if (baseline) wall([baseline, 'info', file]);
  for (let i = 0; i < runs; i++) {
    const n = wall(['-e', '0']);
    node.push(n.ms);
    nodeCpu.push(n.cpuMs);
    if (baseline) {
      const b = wall([baseline, 'info', file]);
      before.push(b.ms);
      beforeCpu.push(b.cpuMs);
    }
    const r = wall([bin, 'info', file]);
    info.push(r.ms);
    infoCpu.push(r.cpuMs);
    const c = wall([bin, 'info', file], { DUMPKIT_COMPILE_CACHE: '0' });
    noCache.push(c.ms);
    noCacheCpu.push(c.cpuMs);
    if (r.code !== 0) code = r.code;
  }
  return {
    infoMs: median(info),
    nodeMs: median(node),
    infoCpuMs: median(infoCpu),
    nodeCpuMs: median(nodeCpu),
    code,
    runs,
    instructions: (() => {
      const n = instructions(['-e', '0']);
      const i = n === undefined ? undefined : instructions([bin, 'info', file]);
      return n !== undefined && i !== undefined ? { info: i, node: n } : undefined;
    })(),
    noCacheMs: median(noCache),
    noCacheCpuMs: median(noCacheCpu),
    baseline: baseline ? { bin: baseline, infoMs: median(before), infoCpuMs: median(beforeCpu) } : undefined,
  };
}

export function formatStartup(what: string, s: StartupFigures): string {
  return (
    `${what}: \`node bin/dumpkit.cjs info\` ${s.infoMs.toFixed(0)} ms (exit ${s.code}) | bare \`node -e 0\` ${s.nodeMs.toFixed(0)} ms | ` +
    `ratio ${(s.infoMs / s.nodeMs).toFixed(2)}x, difference ${(s.infoMs - s.nodeMs).toFixed(0)} ms (medians of ${s.runs} alternating fresh processes)\n` +
    `    CPU time (user+system, whole process): info ${s.infoCpuMs.toFixed(0)} ms | node -e 0 ${s.nodeCpuMs.toFixed(0)} ms | ratio ${(s.infoCpuMs / s.nodeCpuMs).toFixed(2)}x, difference ${(s.infoCpuMs - s.nodeCpuMs).toFixed(0)} ms\n` +
    `    without the code cache (DUMPKIT_COMPILE_CACHE=0, a command's first run after a build): info ${s.noCacheMs.toFixed(0)} ms, difference ${(s.noCacheMs - s.nodeMs).toFixed(0)} ms (CPU ${s.noCacheCpuMs.toFixed(0)} ms, difference ${(s.noCacheCpuMs - s.nodeCpuMs).toFixed(0)} ms)\n` +
    (s.instructions
      ? `    instructions (callgrind, independent of the machine's load): info ${(s.instructions.info / 1e6).toFixed(0)} M | node -e 0 ${(s.instructions.node / 1e6).toFixed(0)} M | ` +
        `ratio ${(s.instructions.info / s.instructions.node).toFixed(3)}x, so info ≈ bare node + ${((s.instructions.info / s.instructions.node - 1) * s.nodeMs).toFixed(0)} ms at this run's bare start-up\n`
      : '') +
    (s.baseline
      ? `    baseline ${s.baseline.bin}: ${s.baseline.infoMs.toFixed(0)} ms (CPU ${s.baseline.infoCpuMs.toFixed(0)} ms), ratio ${(s.baseline.infoMs / s.nodeMs).toFixed(2)}x node ` +
        `(CPU ${(s.baseline.infoCpuMs / s.nodeCpuMs).toFixed(2)}x), difference ${(s.baseline.infoMs - s.nodeMs).toFixed(0)} ms (CPU ${(s.baseline.infoCpuMs - s.nodeCpuMs).toFixed(0)} ms); ` +
        `this/baseline ${(s.infoMs / s.baseline.infoMs).toFixed(2)}x (CPU ${(s.infoCpuMs / s.baseline.infoCpuMs).toFixed(2)}x)\n`
      : '')
  );
}
