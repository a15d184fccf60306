// The viewer in the real built app (dist/ui), driven by Playwright in Debian's Chromium: corpus
// minidumps opened by the file picker, by a synthetic drop and by a server deep link; a modeled
// kernel dump's composition chart, a variety derived in the browser and downloaded, its bytes read
// back with the core in Node; errors shown with their DumpError code.
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { Machine } from '../../../src/core/machine/machine.js';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { varietyOfDump } from '../../../src/core/varieties/opened-dump.js';
import { machineVariety } from '../../../src/node/cli/commands/machine.js';
import { writeFileSafely } from '../../../src/node/varieties/cli-util.js';
import { fromMachine, writeFromSource } from '../../../src/node/varieties/variety-source.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';
import { launchBrowser, noBrowserReason, type LaunchedBrowser } from '../../helpers/playwright.js';
import { openLocalDump, showView } from './screenshots.js';
import { serveApp, type AppServer } from './serve-app.js';

const skip = noBrowserReason() ?? corpusSkip;
const minidump2 = corpusFile('minidump/breakpad/minidump2.dmp');

/** Thread 0's frame lines of Breakpad's minidump_stackwalk output for minidump2 (with the corpus .sym files). */
function expectedFrames(): string[] {
  const text = readFileSync(corpusFile('minidump/breakpad/expected/minidump2.stackwalk.out'), 'utf8');
  const section = text.slice(text.indexOf('Thread 0 (crashed)'), text.indexOf('Loaded modules:'));
  return [...section.matchAll(/^ ?\d+ {2}(.+)$/gm)].map((m) => m[1]!.trim());
}

