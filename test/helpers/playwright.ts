// Playwright (playwright-core) driving Debian's Chromium, headless, with background networking off
// (this machine's closed network refuses Chromium's own connections). Tests that need it skip with
// a message when no Chromium is installed, and must run when CI=true.
import { chromium, type Browser, type BrowserContext } from 'playwright-core';
import { CHROMIUM_FLAGS, findChromium } from './browser.js';

/** Why browser tests cannot run here, or undefined when they can (in CI a missing Chromium is a failure). */
export function noBrowserReason(): string | undefined {
  if (findChromium()) return undefined;
  if (process.env.CI === 'true') throw new Error('CI=true but no Chromium: .ci/run installs Debian chromium');
  return 'no Chromium here (apt-get install chromium)';
}

export interface LaunchedBrowser {
  browser: Browser;
  /** A fresh context at 1280×800 (the size the UI must be usable at). */
  newContext(opts?: { acceptDownloads?: boolean }): Promise<BrowserContext>;
  close(): Promise<void>;
}

export async function launchBrowser(): Promise<LaunchedBrowser> {
  const executablePath = findChromium();
  if (!executablePath) throw new Error('no Chromium');
  const browser = await chromium.launch({
    executablePath: executablePath.includes('/') ? executablePath : `/usr/bin/${executablePath}`,
    headless: true,
    args: [...CHROMIUM_FLAGS, '--disable-dev-shm-usage'],
  });
  return {
    browser,
    newContext: (opts) => browser.newContext({ viewport: { width: 1280, height: 800 }, acceptDownloads: opts?.acceptDownloads ?? false }),
    close: () => browser.close(),
  };
}
