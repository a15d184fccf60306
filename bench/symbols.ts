/**
 * Breakpad .sym benchmark (`npm run bench -- symbols`):
 *  1. writes a deterministic ~100 MB .sym (FILE, INLINE_ORIGIN, FUNC + line + INLINE, PUBLIC,
 *     STACK CFI INIT + deltas, STACK WIN) into os.tmpdir(), filed as test_app.pdb's symbols so that
 *     Breakpad's minidump_stackwalk reads it for corpus minidump2.dmp;
 *  2. dumpkit, in a fresh process: index it (time, peak RSS, heap and index bytes), symbolize the
 *     dump's four frame addresses, then 100,000 random symbol lookups and 100,000 random CFI lookups;
 *  3. Breakpad's minidump_stackwalk (DUMPKIT_MINIDUMP_STACKWALK, default the build described in
 *     docs/interop.md) on minidump2.dmp with that directory: its whole run loads the entire file,
 *     so "index + 4 frames" is compared with it, as ratios; and without symbols, as its baseline.
 */
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../src/core/diagnostics.js';
import { Rng } from '../src/core/machine/rng.js';
import { indexBreakpadSym } from '../src/core/symbols/breakpad/sym-file.js';
import { FileSource } from '../src/node/file-source.js';

const ID = '5A9832E5287241C1838ED98914E9B7FF1'; // test_app.pdb in minidump2.dmp
const FUNCTIONS = 265_000;
const FUNC_SIZE = 0x40;
const FIRST = 0x1000;
const SEED = 20261204;
/** minidump2.dmp's frames, module-relative, at the addresses Breakpad symbolizes (callers: return address - 1). */
const FRAMES = [0x429e, 0x41ff, 0x53eb];
const dump = fileURLToPath(new URL('../../shared/corpus/minidump/breakpad/minidump2.dmp', import.meta.url));
const stackwalk = process.env.DUMPKIT_MINIDUMP_STACKWALK ?? '/work/ext/breakpad/bin/minidump_stackwalk';

/** Writes the .sym; every byte follows from SEED. */
function writeSym(path: string): void {
  const rng = new Rng(SEED);
  const fd = openSync(path, 'wx', 0o600);
  let buf: string[] = [];
  let pending = 0;
  const out = (s: string) => {
    buf.push(s);
    pending += s.length;
    if (pending > 4 << 20) flush();
  };
  const flush = () => {
    writeSync(fd, buf.join(''));
    buf = [];
    pending = 0;
  };
  const hex = (n: number) => n.toString(16);
  try {
    out(`MODULE windows x86 ${ID} test_app.pdb\nINFO CODE_ID 45D35F6C2D000 test_app.exe\n`);
    for (let f = 0; f < 2000; f++) out(`FILE ${f} c:\\src\\component${f % 97}\\file_${f}.cc\n`);
    for (let o = 0; o < 1000; o++) out(`INLINE_ORIGIN ${o} ns${o % 31}::inline_helper_${o}<int>(int)\n`);
    for (let i = 0; i < FUNCTIONS; i++) {
      const a = FIRST + i * FUNC_SIZE;
      const file = rng.int(0, 1999);
      out(`FUNC ${i % 50 === 0 ? 'm ' : ''}${hex(a)} ${hex(FUNC_SIZE)} ${hex(rng.int(0, 3) * 4)} ns${i % 113}::Class${i % 1009}::method${i}(int, char const*)\n`);
      let line = rng.int(1, 5000);
      for (let k = 0; k < 8; k++) out(`${hex(a + k * 8)} 8 ${(line += rng.int(0, 3))} ${file}\n`);
      if (i % 16 === 0) out(`INLINE 0 ${line} ${file} ${rng.int(0, 999)} ${hex(a + 8)} 10\n`);
    }
    for (let i = 0; i < FUNCTIONS; i += 4) out(`PUBLIC ${hex(FIRST + i * FUNC_SIZE)} 0 _method${i}@8\n`);
    for (let i = 0; i < FUNCTIONS; i++) {
      const a = FIRST + i * FUNC_SIZE;
      out(`STACK CFI INIT ${hex(a)} ${hex(FUNC_SIZE)} .cfa: $esp 4 + .ra: .cfa 4 - ^\n`);
      out(`STACK CFI ${hex(a + 1)} .cfa: $esp 8 + $ebp: .cfa 8 - ^\n`);
      out(`STACK CFI ${hex(a + 3)} .cfa: $ebp 8 +\n`);
    }
    for (let i = 0; i < FUNCTIONS; i += 4) {
      out(`STACK WIN 4 ${hex(FIRST + i * FUNC_SIZE)} ${hex(FUNC_SIZE)} 3 0 8 0 10 0 1 $T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + =\n`);
    }
    flush();
  } finally {
    closeSync(fd);
  }
}

