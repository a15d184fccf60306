// Screenshots of the viewer's views: given a Playwright page at the app's URL, opens sample dumps
// through the file picker (as a user would) and captures each view to a PNG (1280×800 pages).
// scripts/screenshots.mjs calls captureViewerScreenshots; the viewer's tests use the same steps.
import { join } from 'node:path';
import type { Page } from 'playwright-core';

/** What shows that each view has its content (not its "loading" line). */
export const VIEW_READY: Record<string, string> = {
  summary: '.facts',
  threads: '.frames tbody tr',
  modules: '.modules tbody tr',
  memory: '[data-testid=memory-map]',
  hex: '[data-testid=hex]',
  composition: '.bar-row',
};

/** Opens `file` by the file picker (what a drop does too) and waits for its summary. */
export async function openLocalDump(page: Page, file: string): Promise<void> {
  await page.locator('input[type=file][aria-label="Dump file to open"]').setInputFiles(file);
  await page.locator('.facts').waitFor({ timeout: 60_000 });
}

/** Selects a view by its tab and waits until it shows its content. */
export async function showView(page: Page, view: string, title: string): Promise<void> {
  await page.getByRole('tab', { name: title }).click();
  await page.locator(VIEW_READY[view]!).first().waitFor({ timeout: 60_000 });
  // the hex rows are blank until their page is read (then bytes, or ?? where the dump has none)
  if (view === 'hex') await page.waitForFunction(() => /([0-9a-f]{2}|\?\?) /.test(document.querySelector('[data-testid=hex]')?.textContent?.split('\n')[0]?.slice(18) ?? ''));
}

const VIEWS: [string, string][] = [
  ['summary', 'Summary'],
  ['threads', 'Threads'],
  ['modules', 'Modules'],
  ['memory', 'Memory map'],
  ['hex', 'Hex'],
];

/**
 * Captures the viewer: the open screen, then every view of `minidump`, and the views of `kernelDump`
 * (with its composition chart) when given. Returns the PNG paths written into `outDir`.
 */
export async function captureViewerScreenshots(page: Page, appUrl: string, outDir: string, samples: { minidump: string; kernelDump?: string }): Promise<string[]> {
  const out: string[] = [];
  const shot = async (name: string) => {
    const p = join(outDir, `viewer-${name}.png`);
    await page.mouse.move(0, 0);
    await page.screenshot({ path: p });
    out.push(p);
  };
  await page.goto(`${appUrl}#/viewer`);
  await page.locator('[data-testid=drop-zone]').waitFor();
  await shot('open');
  await openLocalDump(page, samples.minidump);
  for (const [view, title] of VIEWS) {
    await showView(page, view, title);
    if (view === 'memory') {
      // hover a range so the picture shows its tooltip
      const box = (await page.locator('[data-testid=memory-map]').boundingBox())!;
      await page.mouse.move(box.x + 400, box.y + 12);
      await page.screenshot({ path: join(outDir, 'viewer-minidump-memory.png') });
      out.push(join(outDir, 'viewer-minidump-memory.png'));
      continue;
    }
    await shot(`minidump-${view}`);
  }
  if (samples.kernelDump) {
    await openLocalDump(page, samples.kernelDump);
    await shot('kernel-summary');
    for (const [view, title] of [['threads', 'Threads'], ['memory', 'Memory map'], ['composition', 'Composition']] as const) {
      await showView(page, view, title);
      await shot(`kernel-${view}`);
    }
  }
  return out;
}
