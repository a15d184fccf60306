// `npm run bench -- ui`: the viewer (the built app in Debian's Chromium, driven by Playwright) on a
// 2 GiB full-memory minidump of 32,768 ranges: time to its summary and to its memory map (goals:
// < 1 s and < 2 s on this 2-core machine), a zoom, the tab's peak memory (goal < 300 MB); beside
// LLDB opening the same file (`lldb -c FILE --batch -o 'image list'`), the tool a user would
// otherwise reach for on Linux. Medians of 3 runs, each in a fresh browser context.
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { launchBrowser, noBrowserReason } from '../test/helpers/playwright.js';
import { formatFigures, measureBigDump, type ViewerFigures } from '../test/ui/viewer/measure.js';
import { serveApp } from '../test/ui/viewer/serve-app.js';
import { fmtMs, lldb, lldbProcess, makeSparseFullDump, ratio } from './minidump.js';

const RUNS = 3;

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

export async function run(): Promise<void> {
  const why = noBrowserReason();
  if (why) {
    process.stdout.write(`ui bench: ${why}; skipped\n`);
    return;
  }
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-bench-ui-'));
  const file = join(dir, 'big.dmp');
  const server = await serveApp();
  const b = await launchBrowser();
  try {
    const size = makeSparseFullDump(file, 32768, 64 * 1024);
    const runs: ViewerFigures[] = [];
    for (let i = 0; i < RUNS; i++) {
      const ctx = await b.newContext();
      runs.push(await measureBigDump(await ctx.newPage(), server.url, file));
      await ctx.close();
    }
    for (const [i, f] of runs.entries()) process.stdout.write(`  run ${i + 1}: ${formatFigures(f)}\n`);
    const m = (k: keyof ViewerFigures) => median(runs.map((r) => (r[k] as number) ?? NaN));
    const peak = Math.max(...runs.map((r) => r.rendererPeakMiB ?? NaN));
    process.stdout.write(
      `2 GiB minidump (${(size / 2 ** 30).toFixed(2)} GiB, 32768 ranges) in the viewer, medians of ${RUNS}:\n` +
        `  summary on screen ${fmtMs(m('summaryMs'))} (goal 1 s; the worker's open ${fmtMs(m('workerOpenMs'))})\n` +
        `  memory map on screen ${fmtMs(m('mapMs'))} (goal 2 s) for ${runs[0]!.ranges} ranges, one full draw ${fmtMs(m('drawMs'))}, 4 zoom steps ${fmtMs(m('zoomMs'))}\n` +
        `  tab peak RSS ${Number.isFinite(peak) ? `${peak.toFixed(0)} MiB` : 'n/a'} (goal 300 MB), page JS heap ${m('pageHeapMiB').toFixed(1)} MiB\n`,
    );
    if (lldb) {
      const l = [0, 1, 2].map(() => lldbProcess(file));
      const lm = median(l.map((x) => x.ms));
      process.stdout.write(
        `  lldb -c FILE --batch -o 'image list': ${fmtMs(lm)}, ${median(l.map((x) => x.peakMiB)).toFixed(0)} MiB | viewer summary/lldb ${ratio(m('summaryMs'), lm)}\n`,
      );
    } else process.stdout.write('  lldb: not installed (apt-get install -y lldb)\n');
  } finally {
    await b.close();
    await server.close();
    rmSync(dir, { recursive: true, force: true });
  }
}
