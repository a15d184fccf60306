// Figures of the viewer on one big dump, for the 2 GiB test (which logs them) and `npm run bench -- ui`
// (which reports them): time to the summary, to the drawn memory map, to a zoom; the tab's memory.
import { readdirSync, readFileSync } from 'node:fs';
import type { Page } from 'playwright-core';
import { openLocalDump } from './screenshots.js';

export interface ViewerFigures {
  /** setInputFiles → the summary on screen (ms). */
  summaryMs: number;
  /** The worker's own open time, as the page shows it (ms). */
  workerOpenMs: number;
  /** Memory map tab clicked → the map drawn (ms). */
  mapMs: number;
  /** The worker's part of the map: request → ranges received (ms, as the page measures it). */
  mapReadMs: number;
  /** How long one draw of the whole map takes (ms, as the page measures it). */
  drawMs: number;
  /** Four zoom steps (+ key) and their redraws (ms). */
  zoomMs: number;
  ranges: number;
  /** Peak resident memory of the tab's renderer process (page and worker), MiB; undefined when not found. */
  rendererPeakMiB?: number;
  /** The page's JS heap (CDP Performance.getMetrics JSHeapUsedSize), MiB. */
  pageHeapMiB: number;
}

/** Renderer processes (Chromium `--type=renderer`) started by this Node process, with their peak RSS (VmHWM). */
function rendererPeaksKiB(): number[] {
  const parent = (pid: string): string | undefined => /^\d+ \(.*\) \S (\d+)/.exec(readFileSync(`/proc/${pid}/stat`, 'utf8'))?.[1];
  const out: number[] = [];
  for (const pid of readdirSync('/proc').filter((p) => /^\d+$/.test(p))) {
    try {
      if (!readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('--type=renderer')) continue;
      let p: string | undefined = pid;
      let ours = false;
      for (let i = 0; i < 8 && p && p !== '1'; i++) {
        p = parent(p);
        if (p === String(process.pid)) ours = true;
      }
      if (!ours) continue;
      const hwm = /VmHWM:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
      if (hwm) out.push(Number(hwm[1]));
    } catch {
      // the process ended while we looked
    }
  }
  return out;
}

export async function measureBigDump(page: Page, appUrl: string, file: string): Promise<ViewerFigures> {
  await page.goto(`${appUrl}#/viewer`);
  await page.locator('[data-testid=drop-zone]').waitFor();
  const t0 = performance.now();
  await openLocalDump(page, file);
  const summaryMs = performance.now() - t0;
  const workerOpenMs = Number(/Opened in (\d+) ms/.exec(await page.getByTestId('opened-ms').innerText())?.[1]);

  const t1 = performance.now();
  await page.getByRole('tab', { name: 'Memory map' }).click();
  await page.getByTestId('map-stats').filter({ hasText: 'drawn in' }).waitFor({ timeout: 60_000 });
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
  const mapMs = performance.now() - t1;
  const stats = await page.getByTestId('map-stats').innerText();
  const ranges = Number(/^(\d+) ranges/.exec(stats)?.[1]);
  const drawMs = Number(/drawn in ([\d.]+) ms/.exec(stats)?.[1]);
  const mapReadMs = Number(/read in (\d+) ms/.exec(stats)?.[1]);

  const map = page.getByTestId('memory-map');
  await map.focus();
  const t2 = performance.now();
  for (let i = 0; i < 4; i++) {
    const before = await map.getAttribute('data-window');
    await page.keyboard.press('+');
    await page.waitForFunction((b) => document.querySelector('[data-testid=memory-map]')?.getAttribute('data-window') !== b, before);
  }
  await page.evaluate(() => new Promise((r) => requestAnimationFrame(() => r(undefined))));
  const zoomMs = performance.now() - t2;

  const cdp = await page.context().newCDPSession(page);
  await cdp.send('Performance.enable');
  const { metrics } = await cdp.send('Performance.getMetrics');
  const heap = metrics.find((m) => m.name === 'JSHeapUsedSize')?.value ?? 0;
  await cdp.detach();
  const peaks = rendererPeaksKiB();
  return {
    summaryMs,
    workerOpenMs,
    mapMs,
    mapReadMs,
    drawMs,
    zoomMs,
    ranges,
    ...(peaks.length ? { rendererPeakMiB: Math.max(...peaks) / 1024 } : {}),
    pageHeapMiB: heap / 2 ** 20,
  };
}

export function formatFigures(f: ViewerFigures): string {
  return (
    `summary ${f.summaryMs.toFixed(0)} ms (worker ${f.workerOpenMs} ms); memory map ${f.mapMs.toFixed(0)} ms for ${f.ranges} ranges (worker ${f.mapReadMs} ms, one draw ${f.drawMs.toFixed(1)} ms); ` +
    `4 zoom steps ${f.zoomMs.toFixed(0)} ms; tab peak RSS ${f.rendererPeakMiB?.toFixed(0) ?? 'n/a'} MiB, page JS heap ${f.pageHeapMiB.toFixed(1)} MiB`
  );
}