/** Child mode: index + lookups in a fresh process. */
async function child(path: string): Promise<void> {
  const before = process.memoryUsage();
  const cpu0 = process.cpuUsage();
  const t0 = performance.now();
  const src = FileSource.open(path);
  const diagnostics = new Diagnostics();
  const sym = await indexBreakpadSym(src, diagnostics);
  const frames = [];
  for (const a of FRAMES) frames.push((await sym.lookup(a))?.name);
  const indexMs = performance.now() - t0;
  const cpu = process.cpuUsage(cpu0);
  const indexCpuMs = (cpu.user + cpu.system) / 1000;
  const afterIndex = process.memoryUsage();
  const indexRssKiB = process.resourceUsage().maxRSS;
  if (process.env.SYMBOLS_BENCH_CHILD === 'frames') {
    process.stdout.write(JSON.stringify({ indexMs, indexCpuMs, frames, maxRssKiB: indexRssKiB }) + '\n');
    return;
  }
  const rng = new Rng(7);
  const span = FUNCTIONS * FUNC_SIZE + 0x2000;
  const cpuMs = (c: NodeJS.CpuUsage) => (c.user + c.system) / 1000;
  let found = 0;
  const t1 = performance.now();
  const c1 = process.cpuUsage();
  for (let k = 0; k < 100_000; k++) if (await sym.lookup(rng.int(0, span))) found++;
  const lookupMs = performance.now() - t1;
  const lookupCpuMs = cpuMs(process.cpuUsage(c1));
  let cfiFound = 0;
  const t2 = performance.now();
  const c2 = process.cpuUsage();
  for (let k = 0; k < 100_000; k++) if (await sym.cfiRules(rng.int(0, span))) cfiFound++;
  const cfiMs = performance.now() - t2;
  const cfiCpuMs = cpuMs(process.cpuUsage(c2));
  process.stdout.write(
    JSON.stringify({
      indexMs,
      lookupMs,
      lookupCpuMs,
      cfiMs,
      cfiCpuMs,
      found,
      cfiFound,
      frames,
      stats: sym.stats(),
      diagnostics: diagnostics.list().length,
      heapAfterIndex: afterIndex.heapUsed - before.heapUsed,
      buffersAfterIndex: afterIndex.arrayBuffers - before.arrayBuffers,
      indexRssKiB,
      maxRssKiB: process.resourceUsage().maxRSS,
    }) + '\n',
  );
  await src.close();
}

function baselineChild(): void {
  process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
}

function runChild(mode: string, path: string): Record<string, unknown> & { wallMs: number } {
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', self], {
    env: { ...process.env, SYMBOLS_BENCH_CHILD: mode, SYMBOLS_BENCH_FILE: path },
    encoding: 'utf8',
    maxBuffer: 16 << 20,
  });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, unknown>), wallMs };
}

/** minidump_stackwalk on minidump2.dmp with `symDir` (or none): wall ms, CPU ms, max RSS KiB, frame 0's line. */
function runStackwalk(symDir: string | undefined): { ms: number; cpuMs: number; maxRssKiB: number; frame0: string } | string {
  const args = ['-f', '%U %S %M', stackwalk, dump, ...(symDir ? [symDir] : [])];
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', args, { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) return `minidump_stackwalk failed (${r.status}): ${r.stderr.slice(-300)}`;
  const frame0 = r.stdout.split('\n').find((l) => /^ 0 {2}/.test(l)) ?? '?';
  const [user, sys, rss] = r.stderr.trim().split('\n').pop()!.split(' ').map(Number) as [number, number, number];
  return { ms, cpuMs: (user + sys) * 1000, maxRssKiB: rss, frame0: frame0.trim() };
}

const fmt = (n: number, d = 1): string => n.toFixed(d);
const median = <T>(xs: T[], key: (x: T) => number): T => [...xs].sort((a, b) => key(a) - key(b))[Math.floor(xs.length / 2)]!;

