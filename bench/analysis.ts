/**
 * Analysis benchmark (`npm run bench -- analysis`):
 *  1. walk and symbolize every thread of every corpus minidump with the corpus symbols, in one
 *     process (ms per dump), beside Breakpad's `minidump_stackwalk DUMP SYMBOLS` on the same files
 *     (one process per file, as a user runs it) when the binary is there (docs/interop.md);
 *  2. minidump2.dmp as fresh processes: `dumpkit stack --all --symbols` vs minidump_stackwalk;
 *  3. all threads of a 2 GiB full-memory minidump (bench/minidump.ts's sparse generator, 64 threads
 *     with 40-frame rbp chains and junk words between frames): in process and fresh processes.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../src/core/diagnostics.js';
import { DumpError } from '../src/core/errors.js';
import { Minidump } from '../src/core/minidump/minidump.js';
import { processMinidump } from '../src/core/processor/process.js';
import type { ProcessState } from '../src/core/processor/process-state.js';
import { FileSource } from '../src/node/file-source.js';
import { openSymbolProvider } from '../src/node/symbols/index.js';
import { SPARSE_RANGE_BASE, corpusFiles, fmtMs, makeSparseFullDumpAt, ratio } from './minidump.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const corpus = fileURLToPath(new URL('../../shared/corpus/minidump/', import.meta.url));
const symbolsDir = fileURLToPath(new URL('../../shared/corpus/symbols/', import.meta.url));
const child = fileURLToPath(new URL('./_minidump-child.mjs', import.meta.url));
const distMain = new URL('../dist/node/cli/main.js', import.meta.url).href;
const srcMain = new URL('../src/node/cli/main.ts', import.meta.url).href;
/** Breakpad's minidump_stackwalk built from source (docs/interop.md); DUMPKIT_MINIDUMP_STACKWALK overrides. */
const stackwalk = [process.env.DUMPKIT_MINIDUMP_STACKWALK, '/work/ext/breakpad/bin/minidump_stackwalk'].find((p): p is string => !!p && existsSync(p));
const hasTime = existsSync('/usr/bin/time');

/** Walks every thread of one dump with the corpus symbols; undefined for a dump the reader refuses. */
async function walkFile(path: string, withSymbols: boolean): Promise<ProcessState | undefined> {
  const src = FileSource.open(path);
  const diagnostics = new Diagnostics();
  const symbols = withSymbols ? openSymbolProvider([symbolsDir], diagnostics) : undefined;
  try {
    const md = await Minidump.open(src, { diagnostics });
    return await processMinidump(md, { threads: 'all', diagnostics, ...(symbols ? { symbols } : {}) });
  } catch (e) {
    if (e instanceof DumpError) return undefined; // the malformed corpus files
    throw e;
  } finally {
    await symbols?.close();
    await src.close();
  }
}

