/**
 * `npm run fuzz -- --target minidump|kernel|…|all --count N --seed S [--time-limit-ms T]
 *   [--heap-limit-mb H] [--jobs J] [--slow-ms M] [--out DIR]`
 * Seeded mutation fuzzing of the readers (docs/fuzzing.md). Prints the counts per target; every
 * distinct failure is saved with its input under DIR (default fuzz-out/) as
 * <target>/<failure>/input.dmp + failure.json, ready to become a regression
 * (test/fuzz/regressions/<target>/). Exit 1 when a bug, timeout or heap failure was found.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, writeFileSync } from 'node:fs';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fuzz, type Failure, type FuzzStats } from './engine.js';
import { targetNames } from './registry.js';

const { values: a } = parseArgs({
  options: {
    target: { type: 'string', default: 'all' },
    count: { type: 'string', default: '1000' },
    seed: { type: 'string', default: '1' },
    'time-limit-ms': { type: 'string', default: '2000' },
    'heap-limit-mb': { type: 'string', default: '256' },
    'slow-ms': { type: 'string', default: '100' },
    jobs: { type: 'string', default: '1' },
    out: { type: 'string', default: 'fuzz-out' },
  },
});
const int = (name: keyof typeof a): number => {
  const v = Number(a[name]);
  if (!Number.isSafeInteger(v) || v < 0) throw new Error(`--${name} must be a whole number (got ${a[name]})`);
  return v;
};
const targets = a.target === 'all' ? targetNames() : a.target!.split(',');
const out = resolve(a.out!);

function slug(f: Failure): string {
  const h = createHash('sha256').update(f.key).digest('hex').slice(0, 8);
  return `${f.kind}-${f.key.replace(/[^A-Za-z0-9]+/g, '-').slice(0, 60).replace(/-$/, '')}-${h}`;
}

function save(s: FuzzStats, f: Failure): string {
  const dir = join(out, s.target, slug(f));
  if (!existsSync(dir)) {
    mkdirSync(dir, { recursive: true });
    writeFileSync(join(dir, 'input.dmp'), f.bytes);
    const { bytes, ...rest } = f;
    writeFileSync(
      join(dir, 'failure.json'),
      JSON.stringify({ target: s.target, runSeed: s.runSeed, ...rest, inputBytes: bytes.length, makeAgain: `npm run fuzz -- --target ${s.target} --seed ${s.runSeed} --count ${f.index + 1}` }, null, 2) + '\n',
    );
  }
  return dir;
}

const fmtCounts = (r: Record<string, number>): string =>
  Object.entries(r)
    .sort((x, y) => y[1] - x[1])
    .map(([k, v]) => `${k} ${v}`)
    .join(', ') || 'none';

// Ctrl-C / SIGTERM: stop, then print the figures and save the failures of the inputs done so far
const stop = new AbortController();
for (const sig of ['SIGINT', 'SIGTERM'] as const) process.on(sig, () => stop.abort());

let failed = false;
for (const target of targets) {
  if (stop.signal.aborted) break;
  let last = performance.now();
  const started = last;
  const s = await fuzz({
    target,
    count: int('count'),
    seed: int('seed'),
    timeLimitMs: int('time-limit-ms'),
    heapLimitMb: int('heap-limit-mb'),
    slowMs: int('slow-ms'),
    jobs: int('jobs'),
    signal: stop.signal,
    onProgress: (p) => {
      if (performance.now() - last < 30_000) return;
      last = performance.now();
      process.stdout.write(
        `  ${target}: ${p.done}/${p.count} inputs at ${((performance.now() - started) / 1000).toFixed(0)} s: ok ${p.ok}, DumpError ${fmtCounts(p.dumpErrors)}; ` +
          `bugs ${p.bugs}, timeouts ${p.timeouts}, heap ${p.heapFailures}, slow ${p.slow}; slowest ${p.slowestMs.toFixed(1)} ms, max heap growth ${(p.maxHeapGrowthBytes / 2 ** 20).toFixed(1)} MiB\n`,
      );
    },
  });
  for (const n of s.notes) process.stdout.write(`${target}: ${n}\n`);
  process.stdout.write(
    `\n${target}: ${s.done} inputs${s.done < s.count ? ` (stopped early, of ${s.count})` : ''} from ${s.seeds} seeds (seed ${s.runSeed}) in ${(s.wallMs / 1000).toFixed(1)} s\n` +
      `  ok ${s.ok} | DumpError ${Object.values(s.dumpErrors).reduce((x, y) => x + y, 0)} (${fmtCounts(s.dumpErrors)})\n` +
      `  accessor DumpErrors after a good open: ${fmtCounts(s.accessorErrors)}\n` +
      `  bugs (other exceptions) ${s.bugs} | timeouts ${s.timeouts} | heap failures ${s.heapFailures} | slow (> ${a['slow-ms']} ms) ${s.slow}\n` +
      `  slowest input ${s.slowestMs.toFixed(1)} ms (#${s.slowestIndex}) | max heap growth ${(s.maxHeapGrowthBytes / 2 ** 20).toFixed(1)} MiB (#${s.maxHeapGrowthIndex})\n`,
  );
  for (const f of s.failures) {
    failed = true;
    process.stdout.write(`  ${f.kind}: ${f.key} — ${f.count} input(s), first #${f.index}: ${f.message.slice(0, 160)}\n    saved: ${save(s, f)}\n`);
  }
}
process.exit(failed ? 1 : 0);