export async function run(): Promise<void> {
  const dir = join(tmpdir(), `dumpkit-bench-symbols-${process.pid}`);
  const symDir = join(dir, 'test_app.pdb', ID);
  const path = join(symDir, 'test_app.sym');
  try {
    mkdirSync(symDir, { recursive: true });
    const tw = performance.now();
    writeSym(path);
    const size = statSync(path).size;
    process.stdout.write(`wrote ${fmt(size / 1e6)} MB .sym (${FUNCTIONS} FUNC, ${FUNCTIONS * 8} line, ${FUNCTIONS} STACK CFI INIT + ${FUNCTIONS * 2} deltas) in ${fmt(performance.now() - tw, 0)} ms\n`);

    // Index + the dump's three test_app frames, fresh process (median of 3): what minidump_stackwalk does with the file.
    const fr = median([0, 1, 2].map(() => runChild('frames', path)), (r) => r.indexMs as number) as Record<string, unknown> & { wallMs: number };
    const base = runChild('baseline', path);
    const d = runChild('index', path);
    const stats = d.stats as Record<string, number>;
    const mib = (b: number) => fmt(b / 2 ** 20);
    process.stdout.write(
      `dumpkit index + 3 frame lookups: ${fmt(fr.indexMs as number, 0)} ms in process (CPU ${fmt(fr.indexCpuMs as number, 0)} ms), ${fmt(fr.wallMs, 0)} ms fresh process wall (median of 3); ` +
        `peak RSS ${mib((fr.maxRssKiB as number) * 1024)} MiB vs ${mib((base.maxRssKiB as number) * 1024)} MiB for a process that only loads dumpkit\n` +
        `  index arrays ${mib(stats.indexBytes!)} MiB (${fmt((stats.indexBytes! / size) * 100, 2)} % of the file), heap after index +${mib(d.heapAfterIndex as number)} MiB\n` +
        `  frames: ${(fr.frames as string[]).join(' | ')}\n` +
        `100,000 random symbol lookups: ${fmt(d.lookupMs as number, 0)} ms (${fmt((d.lookupMs as number) / 100, 1)} µs each; CPU ${fmt((d.lookupCpuMs as number) / 100, 1)} µs each; ${d.found as number} found)\n` +
        `100,000 random CFI lookups: ${fmt(d.cfiMs as number, 0)} ms (${fmt((d.cfiMs as number) / 100, 1)} µs each; CPU ${fmt((d.cfiCpuMs as number) / 100, 1)} µs each; ${d.cfiFound as number} found); ` +
        `peak RSS after both ${mib((d.maxRssKiB as number) * 1024)} MiB\n`,
    );

    if (!existsSync(stackwalk) || !existsSync('/usr/bin/time') || !existsSync(dump)) {
      process.stdout.write(`Breakpad minidump_stackwalk not found at ${stackwalk} (set DUMPKIT_MINIDUMP_STACKWALK; docs/interop.md builds it) or no /usr/bin/time or corpus: dumpkit figures alone\n`);
      return;
    }
    const bp = [0, 1, 2].map(() => runStackwalk(dir));
    const bad = bp.find((x) => typeof x === 'string');
    if (bad) {
      process.stdout.write(`${bad as string}\n`);
      return;
    }
    const ok = bp as { ms: number; cpuMs: number; maxRssKiB: number; frame0: string }[];
    const b = median(ok, (x) => x.ms);
    const none = runStackwalk(undefined);
    const noneTxt = typeof none === 'string' ? none : `${fmt(none.ms, 0)} ms, peak RSS ${mib(none.maxRssKiB * 1024)} MiB`;
    process.stdout.write(
      `Breakpad minidump_stackwalk minidump2.dmp with this file (whole process, loads every record): ${fmt(b.ms, 0)} ms (CPU ${fmt(b.cpuMs, 0)} ms; median of 3), peak RSS ${mib(b.maxRssKiB * 1024)} MiB\n` +
        `  (without symbols: ${noneTxt}); its frame 0: ${b.frame0}\n` +
        `  ratio time dumpkit / stackwalk, both whole fresh processes = ${fmt(fr.wallMs / b.ms, 2)} (dumpkit in process: ${fmt((fr.indexMs as number) / b.ms, 2)}; ` +
        `CPU, dumpkit in process / stackwalk whole process: ${fmt((fr.indexCpuMs as number) / b.cpuMs, 2)})\n` +
        `  ratio peak RSS dumpkit / stackwalk = ${fmt((fr.maxRssKiB as number) / b.maxRssKiB, 2)} (dumpkit includes the Node runtime, ${mib((base.maxRssKiB as number) * 1024)} MiB)\n`,
    );
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

if (process.env.SYMBOLS_BENCH_CHILD === 'index' || process.env.SYMBOLS_BENCH_CHILD === 'frames') await child(process.env.SYMBOLS_BENCH_FILE!);
else if (process.env.SYMBOLS_BENCH_CHILD === 'write') writeSym(process.env.SYMBOLS_BENCH_FILE!);
else if (process.env.SYMBOLS_BENCH_CHILD === 'baseline') baselineChild();
