// bench/monitor.ts: what `dumpkit monitor` costs while it watches: 100 idle processes (`sleep`)
// for 10 s at the default 1 s interval, with every sampled trigger on (--cpu, --memory, --threads,
// --fds: each sample reads /proc/PID/stat and lists /proc/PID/fd), none of which fires. The figure
// is the monitor's own CPU time (utime + stime from /proc/MONITOR/stat) over those 10 s, after its
// start-up, as a percentage of one CPU. Then the same by name with --wait (/proc is listed and each
// process's comm read every interval, to find new ones).
// Run: npm run bench -- monitor   (DUMPKIT_BENCH_MONITOR_N processes, default 100; DUMPKIT_BENCH_MONITOR_S seconds, default 10)
// ProcDump for Linux is not beside it: its build needs bpftool and linux-tools for the running kernel
// (its eBPF restrack program), which this VM's custom kernel has no package for.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { buildDist } from './_startup.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const bin = fileURLToPath(new URL('../bin/dumpkit.mjs', import.meta.url));
const CLOCK_TICKS = 100; // USER_HZ

function cpuTicks(pid: number): number {
  const s = readFileSync(`/proc/${pid}/stat`, 'latin1');
  const f = s.slice(s.lastIndexOf(')') + 2).split(' ');
  return Number(f[11]) + Number(f[12]); // utime, stime (fields 14, 15)
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** Runs the monitor with `args`, waits until it has started on `expect` processes, then measures `seconds` of its CPU. */
async function measure(args: string[], expect: number, seconds: number): Promise<{ percent: number; started: number; dumps: number }> {
  const out = mkdtempSync(join(tmpdir(), 'dumpkit-bench-monitor-'));
  const child = spawn(process.execPath, [bin, 'monitor', '--json', '-o', out, ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let started = 0;
  let dumps = 0;
  let stderr = '';
  let buf = '';
  child.stdout!.setEncoding('utf8').on('data', (d: string) => {
    buf += d;
    started = (buf.match(/"event":"started"/g) ?? []).length;
    dumps = (buf.match(/"event":"dumped"/g) ?? []).length;
  });
  child.stderr!.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  try {
    const deadline = Date.now() + 60_000;
    while (started < expect) {
      if (child.exitCode !== null) throw new Error(`monitor ended: ${stderr}`);
      if (Date.now() > deadline) throw new Error(`monitor started on ${started} of ${expect} processes in 60 s: ${stderr}`);
      await sleep(100);
    }
    await sleep(1500); // past start-up and the first samples
    const t0 = performance.now();
    const c0 = cpuTicks(child.pid!);
    await sleep(seconds * 1000);
    const c1 = cpuTicks(child.pid!);
    const wall = (performance.now() - t0) / 1000;
    return { percent: ((c1 - c0) / CLOCK_TICKS / wall) * 100, started, dumps };
  } finally {
    child.kill('SIGINT');
    await new Promise((r) => child.once('exit', r));
    rmSync(out, { recursive: true, force: true });
  }
}

export async function run(): Promise<void> {
  const n = Number(process.env.DUMPKIT_BENCH_MONITOR_N ?? 100);
  const seconds = Number(process.env.DUMPKIT_BENCH_MONITOR_S ?? 10);
  const built = buildDist();
  if (!built.ok) throw new Error(`npm run build failed: ${built.output}`);
  const name = 'dkbench-sleep';
  // `sleep` under its own name (exec -a sets argv[0]; comm comes from the file name, so a symlink).
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bench-sleep-'));
  const sleepBin = join(dir, name);
  symlinkSync('/bin/sleep', sleepBin);
  const sleepers: ChildProcess[] = [];
  try {
    for (let i = 0; i < n; i++) sleepers.push(spawn(sleepBin, ['600'], { stdio: 'ignore' }));
    await sleep(300);
    const pids = sleepers.map((s) => String(s.pid));
    const triggers = ['--cpu', '90', '--memory', '100000', '--threads', '1000', '--fds', '100000'];
    const cpuOnly = await measure([...pids, '--cpu', '90'], n, seconds);
    const byPid = await measure([...pids, ...triggers], n, seconds);
    const byName = await measure([name, '--wait', ...triggers], n, seconds);
    const procs = readdirSync('/proc').filter((d) => /^\d+$/.test(d)).length;
    process.stdout.write(
      `monitor: ${n} idle processes, interval 1 s, --cpu/--memory/--threads/--fds, ${seconds} s (load average ${loadavg()[0]!.toFixed(1)}):\n` +
        `  by pid, --cpu only: ${cpuOnly.percent.toFixed(2)} % of one CPU (${cpuOnly.started} watched, ${cpuOnly.dumps} dumps)\n` +
        `  by pid:            ${byPid.percent.toFixed(2)} % of one CPU (${byPid.started} watched, ${byPid.dumps} dumps)\n` +
        `  by name, --wait:   ${byName.percent.toFixed(2)} % of one CPU (${byName.started} watched; /proc listed every second: ${procs} processes on this machine)\n` +
        `  target: under 1 % of a CPU for 100 processes -> ${[cpuOnly, byPid, byName].map((r) => (r.percent < 1 ? 'met' : 'NOT met')).join(', ')}\n`,
    );
  } finally {
    for (const s of sleepers) s.kill('SIGKILL');
    rmSync(dir, { recursive: true, force: true });
  }
}
