#!/usr/bin/env node
// `npm run screenshots`: starts the real `dumpkit ui` (from source, with a fresh Vite build), opens
// each page at 1280×800 in Debian's Chromium and writes docs/screenshots/<name>.png.
// PAGES is the list to extend: a name, the address (hash route) and what to do before the shot.
// Then the viewer (test/ui/viewer/screenshots.ts): a full dump of the `sleep` below and a modeled
// kernel dump, both made into the dump folder with the CLI, opened as a user would; and one opened
// from the dump folder through the server (a `server:` link, read by HTTP Range requests).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { launchBrowser } from '../test/helpers/playwright.ts';
import { startUi } from '../test/helpers/ui-server.ts';
import { captureViewerScreenshots } from '../test/ui/viewer/screenshots.ts';

const outDir = fileURLToPath(new URL('../docs/screenshots/', import.meta.url));

/** A process to show in the shots: `sleep`, found by its PID. */
function startSleeper() {
  return spawn('sleep', ['600'], { stdio: 'ignore' });
}

/** @type {{ name: string, hash: string, prepare?: (page: import('playwright-core').Page, ctx: { pid: number }) => Promise<void> }[]} */
export const PAGES = [
  {
    name: 'processes',
    hash: '#/processes',
    prepare: async (page) => {
      await page.getByRole('row').nth(3).waitFor();
    },
  },
  {
    name: 'processes-menu',
    hash: '#/processes',
    prepare: async (page, { pid }) => {
      await page.getByRole('searchbox').fill('sleep');
      const row = page.locator(`tr[data-key="${pid}"]`);
      await row.click({ button: 'right' });
      await page.getByRole('menuitem', { name: 'Create memory dump file' }).hover();
      await page.getByRole('menuitem', { name: 'MiniPlus' }).waitFor();
    },
  },
  {
    name: 'processes-dump-created',
    hash: '#/processes',
    prepare: async (page, { pid }) => {
      await page.getByRole('searchbox').fill('sleep');
      await page.locator(`tr[data-key="${pid}"]`).click({ button: 'right' });
      await page.getByRole('menuitem', { name: 'Create memory dump file' }).hover();
      await page.getByRole('menuitem', { name: 'Mini', exact: true }).click();
      await page.getByRole('dialog', { name: 'Memory dump created' }).waitFor({ timeout: 60_000 });
    },
  },
  {
    name: 'live-dump-dialog',
    hash: '#/processes',
    prepare: async (page) => {
      await page.locator('tr[data-key="system"]').click({ button: 'right' });
      await page.getByRole('menuitem', { name: 'Create live kernel memory dump file' }).hover();
      await page.getByRole('menuitem', { name: 'Full live kernel memory dump' }).click();
      await page.getByRole('dialog').waitFor();
    },
  },
  {
    name: 'settings',
    hash: '#/settings',
    prepare: async (page) => {
      await page.getByRole('checkbox', { name: 'Abort if memory pressure' }).waitFor();
    },
  },
];

const sleeper = startSleeper();
const ui = await startUi();
const browser = await launchBrowser();
try {
  mkdirSync(outDir, { recursive: true });
  const context = await browser.newContext();
  for (const p of PAGES) {
    const page = await context.newPage();
    await page.goto(ui.url);
    await page.goto(`${ui.origin}/${p.hash}`);
    await p.prepare?.(page, { pid: sleeper.pid });
    await page.waitForTimeout(300);
    const file = `${outDir}${p.name}.png`;
    await page.screenshot({ path: file });
    console.log(file);
    await page.close();
  }

  const cli = (args) => {
    const r = spawnSync(process.execPath, ['--import', 'tsx', 'src/node/cli/main.ts', ...args], { cwd: fileURLToPath(new URL('..', import.meta.url)), encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`dumpkit ${args.join(' ')}: ${r.stderr}`);
  };
  const minidump = join(ui.dumpDir, 'sleep-full.dmp');
  const kernelDump = join(ui.dumpDir, 'machine-complete.dmp');
  cli(['capture', String(sleeper.pid), '--type', 'full', '-o', minidump]);
  cli(['machine', '--ram', '512M', '-o', kernelDump]);
  const page = await context.newPage();
  await page.goto(ui.url);
  for (const file of await captureViewerScreenshots(page, `${ui.origin}/`, outDir, { minidump, kernelDump })) console.log(file);
  await page.goto(`${ui.origin}/#/viewer?dump=server:sleep-full.dmp&view=memory`);
  await page.locator('[data-testid=memory-map]').waitFor({ timeout: 60_000 });
  await page.waitForTimeout(500);
  await page.screenshot({ path: `${outDir}viewer-from-dump-folder.png` });
  console.log(`${outDir}viewer-from-dump-folder.png`);
} finally {
  await browser.close();
  await ui.stop();
  sleeper.kill();
}