describe('viewer (Playwright, built app)', { skip }, () => {
  let b: LaunchedBrowser;
  let server: AppServer;
  let ctx: BrowserContext;
  let page: Page;
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-viewer-'));
  const errors: string[] = [];

  before(async () => {
    symlinkSync(minidump2, join(dir, 'minidump2.dmp'));
    server = await serveApp(dir);
    b = await launchBrowser();
    ctx = await b.newContext({ acceptDownloads: true });
    page = await ctx.newPage();
    page.on('pageerror', (e) => errors.push(e.message));
  });
  after(async () => {
    await b?.close();
    await server?.close();
    rmSync(dir, { recursive: true, force: true });
  });

  it('opens a corpus minidump from the file picker: summary, threads with the expected stacks, modules, memory map, hex', async () => {
    await page.goto(`${server.url}#/viewer`);
    await openLocalDump(page, minidump2);
    assert.match(page.url(), /#\/viewer\?dump=local%3Aminidump2\.dmp&view=summary/);
    const facts = await page.locator('.facts').innerText();
    assert.match(facts, /EXCEPTION_ACCESS_VIOLATION_WRITE/);
    assert.match(facts, /Crash address\s+0x45/);
    assert.match(await page.locator('.limits').innerText(), /memory ranges .* are in the dump/);

    // threads: without symbols module + offset; with the corpus .sym files, Breakpad's own frames
    await showView(page, 'threads', 'Threads');
    const titles = () => page.locator('.frames .frame-title').allInnerTexts();
    assert.equal((await titles())[0], 'test_app.exe + 0x429e');
    await page
      .locator('input[aria-label="Breakpad symbol files"]')
      .setInputFiles([
        corpusFile('symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym'),
        corpusFile('symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym'),
      ]);
    await page.locator('.frames .frame-title', { hasText: 'CrashFunction' }).waitFor();
    assert.deepEqual(await titles(), expectedFrames());

    await showView(page, 'modules', 'Modules');
    const modules = await page.locator('.modules tbody tr').allInnerTexts();
    assert.equal(modules.length, 13);
    assert.ok(modules.some((m) => m.includes('kernel32.dll') && m.includes('0x7c800000')));

    await showView(page, 'memory', 'Memory map');
    assert.match(await page.getByTestId('map-stats').innerText(), /^\d+ ranges \(virtual addresses\)/);
    const map = page.getByTestId('memory-map');
    const before = await map.getAttribute('data-window');
    await map.focus();
    await page.keyboard.press('+');
    assert.notEqual(await map.getAttribute('data-window'), before, 'the + key zooms');
    await page.keyboard.press('Home');
    assert.equal(await map.getAttribute('data-window'), before, 'Home shows all again');

    // hex at the crashing thread's stack pointer: the bytes the core reads in Node
    await page.goto(`${page.url().replace(/&view=.*$/, '')}&view=hex&address=0x12fe80`);
    await page.waitForFunction(() => /^000000000012fe80 {2}[0-9a-f]{2} /.test(document.querySelector('[data-testid=hex]')?.textContent ?? ''));
    const row = (await page.getByTestId('hex').innerText()).split('\n')[0]!;
    const src = new MemorySource(new Uint8Array(readFileSync(minidump2)));
    const want = await (await Minidump.open(src)).readMemory(0x12fe80n, 16);
    assert.equal(row.slice(18, 18 + 49).replace(/\s+/g, ' ').trim(), [...want].map((x) => x.toString(16).padStart(2, '0')).join(' '));
    assert.deepEqual(errors, []);
  });

  it('opens a dump dropped on the page (a synthetic drop event with a File)', async () => {
    await page.goto(`${server.url}#/viewer`);
    const bytes = readFileSync(corpusFile('minidump/lldb/sigsegv.dmp')).toString('base64');
    const dt = await page.evaluateHandle((b64) => {
      const d = new DataTransfer();
      d.items.add(new File([Uint8Array.from(atob(b64), (c) => c.charCodeAt(0))], 'dropped.dmp'));
      return d;
    }, bytes);
    await page.getByTestId('drop-zone').dispatchEvent('drop', { dataTransfer: dt });
    await page.locator('.facts').waitFor();
    assert.match(await page.locator('.dump-title').innerText(), /dropped\.dmp/);
    assert.match(await page.locator('.facts').innerText(), /Process id\s+13052/);
  });

  it('opens a dump of the server folder from a deep link (Range requests); the view and address go into the URL', async () => {
    await page.goto(`${server.url}#/viewer?dump=server:minidump2.dmp&view=modules`);
    await page.locator('.modules tbody tr').first().waitFor();
    await page.locator('.modules tbody tr button', { hasText: '0x7c800000' }).click();
    await page.waitForFunction(() => /view=hex&address=0x7c800000/.test(location.hash));
    await page.locator('[data-testid=hex]').waitFor();
    // the folder's list offers it too
    await page.goto(`${server.url}#/viewer`);
    await page.locator('.server-files button', { hasText: 'minidump2.dmp' }).waitFor();
    // a local file cannot be named by a link: the page says so
    await page.goto(`${server.url}#/viewer?dump=local:gone.dmp&view=threads`);
    assert.match(await page.locator('.notice').innerText(), /cannot reopen a local file/);
  });

  it('shows what is wrong with a file that is not a dump, with its DumpError code', async () => {
    await page.goto(`${server.url}#/viewer`);
    const junk = join(dir, 'junk.bin');
    writeFileSync(junk, Buffer.from('this is not a dump at all, just text'.repeat(4)));
    await page.locator('input[type=file][aria-label="Dump file to open"]').setInputFiles(junk);
    const alert = page.getByRole('alert');
    await alert.waitFor();
    assert.match(await alert.innerText(), /UNKNOWN_FORMAT/);
  });

  it('a modeled kernel dump: summary, kernel stacks, composition chart; derives a smaller variety and downloads it', async () => {
    const path = join(dir, 'complete.dmp');
    const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'workstation', seed: 5 });
    await writeFileSafely(path, true, (sink) => writeFromSource(fromMachine(m, 'model'), machineVariety(1), sink), false);
    await page.goto(`${server.url}#/viewer`);
    await openLocalDump(page, path);
    assert.match(await page.locator('.facts').innerText(), /Dump type\s+1/);

    await showView(page, 'threads', 'Threads');
    const kernelFrames = await page.locator('.frames .frame-title').allInnerTexts();
    assert.ok(kernelFrames.some((t) => t.startsWith('ntoskrnl.exe!KeBugCheckEx')), `the crashing thread's stack names KeBugCheckEx from the image's exports: ${kernelFrames.join(' | ')}`);

    await showView(page, 'memory', 'Memory map');
    assert.match(await page.getByTestId('map-stats').innerText(), /ranges \(physical addresses\)/);

    await showView(page, 'composition', 'Composition');
    const bars = await page.locator('.bar-row').evaluateAll((rows) => rows.map((r) => (r as HTMLElement).dataset.variety));
    assert.deepEqual(bars, ['complete', 'active', 'kernel', 'automatic', 'small', 'live-full', 'live-kernel-stacks']);
    const [download] = await Promise.all([page.waitForEvent('download'), page.getByTestId('derive-kernel').click()]);
    assert.equal(download.suggestedFilename(), 'complete-kernel.dmp');
    const saved = join(dir, 'derived.dmp');
    await download.saveAs(saved);
    const kd = await KernelDump.open(new MemorySource(new Uint8Array(readFileSync(saved))));
    assert.equal(kd.dumpType, 6);
    assert.equal(varietyOfDump(kd.dumpType, kd.header.attributes).name, 'kernel');
    assert.ok((kd.physical?.presentPages ?? 0) > 0);
    assert.deepEqual(errors, []);
  });
});
