// Benchmark: ELF core → minidump (full) of a 2 GiB core, beside `cp` of the same file in the same
// run (goal: ≥ 1 GB/s, or within 1.2× of cp). The core is synthetic (test/fixtures/elf-core-builder.ts:
// 4 threads, 512 segments of 4 MiB of non-zero bytes), kept in .bench-tmp/ between runs. Both
// contenders read a warm page cache and write new files on the same file system; medians of 3,
// alternating, each output deleted after its run. Peak memory is the converting child's max RSS.
import { spawnSync } from 'node:child_process';
import { closeSync, existsSync, mkdirSync, openSync, rmSync, statSync, writeSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headOf, type FixtureCore } from '../test/fixtures/elf-core-builder.js';

const child = fileURLToPath(new URL('./_elfcore-convert.ts', import.meta.url));
const dir = fileURLToPath(new URL('../.bench-tmp/', import.meta.url));
const GB = 1e9;
const SEGMENT = 4 * 1024 * 1024;
const SEGMENTS = 512;

function spec(): FixtureCore {
  const base = 0x7f0000000000n;
  return {
    arch: 'x86_64',
    threads: [0, 1, 2, 3].map((i) => ({ tid: 5000 + i, regs: { rip: 0x401000n + BigInt(i), rsp: base + BigInt((i + 1) * SEGMENT - 4096), fs_base: 0x7f0000001000n } })),
    psinfo: { pid: 5000, ppid: 1, uid: 0, gid: 0, name: 'bench', args: 'bench 2GiB' },
    segments: Array.from({ length: SEGMENTS }, (_, i) => ({ vaddr: base + BigInt(i * (SEGMENT + 4096)), flags: 6, memsz: BigInt(SEGMENT), fileSize: SEGMENT })),
  };
}

function makeCore(path: string): number {
  const { head, segmentOffsets, size } = headOf(spec());
  if (existsSync(path) && statSync(path).size === size) return size;
  const fd = openSync(path, 'w', 0o600);
  try {
    writeSync(fd, head, 0, head.length, 0);
    const block = new Uint8Array(SEGMENT);
    let x = 0x12345678;
    for (let i = 0; i < block.length; i += 4) {
      x = (x * 1103515245 + 12345) >>> 0;
      block[i] = x >>> 24;
      block[i + 1] = (x >>> 16) & 0xff;
      block[i + 2] = i & 0xff;
      block[i + 3] = 0x5a;
    }
    for (const at of segmentOffsets) {
      block[0] = at & 0xff; // each segment a little different
      for (let done = 0; done < SEGMENT; ) done += writeSync(fd, block, done, SEGMENT - done, at + done);
    }
  } finally {
    closeSync(fd);
  }
  return size;
}

function convert(input: string, output: string): { ms: number; bytes: number; maxRssKiB: number } {
  const r = spawnSync(process.execPath, ['--import', 'tsx', child, input, output, 'full'], { encoding: 'utf8', maxBuffer: 1 << 20 });
  if (r.status !== 0) throw new Error(`convert failed: ${r.stderr}`);
  return JSON.parse(r.stdout.trim().split('\n').pop()!) as { ms: number; bytes: number; maxRssKiB: number };
}

function timed(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args);
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return performance.now() - t0;
}

const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;

export async function run(): Promise<void> {
  mkdirSync(dir, { recursive: true });
  const core = join(dir, 'elfcore-2g.core');
  const out = join(dir, 'elfcore-2g.dmp');
  const copy = join(dir, 'elfcore-2g.cp');
  const size = makeCore(core);
  spawnSync('cat', [core], { stdio: ['ignore', 'ignore', 'ignore'] }); // warm the page cache once for both
  const conv: { ms: number; bytes: number; maxRssKiB: number }[] = [];
  const cps: number[] = [];
  try {
    for (let i = 0; i < 3; i++) {
      const c = (): void => {
        conv.push(convert(core, out));
        rmSync(out, { force: true });
      };
      const p = (): void => {
        cps.push(timed('cp', [core, copy]));
        rmSync(copy, { force: true });
      };
      if (i % 2) {
        p();
        c();
      } else {
        c();
        p();
      }
    }
  } finally {
    rmSync(out, { force: true });
    rmSync(copy, { force: true });
  }
  const convMs = median(conv.map((r) => r.ms));
  const cpMs = median(cps);
  const rss = Math.max(...conv.map((r) => r.maxRssKiB));
  process.stdout.write(
    `core ${(size / GB).toFixed(2)} GB (${SEGMENTS} segments, 4 threads) → full minidump ${(conv[0]!.bytes / GB).toFixed(2)} GB: ` +
      `convert ${(convMs / 1000).toFixed(2)} s = ${(size / GB / (convMs / 1000)).toFixed(2)} GB/s (runs ${conv.map((r) => (r.ms / 1000).toFixed(2)).join(' ')} s, in the child after Node's start-up), peak RSS ${(rss / 1024).toFixed(0)} MiB; ` +
      `cp ${(cpMs / 1000).toFixed(2)} s = ${(size / GB / (cpMs / 1000)).toFixed(2)} GB/s (runs ${cps.map((m) => (m / 1000).toFixed(2)).join(' ')} s); convert/cp time ratio ${(convMs / cpMs).toFixed(2)}\n`,
  );
  process.stdout.write(`load average ${(await import('node:os')).loadavg().map((x) => x.toFixed(1)).join(' ')}\n`);
}
