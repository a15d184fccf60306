// The Processes page in Debian's Chromium, driven by Playwright, against the real `dumpkit ui`: find a
// process started here, create each kind of dump through the mouse, the keyboard and the ⋯ button,
// see the completion dialog, and open the files in LLDB; a process that exits; the System row's
// live kernel dumps of a modeled machine with every settings combination, read back with the core
// reader (bug check 0x161, the page kinds the settings chose); the settings page and its defaults.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { existsSync, rmSync } from 'node:fs';
import { dirname } from 'node:path';
import { after, before, test } from 'node:test';
import type { BrowserContext, Page } from 'playwright-core';
import { classCountsOf } from '../../../src/core/varieties/page-selection.js';
import { openDump } from '../../../src/node/varieties/open-dump.js';
import { lldbBatch, parseThreadList } from '../../helpers/lldb.js';
import { showView } from '../viewer/screenshots.js';
import { launchBrowser, noBrowserReason, type LaunchedBrowser } from '../../helpers/playwright.js';
import { buildTarget, lldbSkip, RunningTarget } from '../../helpers/target.js';
import { startUi, type RunningUi } from '../../helpers/ui-server.js';

const skip = noBrowserReason() ?? lldbSkip;
let ui: RunningUi;
let browser: LaunchedBrowser;
let context: BrowserContext;
let page: Page;
let target: RunningTarget;

/** The 512 MiB Hyper-V host with one VM: every optional page kind exists; with user pages its free memory cannot hold the copy. */
const MACHINE = { profile: 'hyperv-host', ramMiB: 512, vms: 1 } as const;

before(async () => {
  if (skip) return;
  [ui, browser] = await Promise.all([startUi(), launchBrowser()]);
  target = await RunningTarget.start(buildTarget(64)!);
  context = await browser.newContext();
  await context.grantPermissions(['clipboard-read', 'clipboard-write'], { origin: ui.origin });
  page = await context.newPage();
  await page.goto(ui.url); // sets the cookie, drops the token from the address
  assert.equal(page.url(), `${ui.origin}/`);
});

after(async () => {
  await target?.stop();
  await browser?.close();
  await ui?.stop();
  if (ui) rmSync(ui.dumpDir, { recursive: true, force: true });
});

/** A fresh load of the page (no dialog left over from a test before). */
async function open(hash: string) {
  await page.goto('about:blank');
  await page.goto(`${ui.origin}/${hash}`);
}

async function showProcess(pid: number) {
  await open('#/processes');
  await page.getByRole('searchbox').fill(String(pid));
  const row = page.locator(`tr[data-key="${pid}"]`);
  await row.waitFor();
  return row;
}

/** Waits until the menu item named `name` has the keyboard focus (menus render and focus asynchronously). */
async function focusedItem(name: string) {
  await page.waitForFunction((n) => document.activeElement?.getAttribute('role') === 'menuitem' && document.activeElement.firstElementChild?.textContent === n, name);
}

async function completion(title: string) {
  const dialog = page.getByRole('dialog', { name: title });
  await dialog.waitFor({ timeout: 60_000 });
  return dialog;
}

