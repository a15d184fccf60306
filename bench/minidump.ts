/**
 * Minidump reader benchmark (`npm run bench -- minidump`):
 *  1. open + summarize every corpus minidump in-process (the library cost), several rounds;
 *  2. `dumpkit info` vs `lldb -c FILE --batch -o "image list"` as fresh processes on a few corpus files;
 *  3. a 2 GiB full-memory (Memory64List) dump written sparse in os.tmpdir(): time and peak memory to
 *     print its info, dumpkit vs LLDB.
 * Figures are printed side by side with ratios. Peak memory: VmHWM of the dumpkit child process,
 * /usr/bin/time's max RSS for LLDB (when /usr/bin/time exists).
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, ftruncateSync, openSync, rmSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { summarizeMinidump } from '../src/core/minidump/summary.js';
import { FileSource } from '../src/node/file-source.js';
import { amd64Context, le, MinidumpBuilder, module, systemInfo, thread } from '../test/fixtures/minidump-builder.js';
import { corpusMinidumps } from '../test/helpers/corpus.js';
import { buildDist, formatStartup, infoStartup } from './_startup.js';

const root = fileURLToPath(new URL('../', import.meta.url));
const corpus = fileURLToPath(new URL('../../shared/corpus/minidump/', import.meta.url));
const child = fileURLToPath(new URL('./_minidump-child.mjs', import.meta.url));
const srcMain = new URL('../src/node/cli/main.ts', import.meta.url).href;
const distMain = new URL('../dist/cli/main.cjs', import.meta.url).href;
const hasTime = existsSync('/usr/bin/time');
export const lldb = ['lldb', 'lldb-19', 'lldb-16', 'lldb-14'].find((c) => spawnSync('sh', ['-c', `command -v ${c}`]).status === 0);

export const fmtMs = (ms: number) => `${ms.toFixed(ms < 10 ? 2 : 0)} ms`;
export const ratio = (a: number, b: number) => (b > 0 ? `${(a / b).toFixed(2)}x` : 'n/a');

/** Every corpus minidump (bench/analysis.ts uses it too). */
export const corpusFiles = corpusMinidumps;

async function summarizeFile(path: string): Promise<boolean> {
  const src = FileSource.open(path);
  try {
    await summarizeMinidump(src);
    return true;
  } catch {
    return false; // the two malformed corpus files
  } finally {
    await src.close();
  }
}

/**
 * dumpkit info in a fresh process: wall time (incl. Node start) and the child's peak RSS. `compiled`
 * runs dist/ (what the published bin runs); otherwise the TypeScript sources through tsx.
 */
function dumpkitProcess(file: string, compiled: boolean): { ms: number; peakMiB: number; code: number | null } {
  const args = compiled ? [child, distMain, 'info', file] : ['--import', 'tsx', child, srcMain, 'info', file];
  const t0 = performance.now();
  const r = spawnSync(process.execPath, args, { cwd: root, encoding: 'utf8' });
  const ms = performance.now() - t0;
  const line = r.stderr.trim().split('\n').pop() ?? '{}';
  const info = JSON.parse(line.startsWith('{') ? line : '{}') as { peakRssKiB?: number };
  return { ms, peakMiB: (info.peakRssKiB ?? 0) / 1024, code: r.status };
}

/** lldb opening the core and listing images: wall time and max RSS (if /usr/bin/time is there). */
export function lldbProcess(file: string): { ms: number; peakMiB: number; ok: boolean } {
  const args = ['-c', file, '--batch', '-o', 'image list'];
  const t0 = performance.now();
  const r = hasTime ? spawnSync('/usr/bin/time', ['-f', 'MAXRSS %M', lldb!, ...args], { encoding: 'utf8' }) : spawnSync(lldb!, args, { encoding: 'utf8' });
  const ms = performance.now() - t0;
  const kib = Number(/MAXRSS (\d+)/.exec(r.stderr ?? '')?.[1] ?? 0);
  return { ms, peakMiB: kib / 1024, ok: r.status === 0 };
}

/**
 * Writes a 2 GiB Memory64List dump as a sparse file: header, directory, descriptors, then ftruncate.
 * Ranges start at 0x10000000 with a gap after each. With `threads` > 1 (bench/analysis.ts), thread i
 * (id i + 1) has range i as its stack, rsp 16 KiB below the range's end; the caller fills the stacks.
 * Returns the file size and the file offset of range 0's bytes.
 */
export function makeSparseFullDump(path: string, ranges: number, rangeSize: number, threads = 1): number {
  return makeSparseFullDumpAt(path, ranges, rangeSize, threads).size;
}

export const SPARSE_RANGE_BASE = 0x10000000n;

