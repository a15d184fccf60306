// `npm run bench -- handler`: the crash handler's added time per crash. A small process (the handler
// tests' crasher: about 0.5 MB of core) crashes with SIGSEGV, alternately with kernel.core_pattern a
// plain file (the kernel writes the core itself) and with dumpkit's handler (the kernel pipes the
// core to `node bin/dumpkit.cjs handler core`, which writes a mini dump) and with the resident
// handler (the kernel runs the compiled forwarder, which hands the core to `dumpkit handler daemon`,
// started once for the whole run; the same mini dump). Measured from the crash
// (the byte that makes the waiting crasher fault) to the file complete under its final name: for
// the plain core, when the crashed process is reaped (the kernel writes the core before it exits);
// for the handlers, when the .dmp is linked into place (inotify). Medians of rounds whose order
// rotates.
// core_pattern is changed only through withCorePattern (restored whatever happens). Needs root.
import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, watch, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noCorePatternReason, withCorePattern } from '../test/helpers/core-pattern.js';
import { binEntry, crasher, handlerSetup, waitForLog, waitingCrasher } from '../test/node/handler/handler-helpers.js';
import { compileForwarder } from '../src/node/handler/forwarder.js';
import { forwarderPattern, handlerPattern } from '../src/node/handler/kernel-settings.js';

const ROUNDS = Number(process.env.DUMPKIT_BENCH_ROUNDS ?? 9);
const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

/** Crashes the waiting crasher; resolves with ms from the crash to `done` resolving, and when the process was reaped. */
async function crashOnce(exe: string, done: (pid: number) => Promise<void>): Promise<{ completeMs: number; reapedMs: number; pid: number }> {
  const p = await waitingCrasher(exe, 'segv');
  const t0 = performance.now();
  let reapedMs = 0;
  const reaped = p.ended.then(() => (reapedMs = performance.now() - t0));
  p.child.stdin.end('x');
  await Promise.all([done(p.pid), reaped]);
  return { completeMs: performance.now() - t0, reapedMs, pid: p.pid };
}

/** Resolves when `name` appears in `dir` (watched before the crash). */
function appears(dir: string, name: () => string): { wait: Promise<void>; close: () => void } {
  let resolve!: () => void;
  const wait = new Promise<void>((r) => (resolve = r));
  const w = watch(dir, (_ev, f) => {
    if (f === name()) {
      try {
        statSync(join(dir, f));
        resolve();
      } catch {
        /* renamed away again */
      }
    }
  });
  return { wait, close: () => w.close() };
}

export async function run(): Promise<void> {
  const why = noCorePatternReason();
  if (why) {
    process.stdout.write(`handler bench skipped: ${why}\n`);
    return;
  }
  const dir = mkdtempSync('/tmp/dkb-');
  try {
    const exe = crasher(64, 'dk-bench')!;
    const dumps = join(dir, 'dumps');
    const cores = join(dir, 'cores');
    spawnSync('mkdir', ['-p', dumps, cores]);
    const { node, entry, configPath: config } = await handlerSetup(dir, { DumpFolder: dumps, DumpType: 1, DumpCount: 1000 });
    const socket = join(dir, 's.sock');
    const forwarder = join(dir, 'dumpkit-core-forward');
    compileForwarder(forwarder, { socket, node, entry, config, waitSeconds: 90 });
    const patterns = { kernel: `${cores}/core.%p`, handler: handlerPattern(node, entry, ['--config', config]), resident: forwarderPattern(forwarder) };
    type Which = keyof typeof patterns;
    const complete: Record<Which, number[]> = { kernel: [], handler: [], resident: [] };
    const reaped: Record<Which, number[]> = { kernel: [], handler: [], resident: [] };
    const inside: Record<Which, number[]> = { kernel: [], handler: [], resident: [] };
    const bareNode: number[] = [];
    const daemon = spawn(process.execPath, [binEntry, 'handler', 'daemon', '--socket', socket, '--config', config], { stdio: ['ignore', 'ignore', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      daemon.stderr.setEncoding('utf8').on('data', (d: string) => d.includes('listening on') && resolve());
      daemon.once('exit', (code) => reject(new Error(`handler daemon exited (${code})`)));
    });
    try {
      await withCorePattern(
        patterns.kernel,
        async () => {
          const order: Which[] = ['kernel', 'handler', 'resident'];
          for (let i = 0; i < ROUNDS; i++) {
            for (const which of [...order.slice(i % 3), ...order.slice(0, i % 3)]) {
              writeFileSync('/proc/sys/kernel/core_pattern', patterns[which]);
              if (which === 'kernel') {
                const r = await crashOnce(exe, async () => {});
                complete.kernel.push(r.reapedMs);
                reaped.kernel.push(r.reapedMs);
                rmSync(join(cores, `core.${r.pid}`), { force: true });
                continue;
              }
              let pid = 0;
              const w = appears(dumps, () => `dk-bench.${pid}.dmp`);
              const r = await crashOnce(exe, async (p) => {
                pid = p;
                await w.wait;
              });
              w.close();
              complete[which].push(r.completeMs);
              reaped[which].push(r.reapedMs);
              const line = (await waitForLog(join(dumps, 'dumpkit-handler.log'), [r.pid])).get(r.pid)!;
              if (line.fields.result !== 'ok' || (line.fields.via === 'daemon') !== (which === 'resident')) throw new Error(`${which}: ${JSON.stringify(line.fields)}`);
              inside[which].push(Number(line.fields.ms));
            }
            const t = performance.now();
            spawnSync(process.execPath, ['-e', '0']);
            bareNode.push(performance.now() - t);
          }
        },
        64,
      );
    } finally {
      daemon.kill('SIGTERM');
    }
    const k = median(complete.kernel);
    const size = statSync(join(dumps, readFileSync(join(dumps, 'dumpkit-handler.log'), 'utf8').match(/dump=\S+\/([^/\s]+\.dmp)/)![1]!)).size;
    const row = (label: string, which: 'handler' | 'resident'): string => {
      const h = median(complete[which]);
      return `  ${label} ${h.toFixed(1)} ms, added ${(h - k).toFixed(1)} ms (${(h / k).toFixed(1)}x); crashed process reaped after ${median(reaped[which]).toFixed(1)} ms; inside runHandler ${median(inside[which]).toFixed(0)} ms\n`;
    };
    process.stdout.write(
      `crash → file complete, small process (${ROUNDS} rounds in rotating order, medians, load average ${loadavg().map((x) => x.toFixed(2)).join(' ')}):\n` +
        `  kernel writes a plain core:            ${k.toFixed(1)} ms\n` +
        row(`per-crash Node handler (mini, ${(size / 1024).toFixed(0)} KiB):`, 'handler') +
        row('resident (forwarder + daemon, mini):   ', 'resident') +
        `  a bare \`node -e 0\`: ${median(bareNode).toFixed(1)} ms\n` +
        (['kernel', 'handler', 'resident'] as const).map((w) => `  rounds ${w}: ${complete[w].map((x) => x.toFixed(0)).join(' ')} ms\n`).join(''),
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
