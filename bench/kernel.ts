/**
 * Kernel dump benchmark: writes a 4 GiB synthetic bitmap dump (DumpType 5) streamed to
 * os.tmpdir(), then measures opening + indexing it (time and memory, in a fresh process),
 * physical page reads (sequential and random), and virtual translations per second. If
 * KDMP_CHECK points at a kdmp-parser checker binary (default /work/tools/kdmp-check/kdmp-check,
 * built by the interop helper), its parse time and peak memory are shown side by side.
 *
 * The synthetic machine: RAM at PFN 0–0xBFFFF (3 GiB) and 0x100000–0x13FFFF (1 GiB); a 4-level
 * direct map at VA 0xFFFF800000000000 + PA with 4 KiB pages (PML4 at PA 0x1AD000). Every data
 * page holds its PFN in its first 8 bytes.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, statSync, unlinkSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Diagnostics } from '../src/core/diagnostics.js';
import { makeAmd64Context } from '../src/core/kernel/context.js';
import { KernelDump } from '../src/core/kernel/kernel-dump.js';
import { writeKernelDump, type KernelDumpSpec, type PhysicalPages } from '../src/core/kernel/writer.js';
import { FileSink } from '../src/node/file-sink.js';
import { FileSource } from '../src/node/file-source.js';
import { buildDist, formatStartup, infoStartup } from './_startup.js';

const RAM = [
  { first: 0, count: 0xc0000 },
  { first: 0x100000, count: 0x40000 },
];
const PML4 = 0x1ad;
const PDPT = 0x1ae;
const PD0 = 0x1af; // 5 PDs: 0x1af..0x1b3 cover PA 0..5 GiB
const PT0 = 0x200; // 2560 PTs: PT0 + (gib*512 + pde)
const N_PD = 5;
const DIRECT = 0xffff800000000000n;

function fillPage(pfn: number, into: Uint8Array): void {
  const v = new DataView(into.buffer, into.byteOffset, 4096);
  if (pfn === PML4) {
    into.fill(0);
    v.setBigUint64(256 * 8, (BigInt(PDPT) << 12n) | 3n, true);
    v.setBigUint64(0x1ed * 8, (BigInt(PML4) << 12n) | 3n, true);
  } else if (pfn === PDPT) {
    into.fill(0);
    for (let i = 0; i < N_PD; i++) v.setBigUint64(i * 8, (BigInt(PD0 + i) << 12n) | 3n, true);
  } else if (pfn >= PD0 && pfn < PD0 + N_PD) {
    const g = pfn - PD0;
    for (let j = 0; j < 512; j++) v.setBigUint64(j * 8, (BigInt(PT0 + g * 512 + j) << 12n) | 3n, true);
  } else if (pfn >= PT0 && pfn < PT0 + N_PD * 512) {
    const base = (pfn - PT0) * 512;
    for (let k = 0; k < 512; k++) v.setBigUint64(k * 8, (BigInt(base + k) << 12n) | 3n, true);
  } else {
    into.fill(0);
    v.setUint32(0, pfn, true);
  }
}

/** Data pages: zero the whole batch once, stamp each page's PFN; tables via fillPage. */
function fillPages(first: number, count: number, into: Uint8Array): void {
  into.fill(0, 0, count * 4096);
  const v = new DataView(into.buffer, into.byteOffset, count * 4096);
  for (let i = 0; i < count; i++) {
    const pfn = first + i;
    if (pfn >= PML4 && pfn < PT0 + N_PD * 512) fillPage(pfn, into.subarray(i * 4096, (i + 1) * 4096));
    else v.setUint32(i * 4096, pfn, true);
  }
}

const pages: PhysicalPages = {
  pageCount: RAM.reduce((s, r) => s + r.count, 0),
  *pfns() {
    for (const r of RAM) for (let i = 0; i < r.count; i++) yield r.first + i;
  },
  readPage: fillPage,
  readPages: fillPages,
};

async function writeDump(path: string): Promise<{ writeMs: number; commitMs: number }> {
  const sink = FileSink.create(path, { overwrite: true });
  const t0 = performance.now();
  try {
    await writeKernelDump(sink, benchSpec());
    const written = performance.now();
    sink.commit();
    return { writeMs: written - t0, commitMs: performance.now() - written };
  } catch (e) {
    sink.abort();
    throw e;
  }
}

function benchSpec(): KernelDumpSpec {
  return {
    machine: 'amd64',
    dumpType: 5,
    buildNumber: 19041,
    directoryTableBase: BigInt(PML4) << 12n,
    pfnDataBase: 0n,
    psLoadedModuleList: 0n,
    psActiveProcessHead: 0n,
    kdDebuggerDataBlock: 0n,
    numberProcessors: 1,
    bugCheck: { code: 0xe2, parameters: [0n, 0n, 0n, 0n] },
    context: makeAmd64Context({ rip: DIRECT, rsp: DIRECT + 0x1000n }),
    systemTime: 0n,
    systemUpTime: 0n,
    pages,
  };
}