export function makeSparseFullDumpAt(path: string, ranges: number, rangeSize: number, threads = 1): { size: number; baseRva: number } {
  const b = new MinidumpBuilder({ capacity: 4, flags: 0x2n });
  const csd = b.string('Linux 6.1.0 #1 SMP x86_64');
  b.stream(7, systemInfo({ arch: 9, platform: 0x8201, ncpu: 2, csdRva: csd }));
  const rangeStart = (i: number) => SPARSE_RANGE_BASE + BigInt(i) * BigInt(rangeSize) * 2n; // gaps between ranges
  const list = le().u32(threads);
  const patches: number[] = [];
  for (let i = 0; i < threads; i++) {
    const rsp = threads === 1 ? SPARSE_RANGE_BASE + 0x8000n : rangeStart(i) + BigInt(rangeSize) - 0x4000n;
    const ctx = b.loc(amd64Context({ rip: threads === 1 ? 0x401000n : 0x400080n, rsp, rbp: threads === 1 ? 0n : rsp + 0x40n }), 16);
    patches.push(4 + i * 48 + 36); // MINIDUMP_THREAD.Stack.Memory.Rva, patched below
    thread(list, { id: i + 1, stackStart: threads === 1 ? SPARSE_RANGE_BASE : rangeStart(i), stack: { size: threads === 1 ? 0 : rangeSize, rva: 0 }, context: ctx });
  }
  const threadLoc = b.stream(3, list.toBytes());
  const name = b.string('/usr/bin/big');
  b.stream(4, module(le().u32(1), { base: 0x400000n, size: 0x1000, nameRva: name }).toBytes());
  const mem = le().u64(ranges).u64(0);
  for (let i = 0; i < ranges; i++) mem.u64(rangeStart(i)).u64(rangeSize);
  const loc = b.stream(9, mem.toBytes());
  const baseRva = (b.nextRva + 4095) & ~4095;
  const head = b.build();
  const v = new DataView(head.buffer);
  v.setBigUint64(loc.rva + 8, BigInt(baseRva), true);
  if (threads > 1) for (let i = 0; i < threads; i++) v.setUint32(threadLoc.rva + patches[i]!, baseRva + i * rangeSize, true);
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, head);
    ftruncateSync(fd, baseRva + ranges * rangeSize);
  } finally {
    closeSync(fd);
  }
  return { size: baseRva + ranges * rangeSize, baseRva };
}

export async function run(): Promise<void> {
  if (!existsSync(corpus)) {
    process.stdout.write(`minidump bench: corpus not found at ${corpus}; skipped\n`);
    return;
  }
  // The published CLI runs compiled JavaScript: build dist/ so the process figures are what a user gets.
  const build = buildDist();
  const compiled = build.ok;
  if (!compiled) process.stdout.write(`(build failed, timing the tsx-run sources instead: ${build.output.slice(0, 200)})\n`);
  const t0n = performance.now();
  spawnSync(process.execPath, ['-e', '0']);
  process.stdout.write(`node start-up alone: ${fmtMs(performance.now() - t0n)}\n`);
  const files = corpusMinidumps();
  process.stdout.write(`lldb: ${lldb ?? 'not installed (apt-get install -y lldb)'}\n`);

  // 1. In-process: open + summarize the whole corpus.
  const rounds = 5;
  let best = Infinity;
  let ok = 0;
  for (let r = 0; r < rounds; r++) {
    const t0 = performance.now();
    ok = 0;
    for (const f of files) if (await summarizeFile(f)) ok++;
    best = Math.min(best, performance.now() - t0);
  }
  process.stdout.write(
    `corpus, in-process open+summarize: ${files.length} files (${ok} ok, ${files.length - ok} malformed refused) in ${fmtMs(best)} (best of ${rounds}), ${fmtMs(best / files.length)}/file\n`,
  );

  // 2. Fresh processes on a few corpus files, dumpkit vs LLDB.
  const sample = ['breakpad/minidump2.dmp', 'symbolic/crash_linux.dmp', 'node-minidump/linux.dmp', 'node-minidump/windows.dmp', 'lldb/sigsegv.dmp'].map((f) => join(corpus, f));
  let dk = 0;
  let ll = 0;
  for (const f of sample) {
    dk += dumpkitProcess(f, compiled).ms;
    if (lldb) ll += lldbProcess(f).ms;
  }
  process.stdout.write(
    `corpus sample, fresh process (${sample.length} files): dumpkit info ${fmtMs(dk)} | lldb image list ${lldb ? fmtMs(ll) : 'n/a'} | dumpkit/lldb ${lldb ? ratio(dk, ll) : 'n/a'}\n`,
  );

  // 3. 2 GiB sparse full-memory dump.
  const path = join(tmpdir(), `dumpkit-bench-${process.pid}.dmp`);
  try {
    const ranges = 32768;
    const size = makeSparseFullDump(path, ranges, 64 * 1024);
    const t0 = performance.now();
    const s = await (async () => {
      const src = FileSource.open(path);
      try {
        return await summarizeMinidump(src);
      } finally {
        await src.close();
      }
    })();
    const inProc = performance.now() - t0;
    process.stdout.write(
      `2 GiB Memory64List dump (${(size / 2 ** 30).toFixed(2)} GiB, ${s.memory.ranges} ranges, ${(s.memory.bytes / 2 ** 30).toFixed(2)} GiB of memory): in-process summarize ${fmtMs(inProc)}\n`,
    );
    const d = dumpkitProcess(path, compiled);
    const dt = dumpkitProcess(path, false);
    const l = lldb ? lldbProcess(path) : undefined;
    process.stdout.write(
      `  fresh process: dumpkit info ${fmtMs(d.ms)}, peak RSS ${d.peakMiB.toFixed(0)} MiB (exit ${d.code}) | ` +
        (l ? `lldb image list ${fmtMs(l.ms)}, peak RSS ${hasTime ? l.peakMiB.toFixed(0) + ' MiB' : 'n/a'}${l.ok ? '' : ' (lldb failed)'}` : 'lldb n/a') +
        (l ? ` | time dumpkit/lldb ${ratio(d.ms, l.ms)}, memory ${hasTime ? ratio(d.peakMiB, l.peakMiB) : 'n/a'}` : '') +
        '\n',
    );
    process.stdout.write(`  (the same through tsx from the TypeScript sources: ${fmtMs(dt.ms)}, peak RSS ${dt.peakMiB.toFixed(0)} MiB)\n`);
    if (compiled) process.stdout.write(formatStartup('  start-up, 2 GiB minidump', infoStartup(path)));
  } finally {
    rmSync(path, { force: true });
  }
}
