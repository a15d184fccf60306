/**
 * A short fixed-seed slice of every fuzz target (fuzz/targets/*.ts) through the real harness (worker
 * threads, time and heap bounds): fails on any exception other than a DumpError, any input over the
 * time bound and any heap failure — except failures listed in fuzz/known-bugs.ts, which are reported.
 * Long runs: `npm run fuzz` (docs/fuzzing.md).
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/engine.js';
import { knownBug } from '../../fuzz/known-bugs.js';
import { targetNames } from '../../fuzz/registry.js';

/** Inputs per target (the slice), on 2 workers; a few thousand in all. */
const SLICE: Record<string, number> = { minidump: 2000, kernel: 1000, sym: 500, elf: 500 };
const DEFAULT_SLICE = 500;

for (const name of targetNames()) {
  test(`fuzz slice: ${name}`, async (t) => {
    const count = SLICE[name] ?? DEFAULT_SLICE;
    const s = await fuzz({ target: name, count, seed: 20261204, jobs: 2, timeLimitMs: 2000, heapLimitMb: 256 });
    for (const n of s.notes) t.diagnostic(n);
    t.diagnostic(
      `${s.done} inputs from ${s.seeds} seeds in ${(s.wallMs / 1000).toFixed(1)} s: ok ${s.ok}, DumpError ${JSON.stringify(s.dumpErrors)}, ` +
        `slowest ${s.slowestMs.toFixed(0)} ms, max heap growth ${(s.maxHeapGrowthBytes / 2 ** 20).toFixed(1)} MiB`,
    );
    assert.equal(s.done, count);
    const unexpected: string[] = [];
    for (const f of s.failures) {
      const known = f.kind === 'bug' ? knownBug(name, f.key) : undefined;
      if (known) t.diagnostic(`known bug (${known.fixIn}): ${known.name} — ${f.count} input(s)`);
      else unexpected.push(`${f.kind}: ${f.key} — ${f.count} input(s), first #${f.index} from ${f.seed} [${f.steps.join('; ')}]: ${f.message}`);
    }
    assert.deepEqual(unexpected, [], `failures (reproduce with npm run fuzz -- --target ${name} --seed ${s.runSeed} --count ${count})`);
  });
}
