// `npm run bench -- analyze`: dumpkit analyze beside Breakpad's minidump_stackwalk (the tool a user would
// otherwise run for a crash reason and a symbolized stack), on corpus minidumps with their symbols,
// each in a fresh process; and the whole corpus analyzed in one process.
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { analyzeDump } from '../src/core/analysis/analyze.js';
import { DumpError } from '../src/core/errors.js';
import { FileSource } from '../src/node/file-source.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const corpus = fileURLToPath(new URL('../../shared/corpus/', import.meta.url));
const child = fileURLToPath(new URL('./_minidump-child.mjs', import.meta.url));
const distMain = new URL('../dist/node/cli/main.js', import.meta.url).href;
const stackwalk = ['/work/ext/breakpad/bin/minidump_stackwalk', 'minidump_stackwalk'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);
const fmt = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;

function timed(cmd: string, args: string[]): { ms: number; code: number | null } {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
  return { ms: performance.now() - t0, code: r.status };
}

export async function run(): Promise<void> {
  if (!existsSync(corpus)) {
    process.stdout.write(`analyze bench: corpus not found at ${corpus}; skipped\n`);
    return;
  }
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  if (build.status !== 0) throw new Error(`build failed: ${build.stdout.slice(0, 300)}`);
  const symbols = join(corpus, 'symbols');
  process.stdout.write(`minidump_stackwalk: ${stackwalk ?? 'not found (build Breakpad into /work/ext/breakpad)'}\n`);
  const rounds = 7;
  for (const f of ['breakpad/minidump2.dmp', 'symbolic/crash_linux.dmp', 'symbolic/crash_macos.dmp']) {
    const file = join(corpus, 'minidump', f);
    const ours: number[] = [];
    const theirs: number[] = [];
    for (let r = 0; r < rounds; r++) {
      // Alternate who goes first, so page-cache warmth favours neither.
      const a = () => ours.push(timed(process.execPath, [child, distMain, 'analyze', file, '--symbols', symbols]).ms);
      const b = () => stackwalk && theirs.push(timed(stackwalk, [file, symbols]).ms);
      if (r % 2) (b(), a());
      else (a(), b());
    }
    const line = stackwalk ? `, minidump_stackwalk ${fmt(median(theirs))}, ratio ${(median(ours) / median(theirs)).toFixed(2)}×` : '';
    process.stdout.write(`${f} with symbols, fresh process (median of ${rounds}): dumpkit analyze ${fmt(median(ours))}${line}\n`);
  }
  const files: string[] = [];
  for (const d of readdirSync(join(corpus, 'minidump'))) {
    const dir = join(corpus, 'minidump', d);
    try {
      for (const f of readdirSync(dir)) if (f.endsWith('.dmp')) files.push(join(dir, f));
    } catch {
      // MANIFEST.md and other plain files
    }
  }
  let best = Infinity;
  let ok = 0;
  for (let r = 0; r < 3; r++) {
    ok = 0;
    const t0 = performance.now();
    for (const f of files) {
      const s = FileSource.open(f);
      try {
        await analyzeDump(s);
        ok++;
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
      } finally {
        await s.close();
      }
    }
    best = Math.min(best, performance.now() - t0);
  }
  process.stdout.write(`corpus, in-process analyze (no symbols): ${files.length} files (${ok} analyzed, ${files.length - ok} refused as malformed) in ${fmt(best)} (best of 3), ${fmt(best / files.length)}/file\n`);
}
