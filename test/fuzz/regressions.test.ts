/**
 * Replays the inputs the fuzzer found (test/fuzz/regressions/<target>/*.dmp, copied from fuzz-out/)
 * through the same harness: each must give a result or a DumpError within the time and heap bounds,
 * unless its failure is a known bug (fuzz/known-bugs.ts) still being fixed.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { test } from 'node:test';
import { fuzz } from '../../fuzz/engine.js';
import { knownBug } from '../../fuzz/known-bugs.js';
import { targetNames } from '../../fuzz/registry.js';

const dir = new URL('./regressions/', import.meta.url);

for (const name of targetNames()) {
  const at = new URL(`${name}/`, dir);
  const files = existsSync(at) ? readdirSync(at).filter((f) => f.endsWith('.dmp')).sort() : [];
  test(`fuzz regressions: ${name} (${files.length} inputs)`, { skip: files.length === 0 && `no regression inputs for ${name}` }, async (t) => {
    const replay = files.map((f) => ({ name: f, bytes: new Uint8Array(readFileSync(new URL(f, at))), fields: [] }));
    const s = await fuzz({ target: name, count: 0, seed: 0, replay, jobs: 1 });
    assert.equal(s.done, files.length);
    const unexpected: string[] = [];
    for (const f of s.failures) {
      const known = f.kind === 'bug' ? knownBug(name, f.key) : undefined;
      if (known) t.diagnostic(`${f.seed}: known bug (${known.fixIn}): ${known.name}`);
      else unexpected.push(`${f.seed}: ${f.kind}: ${f.key}: ${f.message}`);
    }
    assert.deepEqual(unexpected, []);
  });
}
