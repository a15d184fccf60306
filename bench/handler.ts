// `npm run bench -- handler`: the crash handler's added time per crash. A small process (the handler
// tests' crasher: about 0.5 MB of core) crashes with SIGSEGV, alternately with kernel.core_pattern a
// plain file (the kernel writes the core itself) and with dumpkit's handler (the kernel pipes the
// core to `node bin/dumpkit.cjs handler core`, which writes a mini dump). Measured from the crash
// (the byte that makes the waiting crasher fault) to the file complete under its final name: for
// the plain core, when the crashed process is reaped (the kernel writes the core before it exits);
// for the handler, when the .dmp is linked into place (inotify). Medians of alternating rounds.
// core_pattern is changed only through withCorePattern (restored whatever happens). Needs root.
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, statSync, symlinkSync, watch, writeFileSync } from 'node:fs';
import { loadavg } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { noCorePatternReason, withCorePattern } from '../test/helpers/core-pattern.js';
import { binEntry, crasher, ensureBuiltCli, waitForLog, waitingCrasher } from '../test/node/handler/handler-helpers.js';
import { handlerPattern } from '../src/node/handler/kernel-settings.js';

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
  await ensureBuiltCli();
  const dir = mkdtempSync('/tmp/dkb-');
  try {
    const exe = crasher(64, 'dk-bench')!;
    const dumps = join(dir, 'dumps');
    const cores = join(dir, 'cores');
    spawnSync('mkdir', ['-p', dumps, cores]);
    const config = join(dir, 'h.json');
    writeFileSync(config, JSON.stringify({ DumpFolder: dumps, DumpType: 1, DumpCount: 1000 }));
    symlinkSync(process.execPath, join(dir, 'n'));
    symlinkSync(binEntry, join(dir, 'd.mjs'));
    const handler = handlerPattern(join(dir, 'n'), join(dir, 'd.mjs'), ['--config', config]);
    const plain = `${cores}/core.%p`;
    const kernel: number[] = [];
    const dk: number[] = [];
    const dkReaped: number[] = [];
    const inside: number[] = [];
    const bareNode: number[] = [];
    await withCorePattern(
      plain,
      async () => {
        for (let i = 0; i < ROUNDS; i++) {
          const order = i % 2 === 0 ? ['kernel', 'handler'] : ['handler', 'kernel'];
          for (const which of order) {
            if (which === 'kernel') {
              writeFileSync('/proc/sys/kernel/core_pattern', plain);
              const r = await crashOnce(exe, async () => {});
              kernel.push(r.reapedMs);
              rmSync(join(cores, `core.${r.pid}`), { force: true });
            } else {
              writeFileSync('/proc/sys/kernel/core_pattern', handler);
              let pid = 0;
              const w = appears(dumps, () => `dk-bench.${pid}.dmp`);
              const r = await crashOnce(exe, async (p) => {
                pid = p;
                await w.wait;
              });
              w.close();
              dk.push(r.completeMs);
              dkReaped.push(r.reapedMs);
              const line = (await waitForLog(join(dumps, 'dumpkit-handler.log'), [r.pid])).get(r.pid)!;
              if (line.fields.result !== 'ok') throw new Error(`handler: ${JSON.stringify(line.fields)}`);
              inside.push(Number(line.fields.ms));
            }
          }
          const t = performance.now();
          spawnSync(process.execPath, ['-e', '0']);
          bareNode.push(performance.now() - t);
        }
      },
      64,
    );
    const k = median(kernel);
    const h = median(dk);
    const size = statSync(join(dumps, readFileSync(join(dumps, 'dumpkit-handler.log'), 'utf8').match(/dump=\S+\/([^/\s]+\.dmp)/)![1]!)).size;
    process.stdout.write(
      `crash → file complete, small process (${ROUNDS} alternating rounds, medians, load average ${loadavg()[0]!.toFixed(1)}):\n` +
        `  kernel writes a plain core:        ${k.toFixed(1)} ms\n` +
        `  dumpkit handler (mini dump, ${(size / 1024).toFixed(0)} KiB): ${h.toFixed(1)} ms (crashed process reaped after ${median(dkReaped).toFixed(1)} ms)\n` +
        `  added per crash: ${(h - k).toFixed(1)} ms (${(h / k).toFixed(1)}x); of it inside the handler after Node started: ${median(inside).toFixed(0)} ms; a bare \`node -e 0\`: ${median(bareNode).toFixed(1)} ms\n` +
        `  rounds: kernel ${kernel.map((x) => x.toFixed(0)).join(' ')} ms; handler ${dk.map((x) => x.toFixed(0)).join(' ')} ms\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1]) await run();