/** The writer's own cost: pages not generated (readPages leaves the buffer), bytes counted not stored. */
async function writerOverhead(): Promise<number> {
  let bytes = 0;
  const sink = {
    position: 0,
    write(b: Uint8Array): Promise<number> {
      const at = this.position;
      this.position += b.length;
      bytes += b.length;
      return Promise.resolve(at);
    },
    patch: (): Promise<void> => Promise.resolve(),
  };
  const t0 = performance.now();
  await writeKernelDump(sink, { ...benchSpec(), pages: { ...pages, readPages: () => undefined } });
  return bytes / 1e9 / ((performance.now() - t0) / 1000);
}

/** Child mode: open + index in a fresh process, report time and memory. */
async function childOpen(path: string): Promise<void> {
  const before = process.memoryUsage();
  const t0 = performance.now();
  const src = FileSource.open(path);
  const d = await KernelDump.open(src, new Diagnostics());
  const ms = performance.now() - t0;
  const after = process.memoryUsage();
  process.stdout.write(
    JSON.stringify({
      ms,
      pages: d.physical!.presentPages,
      maxRssKiB: process.resourceUsage().maxRSS,
      heapDelta: after.heapUsed - before.heapUsed,
      arrayBuffersDelta: after.arrayBuffers - before.arrayBuffers,
    }) + '\n',
  );
  await src.close();
}

function childBaseline(): void {
  process.stdout.write(JSON.stringify({ maxRssKiB: process.resourceUsage().maxRSS }) + '\n');
}

function runChild(mode: string, path: string): Record<string, number> {
  const self = fileURLToPath(import.meta.url);
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', self], { env: { ...process.env, KERNEL_BENCH_CHILD: mode, KERNEL_BENCH_FILE: path }, encoding: 'utf8' });
  const wallMs = performance.now() - t0;
  if (r.status !== 0) throw new Error(`bench child failed: ${r.stderr}`);
  return { ...(JSON.parse(r.stdout.trim().split('\n').pop()!) as Record<string, number>), wallMs };
}

/** Runs the kdmp-parser checker on the file (parse only), returns wall ms and max RSS KiB. */
function runKdmp(bin: string, path: string): { ms: number; maxRssKiB: number } | string {
  const t0 = performance.now();
  const r = spawnSync('/usr/bin/time', ['-f', '%M', bin, path], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const ms = performance.now() - t0;
  if (r.status !== 0) return `kdmp-check failed (${r.status}): ${r.stderr.slice(0, 200)}`;
  const last = r.stderr.trim().split('\n').pop()!;
  return { ms, maxRssKiB: Number(last) };
}

function xorshift(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x >>>= 0;
    x ^= x >>> 17;
    x ^= x << 5;
    x >>>= 0;
    return x;
  };
}

const fmt = (n: number, d = 1): string => n.toFixed(d);

