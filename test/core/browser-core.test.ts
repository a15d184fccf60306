import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { test } from 'node:test';
import { MemorySource } from '../../src/core/bytes/memory-source.js';
import { summarize, type MinidumpSummary } from '../browser/minidump-summary.js';
import { bundleForBrowser, findChromium, runInChromium } from '../helpers/browser.js';
import { corpusFile, corpusSkip } from '../helpers/corpus.js';
import { MACHINE, expectedPhys, expectedVirt, sparsePfns } from '../fixtures/interop-machine.js';

// The format core (src/core) must run in a browser: bundle it for the browser and drive it in headless Chromium.
const chromium = findChromium();
if (!chromium && process.env.CI) throw new Error('CI=true but chromium is missing (.ci/run installs the Debian package "chromium")');
const skip = chromium ? false : 'chromium not found: install the Debian package "chromium" (or set DUMPKIT_CHROMIUM=/path/to/chrome) to run';

test('src/core/index.ts bundles for the browser with no Node built-ins', async () => {
  const js = await bundleForBrowser(new URL('../../src/core/index.ts', import.meta.url).href);
  assert.ok(js.length > 1000);
  assert.doesNotMatch(js, /from\s*["']node:/);
});

test('in headless Chromium: Blob → BlobSource → detectFormat, kernel dump written and read back, DumpErrors', { skip, timeout: 120_000 }, async () => {
  const js = await bundleForBrowser(new URL('../browser/core-page.ts', import.meta.url).href);
  const r = JSON.parse(await runInChromium(chromium!, js)) as Record<string, unknown>;
  assert.equal(r.error, undefined, `page failed: ${String(r.error)}\n${String(r.stack)}`);
  assert.match(String(r.userAgent), /HeadlessChrome|Chrome/);
  assert.deepEqual(r.minidumpBlob, { format: 'minidump', size: 64, name: 'tiny.dmp' });
  assert.equal(r.minidumpMemory, 'minidump');
  assert.equal(r.minidumpStamp, '0x6543210f');
  assert.equal(r.kernelBlob, 'kernel64');
  assert.equal(r.kernelDtb, '0x1ad000');
  assert.equal(r.kernelAcross, '5041474550414745'); // 'PAGE' 'PAGE' across the two Blob parts
  const hexOf = (b: Uint8Array): string => Buffer.from(b).toString('hex');
  assert.deepEqual(r.written, {
    format: 'kernel64',
    dumpType: 5,
    pages: sparsePfns().length,
    kdbgVirtual: hexOf(expectedVirt(MACHINE.kdbg, 0x20)),
    physical: hexOf(expectedPhys(0x200ff8n, 16)),
  });
  assert.equal((r.junk as { code?: string }).code, 'UNKNOWN_FORMAT');
  assert.equal((r.pastEnd as { code?: string }).code, 'TRUNCATED');
});

// The minidump reader in the browser: real corpus files read through Blob → BlobSource must give exactly
// what the same reader gives in Node from the file's bytes.
const CORPUS_SAMPLES = ['breakpad/ascii_read_av.dmp', 'rust-minidump/test.dmp', 'lldb/linux-x86_64.dmp', 'symbolic/windows-mini.dmp', 'node-minidump/mac.dmp'];

test('in headless Chromium: corpus minidumps read through BlobSource match Node', { skip: skip || corpusSkip, timeout: 120_000 }, async () => {
  const files: Record<string, string> = {};
  const inNode: Record<string, unknown> = {};
  for (const rel of CORPUS_SAMPLES) {
    const bytes = readFileSync(corpusFile(`minidump/${rel}`));
    files[rel] = bytes.toString('base64');
    inNode[rel] = await summarize(new MemorySource(new Uint8Array(bytes), rel));
  }
  const js = await bundleForBrowser(new URL('../browser/minidump-page.ts', import.meta.url).href);
  const inBrowser = JSON.parse(await runInChromium(chromium!, `globalThis.DUMPKIT_FILES = ${JSON.stringify(files)};\n${js}`)) as Record<string, unknown>;
  assert.deepEqual(inBrowser, inNode);
  // Facts from the corpus MANIFEST (independent of dumpkit):
  const av = inBrowser['breakpad/ascii_read_av.dmp'] as MinidumpSummary;
  assert.equal(av.threads.length, 2);
  assert.equal(av.modules.length, 26);
  assert.equal(av.modules[0], 'D:\\crashme\\Debug\\crashme.exe');
  assert.deepEqual({ threadId: av.exception?.threadId, code: av.exception?.code }, { threadId: 4204, code: '0xc0000005' });
  assert.equal(av.memoryRanges, 5);
  const rm = inBrowser['rust-minidump/test.dmp'] as MinidumpSummary;
  assert.equal(rm.modules[0], 'c:\\test_app.exe');
  assert.equal(rm.firstModuleBase, '0x400000');
  assert.equal(rm.modules[12], 'C:\\WINDOWS\\system32\\psapi.dll');
});