test('Processes page: create Full (right-click), MiniPlus (Shift+F10) and Mini (⋯ button) dumps; the files open in LLDB with every thread', { skip }, async () => {
  const threads = target.info.threads.length;
  const row = await showProcess(target.pid);
  await assert.doesNotReject(row.getByRole('cell', { name: '64-bit' }).waitFor());
  assert.equal(await row.locator('td').nth(5).textContent(), String(threads));

  const files: string[] = [];
  const finish = async (variety: string) => {
    const done = await completion('Memory dump created');
    const path = (await done.getByTestId('dump-path').textContent())!;
    assert.equal(await done.getByTestId('dump-threads').textContent(), String(threads), variety);
    assert.match(await done.textContent() ?? '', /Process paused\d+(\.\d)? ms/);
    assert.equal(dirname(path), ui.dumpDir);
    assert.match(path, new RegExp(`/target64_\\d{6}_\\d{6}\\.${target.pid}( \\(\\d+\\))?\\.dmp$`));
    assert.ok(existsSync(path));
    files.push(path);
    return done;
  };

  // Full: right-click → Create memory dump file → Full
  await row.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Create memory dump file' }).hover();
  await page.getByRole('menuitem', { name: 'Full' }).click();
  let done = await finish('full');
  await done.getByRole('button', { name: 'Close', exact: true }).click();
  await done.waitFor({ state: 'detached' });

  // MiniPlus: the keyboard only (Shift+F10 on the row, arrows, Enter)
  await row.focus();
  await page.keyboard.press('Shift+F10');
  await page.getByRole('menu', { name: `target64 (PID ${target.pid})` }).waitFor();
  await focusedItem('Create memory dump file');
  await page.keyboard.press('ArrowRight');
  await focusedItem('Full');
  await page.keyboard.press('ArrowDown');
  await focusedItem('MiniPlus');
  await page.keyboard.press('Enter');
  done = await finish('miniplus');
  await page.keyboard.press('Escape'); // closes the dialog; focus goes back to the row
  await done.waitFor({ state: 'detached' });
  assert.equal(await page.evaluate(() => document.activeElement?.getAttribute('data-key')), String(target.pid));

  // Mini: the visible ⋯ button
  await row.getByRole('button', { name: `Actions for target64, PID ${target.pid}` }).click();
  await page.getByRole('menuitem', { name: 'Create memory dump file' }).click();
  await page.getByRole('menuitem', { name: 'Mini', exact: true }).click();
  done = await finish('mini');

  // Copy path, then Open in viewer (the viewer's deep link names the file in the dump folder)
  await done.getByRole('button', { name: 'Copy path' }).click();
  await done.getByText('Path copied to the clipboard.').waitFor();
  assert.equal(await page.evaluate(() => navigator.clipboard.readText()), files[2]);
  await done.getByRole('button', { name: 'Open in viewer' }).click();
  await page.waitForURL(/#\/viewer\?/);
  const hash = new URL(page.url()).hash;
  assert.equal(new URLSearchParams(hash.slice(hash.indexOf('?') + 1)).get('dump'), `server:${files[2]!.slice(ui.dumpDir.length + 1)}`);
  // the viewer reads it from the dump folder through this server (Range requests): its threads, each
  // with a walked stack, and the memory map
  await showView(page, 'threads', 'Threads');
  const threadIds = (await page.locator('.thread-list [role=option] .mono').allTextContents()).map(Number).sort();
  assert.deepEqual(threadIds, target.info.threads.map((t) => t.tid).sort());
  assert.ok((await page.locator('.frames tbody tr').count()) >= 1);
  await showView(page, 'memory', 'Memory map');
  const map = page.locator('canvas[data-testid=memory-map]');
  assert.match((await map.getAttribute('aria-label')) ?? '', /^Memory map of [1-9]\d* ranges/);
  const box = await map.boundingBox();
  assert.ok(box && box.width > 600 && box.height > 100, `memory map canvas ${JSON.stringify(box)}`);

  const sizes = files.map((f) => Number(existsSync(f)) && lldbBatch(f, ['thread list']));
  for (const [i, out] of sizes.entries()) {
    const listed = parseThreadList(String(out));
    assert.deepEqual(
      listed.map((t) => t.tid).sort(),
      target.info.threads.map((t) => t.tid).sort(),
      `LLDB on ${files[i]}:\n${String(out).slice(0, 2000)}`,
    );
  }
});

test('a process that exits before its dump: the failure dialog says so, and nothing is written', { skip }, async () => {
  const sleeper = spawn('sleep', ['60'], { stdio: 'ignore' });
  const row = await showProcess(sleeper.pid!);
  await row.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Create memory dump file' }).hover();
  const exited = new Promise((r) => sleeper.once('exit', r));
  sleeper.kill('SIGKILL');
  await exited;
  await page.getByRole('menuitem', { name: 'Full' }).click();
  const dialog = page.getByRole('alertdialog', { name: 'The process has exited' });
  await dialog.waitFor();
  assert.match((await dialog.getByTestId('failure-advice').textContent())!, /nothing left to dump/);
  await dialog.getByRole('button', { name: 'OK' }).click();
  const list = (await (await fetch(`${ui.origin}/api/files`, { headers: { Authorization: `Bearer ${ui.token}` } })).json()) as { name: string }[];
  assert.ok(!list.some((f) => f.name.includes(`.${sleeper.pid}.dmp`)));
});

type LiveSettings = { hypervisorPages: 'none' | 'essential' | 'all'; userPages: boolean; abortOnMemoryPressure: boolean };
interface Job {
  state: string;
  file?: string;
  path?: string;
  result?: { bugCheck: string; partial: boolean; pageClasses: Record<string, number> };
  error?: { code: string; title: string };
}

async function apiCall<T>(path: string, method = 'GET', body?: unknown): Promise<{ status: number; body: T }> {
  const res = await fetch(`${ui.origin}${path}`, {
    method,
    headers: { Authorization: `Bearer ${ui.token}`, ...(body === undefined ? {} : { 'Content-Type': 'application/json' }) },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: res.status, body: (await res.json()) as T };
}

async function waitJob(id: string): Promise<Job> {
  for (;;) {
    const j = (await apiCall<Job & { id: string }>(`/api/jobs/${id}`)).body;
    if (j.state !== 'running') return j;
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** What the file holds, read back with the core reader: its bug check and the classes of its pages. */
async function readBack(path: string): Promise<{ bugCheck: number | undefined; classes: Record<string, number> }> {
  const d = await openDump(path);
  try {
    return { bugCheck: d.dump.header.bugCheckCode, classes: classCountsOf(d.classes, d.available!) as Record<string, number> };
  } finally {
    await d.close();
  }
}

const KERNEL = ['kernel-image', 'hal', 'driver', 'kernel-pool', 'kernel-page-table', 'kernel-stack', 'processor-state'];
const allowed = (s: LiveSettings): string[] => [
  ...KERNEL,
  ...(s.hypervisorPages !== 'none' ? ['hypervisor-essential'] : []),
  ...(s.hypervisorPages === 'all' ? ['hypervisor-nonessential'] : []),
  ...(s.userPages ? ['user-private', 'user-image', 'user-shared'] : []),
];

test('System row: live kernel dumps of a modeled machine, with the settings page and every settings combination', { skip }, async () => {
  // The settings page: everything on, abort off.
  await open('#/settings');
  const toggle = async (name: string) => {
    const saved = page.waitForResponse((r) => r.url().endsWith('/api/settings') && r.request().method() === 'PUT');
    await page.getByRole('checkbox', { name }).click();
    assert.equal((await saved).status(), 200);
  };
  await toggle('Capture Hypervisor memory pages');
  await toggle('Include nonessential hypervisor pages');
  await toggle('Capture User pages');
  await toggle('Abort if memory pressure');
  assert.deepEqual((await apiCall<{ settings: { live: LiveSettings } }>('/api/settings')).body.settings.live, { hypervisorPages: 'all', userPages: true, abortOnMemoryPressure: false });

  // Full live kernel dump through the dialog, describing the modeled machine.
  await open('#/processes');
  const system = page.locator('tr[data-key="system"]');
  await system.click({ button: 'right' });
  await page.getByRole('menuitem', { name: 'Create live kernel memory dump file' }).hover();
  await page.getByRole('menuitem', { name: 'Full live kernel memory dump' }).click();
  const dialog = page.getByRole('dialog', { name: 'Full live kernel memory dump — modeled machine' });
  await dialog.waitFor();
  assert.match((await dialog.getByRole('note').textContent())!, /model of a Windows machine.*It is not this computer/);
  await dialog.getByLabel('Profile').selectOption('hyperv-host');
  await dialog.getByLabel('RAM').selectOption(String(MACHINE.ramMiB));
  await dialog.getByLabel('Virtual machines').fill(String(MACHINE.vms));
  await dialog.getByRole('button', { name: 'Create dump' }).click();
  let done = await completion('Live kernel memory dump created');
  assert.match((await done.textContent())!, /0x161 LIVE_SYSTEM_DUMP/);
  assert.match((await done.textContent())!, /a model, not this computer/);
  const uiFull = (await done.getByTestId('dump-path').textContent())!;
  assert.match(uiFull, /\/Users\/[^/]+\/AppData\/Local\/Microsoft\/Windows\/TaskManager\/LiveKernelDumps\/LiveKernelDump-full-\d{8}-\d{6}\.dmp$/);
  const back = await readBack(uiFull);
  assert.equal(back.bugCheck, 0x161);
  assert.ok(back.classes['user-private'] && back.classes['hypervisor-nonessential'], 'user and nonessential hypervisor pages, as set');
  await done.getByRole('button', { name: 'Close', exact: true }).click();

  // Kernel stacks, from the keyboard: processor state and kernel stacks only.
  await system.focus();
  await page.keyboard.press('Shift+F10');
  await focusedItem('Create live kernel memory dump file');
  await page.keyboard.press('Enter');
  await focusedItem('Full live kernel memory dump');
  await page.keyboard.press('ArrowDown');
  await focusedItem('Kernel stacks memory dump');
  await page.keyboard.press('Enter');
  await page.getByRole('dialog', { name: 'Kernel stacks memory dump — modeled machine' }).getByRole('button', { name: 'Create dump' }).click();
  done = await completion('Live kernel memory dump created');
  const stacks = await readBack((await done.getByTestId('dump-path').textContent())!);
  assert.equal(stacks.bugCheck, 0x161);
  assert.ok(Object.keys(stacks.classes).every((c) => KERNEL.includes(c)) && stacks.classes['kernel-stack'], JSON.stringify(stacks.classes));
  await done.getByRole('button', { name: 'Close', exact: true }).click();
  rmSync(uiFull);

  // One dump at a time: a capture asked for while a live dump runs is refused in Task Manager's words.
  const running = await apiCall<{ id: string }>('/api/live', 'POST', { type: 'full', machine: MACHINE });
  const busy = await apiCall<{ error: { code: string; title: string; advice: string } }>('/api/captures', 'POST', { pid: target.pid, type: 'mini' });
  assert.equal(busy.status, 409);
  assert.equal(busy.body.error.code, 'BUSY');
  assert.match(busy.body.error.advice, /Wait for the requested dump to complete/);
  await waitJob(running.body.id);

  // Every combination of the settings, through the same API the page uses.
  for (const hypervisorPages of ['none', 'essential', 'all'] as const) {
    for (const userPages of [false, true]) {
      const partial: Record<string, Job> = {};
      for (const abortOnMemoryPressure of [false, true]) {
        const live: LiveSettings = { hypervisorPages, userPages, abortOnMemoryPressure };
        const what = JSON.stringify(live);
        assert.equal((await apiCall('/api/settings', 'PUT', { live, machine: MACHINE })).status, 200);
        const job = await waitJob((await apiCall<{ id: string }>('/api/live', 'POST', { type: 'full' })).body.id);
        if (abortOnMemoryPressure && partial.job!.result!.partial) {
          // what did not fit without aborting must abort when asked to
          assert.equal(job.state, 'failed', what);
          assert.equal(job.error!.code, 'MEMORY_PRESSURE', what);
          assert.equal(job.error!.title, 'Not enough free memory');
          continue;
        }
        assert.equal(job.state, 'done', `${what}: ${JSON.stringify(job.error)}`);
        assert.match(job.file!, /^Users\/[^/]+\/AppData\/Local\/Microsoft\/Windows\/TaskManager\/LiveKernelDumps\/LiveKernelDump-full-/);
        const got = await readBack(job.path!);
        assert.equal(got.bugCheck, 0x161, what);
        assert.deepEqual(got.classes, job.result!.pageClasses, `${what}: the file holds what the server reported`);
        const kinds = Object.keys(got.classes);
        assert.deepEqual(kinds.filter((k) => !allowed(live).includes(k)), [], `${what}: only the chosen page kinds`);
        if (!job.result!.partial) assert.deepEqual(kinds.sort(), allowed(live).sort(), `${what}: every chosen page kind`);
        if (!abortOnMemoryPressure) partial.job = job;
        rmSync(job.path!);
      }
    }
  }
});

test('Settings: Restore defaults brings back Task Manager\'s defaults and saves them', { skip }, async () => {
  await open('#/settings');
  await page.getByRole('button', { name: 'Restore defaults' }).click();
  await page.getByRole('status').getByText('Defaults restored and saved.').waitFor();
  assert.equal(await page.getByRole('checkbox', { name: 'Abort if memory pressure' }).isChecked(), true);
  assert.equal(await page.getByRole('checkbox', { name: 'Capture Hypervisor memory pages' }).isChecked(), false);
  assert.equal(await page.getByRole('checkbox', { name: 'Include nonessential hypervisor pages' }).isDisabled(), true);
  assert.equal(await page.getByRole('checkbox', { name: 'Capture User pages' }).isChecked(), false);
  assert.deepEqual((await apiCall<{ settings: { live: LiveSettings } }>('/api/settings')).body.settings.live, { hypervisorPages: 'none', userPages: false, abortOnMemoryPressure: true });
});