export async function run(): Promise<void> {
  const path = join(tmpdir(), `dumpkit-bench-kernel-${process.pid}.dmp`);
  try {
    const { writeMs, commitMs } = await writeDump(path);
    const size = statSync(path).size;
    process.stdout.write(
      `wrote ${fmt(size / 2 ** 30, 2)} GiB DumpType 5 (${pages.pageCount} pages) through FileSink in ${fmt(writeMs, 0)} ms = ${fmt(size / 1e9 / (writeMs / 1000), 2)} GB/s ` +
        `(page generation included), then commit (fsync + rename) ${fmt(commitMs, 0)} ms\n`,
    );

    process.stdout.write(`writer alone (no page generation, no storage): ${fmt(await writerOverhead(), 2)} GB/s\n`);

    // open + index, fresh process (median of 3)
    const opens = [0, 1, 2].map(() => runChild('open', path));
    opens.sort((a, b) => a.ms! - b.ms!);
    const open = opens[1]!;
    const base = runChild('baseline', path);
    process.stdout.write(
      `open+index: ${fmt(open.ms!)} ms (median of 3, fresh process); peak RSS ${fmt(open.maxRssKiB! / 1024)} MiB vs ${fmt(base.maxRssKiB! / 1024)} MiB for a process that only loads dumpkit ` +
        `(difference ${fmt((open.maxRssKiB! - base.maxRssKiB!) / 1024)} MiB); index buffers +${fmt(open.arrayBuffersDelta! / 2 ** 20, 2)} MiB\n`,
    );

    const src = FileSource.open(path);
    const d = await KernelDump.open(src);
    const phys = d.requirePhysical();
    // sequential physical reads
    const page0 = new Uint8Array(4096);
    let t0 = performance.now();
    let n = 0;
    for (const r of phys.runs()) {
      for (let i = 0; i < r.count && n < 262144; i++, n++) phys.readPageInto(r.firstPfn + i, page0);
      if (n >= 262144) break;
    }
    const seqMs = performance.now() - t0;
    const seqGBs = (n * 4096) / 1e9 / (seqMs / 1000);
    // random physical reads
    const rnd = xorshift(1);
    const total = pages.pageCount;
    const toPfn = (k: number): number => (k < 0xc0000 ? k : 0x100000 + (k - 0xc0000));
    const N = 200000;
    const page = new Uint8Array(4096);
    t0 = performance.now();
    let check = 0n;
    for (let i = 0; i < N; i++) {
      const pfn = toPfn(rnd() % total);
      phys.readPageInto(pfn, page);
      const p = page;
      if (i % 1000 === 0 && (pfn < PML4 || pfn >= PT0 + N_PD * 512)) check += new DataView(p.buffer, p.byteOffset).getBigUint64(0, true) === BigInt(pfn) ? 0n : 1n;
    }
    const rndMs = performance.now() - t0;
    if (check !== 0n) throw new Error('random read returned a wrong page');
    const rndGBs = (N * 4096) / 1e9 / (rndMs / 1000);
    t0 = performance.now();
    for (let i = 0; i < N; i++) phys.readPageSync(toPfn(rnd() % total));
    const allocGBs = (N * 4096) / 1e9 / ((performance.now() - t0) / 1000);
    process.stdout.write(`physical reads: sequential ${fmt(seqGBs, 2)} GB/s (${n} pages), random ${fmt(rndGBs, 2)} GB/s (${N} pages, ${fmt((N / rndMs) * 1000 / 1e3, 0)}k pages/s) — page cache, readPageInto (one reused buffer); random with a new buffer per page (readPageSync) ${fmt(allocGBs, 2)} GB/s\n`);

    // virtual translations, random over the 4 GiB direct map
    const vm = d.virtual();
    const T = 300000;
    t0 = performance.now();
    for (let i = 0; i < T; i++) {
      const pfn = toPfn(rnd() % total);
      const t = vm.translateSync(DIRECT + (BigInt(pfn) << 12n) + 0x10n);
      if (i % 1000 === 0 && t.pa !== (BigInt(pfn) << 12n) + 0x10n) throw new Error('wrong translation');
    }
    const trMs = performance.now() - t0;
    // translations with locality (sequential pages)
    t0 = performance.now();
    for (let i = 0; i < T; i++) vm.translateSync(DIRECT + (BigInt(i) << 12n));
    const trSeqMs = performance.now() - t0;
    process.stdout.write(`virtual translations (4-level, 4 KiB pages): random ${fmt((T / trMs) * 1000 / 1e6, 2)} M/s, sequential ${fmt((T / trSeqMs) * 1000 / 1e6, 2)} M/s\n`);
    await src.close();

    // `dumpkit info` as a user runs it (bin/dumpkit.cjs, built dist/), beside a bare Node start-up
    const build = buildDist();
    const startup = build.ok ? infoStartup(path) : undefined;
    process.stdout.write(startup ? formatStartup('start-up, 4 GiB kernel dump', startup) : `dumpkit info not timed: build failed: ${build.output.slice(0, 200)}\n`);

    const bin = process.env.KDMP_CHECK ?? '/work/tools/kdmp-check/kdmp-check';
    if (existsSync(bin)) {
      const k = [0, 1, 2].map(() => runKdmp(bin, path));
      const ok = k.filter((x): x is { ms: number; maxRssKiB: number } => typeof x !== 'string').sort((a, b) => a.ms - b.ms);
      if (ok.length === 0) process.stdout.write(`kdmp-parser: ${String(k[0])}\n`);
      else {
        const km = ok[Math.floor(ok.length / 2)]!;
        process.stdout.write(
          `vs kdmp-parser (${bin}, whole process: parse, no reads): ${fmt(km.ms)} ms, peak RSS ${fmt(km.maxRssKiB / 1024)} MiB\n` +
            `  ratio open+index time dumpkit/kdmp-parser = ${fmt(open.ms! / km.ms, 2)} (dumpkit in-process time vs kdmp-parser whole-process time)\n` +
            `  ratio whole process dumpkit/kdmp-parser = ${fmt(open.wallMs! / km.ms, 2)} (dumpkit ${fmt(open.wallMs!, 0)} ms incl. Node + tsx start-up; a process that only loads dumpkit: ${fmt(base.wallMs!, 0)} ms)\n` +
            (startup ? `  ratio \`dumpkit info\` (whole process, bin/dumpkit.cjs)/kdmp-parser = ${fmt(startup.infoMs / km.ms, 2)} (bare \`node -e 0\`/kdmp-parser = ${fmt(startup.nodeMs / km.ms, 2)})\n` : '') +
            `  ratio peak RSS dumpkit/kdmp-parser = ${fmt(open.maxRssKiB! / km.maxRssKiB, 2)} (dumpkit includes the Node runtime, ${fmt(base.maxRssKiB! / 1024)} MiB)\n`,
        );
      }
    } else {
      process.stdout.write(`kdmp-parser not found (set KDMP_CHECK to the interop helper's kdmp-check binary); no comparison\n`);
    }
  } finally {
    if (existsSync(path)) unlinkSync(path);
  }
}

if (process.env.KERNEL_BENCH_CHILD === 'open') await childOpen(process.env.KERNEL_BENCH_FILE!);
else if (process.env.KERNEL_BENCH_CHILD === 'baseline') childBaseline();