function timed(cmd: string, args: string[]): { ms: number; peakMiB: number; status: number | null } {
  const t0 = performance.now();
  const r = hasTime
    ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', cmd, ...args], { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 })
    : spawnSync(cmd, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  return { ms, peakMiB: Number(/MAXRSS (\d+)/.exec(r.stderr ?? '')?.[1] ?? 0) / 1024, status: r.status };
}

function dumpkitStack(file: string, compiled: boolean, extra: string[]): { ms: number; peakMiB: number; status: number | null } {
  const args = compiled ? [child, distMain, 'stack', file, '--all', ...extra] : ['--import', 'tsx', child, srcMain, 'stack', file, '--all', ...extra];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8', maxBuffer: 1 << 28 });
  const ms = performance.now() - t0;
  const line = r.stderr.trim().split('\n').pop() ?? '{}';
  const info = JSON.parse(line.startsWith('{') ? line : '{}') as { peakRssKiB?: number };
  return { ms, peakMiB: (info.peakRssKiB ?? 0) / 1024, status: r.status };
}

/** Fills the 64 thread stacks of the sparse dump: an rbp chain of 40 frames, 6 junk words in each frame. */
export function fillStackChains(path: string, baseRva: number, threads: number, rangeSize: number): void {
  const fd = openSync(path, 'r+');
  try {
    for (let i = 0; i < threads; i++) {
      const start = SPARSE_RANGE_BASE + BigInt(i) * BigInt(rangeSize) * 2n;
      const rsp = start + BigInt(rangeSize) - 0x4000n;
      const bytes = new Uint8Array(0x4000);
      const v = new DataView(bytes.buffer);
      let bp = 0x40; // offset of rbp from rsp, as the context says
      for (let f = 0; f < 40; f++) {
        const next = bp + 0x50;
        for (let j = 1; j <= 6; j++) v.setBigUint64(bp - j * 8, 0x12345678n + BigInt(j), true); // locals, not code
        v.setBigUint64(bp, f === 39 ? 0n : rsp + BigInt(next), true);
        v.setBigUint64(bp + 8, 0x400100n + BigInt(f * 16), true);
        bp = next;
      }
      writeSync(fd, bytes, 0, bytes.length, baseRva + i * rangeSize + (rangeSize - 0x4000));
    }
  } finally {
    closeSync(fd);
  }
}

export async function run(): Promise<void> {
  if (!existsSync(corpus) || !existsSync(symbolsDir)) {
    process.stdout.write(`analysis bench: corpus not found at ${corpus}; skipped\n`);
    return;
  }
  const build = spawnSync(process.execPath, [join(root, 'node_modules/typescript/bin/tsc'), '-p', 'tsconfig.build.json'], { cwd: root, encoding: 'utf8' });
  const compiled = build.status === 0;
  if (!compiled) process.stdout.write(`(build failed, timing the tsx-run sources instead)\n`);
  process.stdout.write(`minidump_stackwalk: ${stackwalk ?? 'not found (build it from /work/ext/breakpad, see docs/interop.md; set DUMPKIT_MINIDUMP_STACKWALK): dumpkit figures alone'}\n`);
  const files = corpusFiles();

  // 1. In process: every thread of every corpus dump, with symbols.
  const rounds = 3;
  let best = Infinity;
  let frames = 0;
  let threads = 0;
  let ok = 0;
  const perFile = new Map<string, number>();
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    frames = threads = ok = 0;
    for (const f of files) {
      const t1 = performance.now();
      const s = await walkFile(f, true);
      const ms = performance.now() - t1;
      perFile.set(f, Math.min(perFile.get(f) ?? Infinity, ms));
      if (!s) continue;
      ok++;
      threads += s.threads.length;
      for (const t of s.threads) frames += t.stack.frames.length;
    }
    best = Math.min(best, performance.now() - t0);
  }
  const slowest = [...perFile].sort((a, b) => b[1] - a[1]).slice(0, 3).map(([f, ms]) => `${f.slice(corpus.length)} ${fmtMs(ms)}`);
  process.stdout.write(
    `corpus, in process, all threads with symbols: ${ok}/${files.length} dumps, ${threads} threads, ${frames} frames in ${fmtMs(best)} (best of ${rounds}) = ${fmtMs(best / files.length)}/dump; slowest: ${slowest.join(', ')}\n`,
  );
  if (stackwalk) {
    let bp = 0;
    let bpOk = 0;
    for (const f of files) {
      const r = timed(stackwalk, [f, symbolsDir]);
      bp += r.ms;
      if (r.status === 0) bpOk++;
    }
    process.stdout.write(
      `  minidump_stackwalk DUMP SYMBOLS, one process per dump: ${bpOk}/${files.length} ok in ${fmtMs(bp)} = ${fmtMs(bp / files.length)}/dump | dumpkit in-process/Breakpad processes ${ratio(best, bp)}\n`,
    );
  }

  // 2. minidump2.dmp, fresh processes.
  const dump2 = join(corpus, 'breakpad/minidump2.dmp');
  const dk2 = dumpkitStack(dump2, compiled, ['--symbols', symbolsDir]);
  const bp2 = stackwalk ? timed(stackwalk, [dump2, symbolsDir]) : undefined;
  process.stdout.write(
    `minidump2.dmp fresh process: dumpkit stack --all --symbols ${fmtMs(dk2.ms)} (peak RSS ${dk2.peakMiB.toFixed(0)} MiB, exit ${dk2.status})` +
      (bp2 ? ` | minidump_stackwalk ${fmtMs(bp2.ms)}${hasTime ? ` (peak RSS ${bp2.peakMiB.toFixed(0)} MiB)` : ''} | time ${ratio(dk2.ms, bp2.ms)}` : '') +
      '\n',
  );

  // 3. 2 GiB full-memory dump, 64 threads.
  const path = join(tmpdir(), `dumpkit-bench-analysis-${process.pid}.dmp`);
  try {
    const nThreads = 64;
    const rangeSize = 64 * 1024;
    const { size, baseRva } = makeSparseFullDumpAt(path, 32768, rangeSize, nThreads);
    fillStackChains(path, baseRva, nThreads, rangeSize);
    const t0 = performance.now();
    const s = await walkFile(path, false);
    const inProc = performance.now() - t0;
    const nFrames = s ? s.threads.reduce((n, t) => n + t.stack.frames.length, 0) : 0;
    process.stdout.write(
      `2 GiB Memory64List dump (${(size / 2 ** 30).toFixed(2)} GiB, 32768 ranges, ${nThreads} threads): in-process walk of all threads ${fmtMs(inProc)}, ${nFrames} frames\n`,
    );
    const d = dumpkitStack(path, compiled, ['-m']);
    const b = stackwalk ? timed(stackwalk, ['-m', path]) : undefined;
    process.stdout.write(
      `  fresh process: dumpkit stack --all -m ${fmtMs(d.ms)}, peak RSS ${d.peakMiB.toFixed(0)} MiB (exit ${d.status})` +
        (b ? ` | minidump_stackwalk -m ${fmtMs(b.ms)}${hasTime ? `, peak RSS ${b.peakMiB.toFixed(0)} MiB` : ''} (exit ${b.status}) | time ${ratio(d.ms, b.ms)}${hasTime ? `, memory ${ratio(d.peakMiB, b.peakMiB)}` : ''}` : '') +
        '\n',
    );
  } finally {
    rmSync(path, { force: true });
  }
}
