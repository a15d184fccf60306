import assert from 'node:assert/strict';
import { test } from 'node:test';
import { bundleForBrowser, findChromium, runInChromium } from './helpers/browser.js';

// The format core (src/core) must run in a browser: bundle it for the browser and drive it in headless Chromium.
const chromium = findChromium();
if (!chromium && process.env.CI) throw new Error('CI=true but chromium is missing (.ci/run installs the Debian package "chromium")');
const skip = chromium ? false : 'chromium not found: install the Debian package "chromium" (or set DUMPKIT_CHROMIUM=/path/to/chrome) to run';

test('src/core/index.ts bundles for the browser with no Node built-ins', async () => {
  const js = await bundleForBrowser(new URL('../src/core/index.ts', import.meta.url).href);
  assert.ok(js.length > 1000);
  assert.doesNotMatch(js, /from\s*["']node:/);
});

test('in headless Chromium: Blob → BlobSource → detectFormat, reads and DumpErrors', { skip, timeout: 120_000 }, async () => {
  const js = await bundleForBrowser(new URL('./browser/core-page.ts', import.meta.url).href);
  const r = JSON.parse(await runInChromium(chromium!, js)) as Record<string, unknown>;
  assert.equal(r.error, undefined, `page failed: ${String(r.error)}\n${String(r.stack)}`);
  assert.match(String(r.userAgent), /HeadlessChrome|Chrome/);
  assert.deepEqual(r.minidumpBlob, { format: 'minidump', size: 64, name: 'tiny.dmp' });
  assert.equal(r.minidumpMemory, 'minidump');
  assert.equal(r.minidumpStamp, '0x6543210f');
  assert.equal(r.kernelBlob, 'kernel64');
  assert.equal(r.kernelDtb, '0x1ad000');
  assert.equal(r.kernelAcross, '5041474550414745'); // 'PAGE' 'PAGE' across the two Blob parts
  assert.equal((r.junk as { code?: string }).code, 'UNKNOWN_FORMAT');
  assert.equal((r.pastEnd as { code?: string }).code, 'TRUNCATED');
});
