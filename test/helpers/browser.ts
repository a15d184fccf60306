import { spawn, spawnSync } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

/**
 * What every test browser is started with: no sandbox (root), no GPU, and none of Chromium's own
 * network traffic (this machine's closed network refuses it, many connections at a time).
 */
export const CHROMIUM_FLAGS = [
  '--no-sandbox',
  '--disable-gpu',
  '--disable-quic',
  '--no-first-run',
  '--disable-background-networking',
  '--disable-component-update',
  '--disable-sync',
];

/** Path of a Chromium binary (DUMPKIT_CHROMIUM, else chromium / chromium-browser on PATH), or undefined. */
export function findChromium(): string | undefined {
  const candidates = [process.env.DUMPKIT_CHROMIUM, 'chromium', 'chromium-browser', 'google-chrome'].filter((x): x is string => !!x);
  for (const c of candidates) {
    const r = spawnSync(c, ['--version'], { encoding: 'utf8', timeout: 30_000 });
    if (r.status === 0 && /chrom/i.test(r.stdout)) return c;
  }
  return undefined;
}

/** Bundles `entry` (a .ts file under test/) for the browser: ES module, no Node built-ins allowed. */
export async function bundleForBrowser(entry: string): Promise<string> {
  const r = await build({
    entryPoints: [fileURLToPath(entry)],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    write: false,
    logLevel: 'silent',
  });
  return r.outputFiles[0]!.text;
}

/** Speaks the DevTools protocol over Chromium's --remote-debugging-pipe (fd 3: to the browser, fd 4: from it). */
class DevToolsPipe {
  private nextId = 1;
  private buffer = '';
  private readonly waiting = new Map<number, { resolve: (v: Record<string, unknown>) => void; reject: (e: Error) => void }>();
  constructor(
    private readonly toBrowser: Writable,
    fromBrowser: Readable,
  ) {
    fromBrowser.on('data', (d: Buffer) => {
      this.buffer += d.toString('utf8');
      let nul: number;
      while ((nul = this.buffer.indexOf('\0')) >= 0) {
        const msg = JSON.parse(this.buffer.slice(0, nul)) as { id?: number; result?: Record<string, unknown>; error?: { message: string } };
        this.buffer = this.buffer.slice(nul + 1);
        const w = msg.id !== undefined ? this.waiting.get(msg.id) : undefined;
        if (!w) continue;
        this.waiting.delete(msg.id!);
        if (msg.error) w.reject(new Error(msg.error.message));
        else w.resolve(msg.result ?? {});
      }
    });
  }
  send(method: string, params: Record<string, unknown> = {}, sessionId?: string): Promise<Record<string, unknown>> {
    const id = this.nextId++;
    return new Promise((resolve, reject) => {
      this.waiting.set(id, { resolve, reject });
      this.toBrowser.write(`${JSON.stringify({ id, method, params, ...(sessionId ? { sessionId } : {}) })}\0`);
    });
  }
  failAll(e: Error): void {
    for (const w of this.waiting.values()) w.reject(e);
    this.waiting.clear();
  }
}

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Loads a page holding `script` (inline module) and `<pre id="result">pending</pre>` in headless Chromium,
 * waits (DevTools protocol over a pipe, no npm package) until the page has replaced "pending", and returns
 * the text of #result.
 */
export async function runInChromium(chromium: string, script: string, timeoutMs = 90_000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-browser-'));
  const page = join(dir, 'page.html');
  const safe = script.replace(/<\/script/gi, '<\\/script');
  writeFileSync(page, `<!doctype html><meta charset="utf-8"><pre id="result">pending</pre><script type="module">${safe}</script>\n`);
  const url = `file://${page}`;
  const child = spawn(
    chromium,
    [
      '--headless',
      ...CHROMIUM_FLAGS,
      `--user-data-dir=${join(dir, 'profile')}`,
      '--remote-debugging-pipe',
      url,
    ],
    { stdio: ['ignore', 'ignore', 'pipe', 'pipe', 'pipe'] },
  );
  let stderr = '';
  child.stderr!.on('data', (d: Buffer) => (stderr = (stderr + d.toString('utf8')).slice(-4000)));
  const cdp = new DevToolsPipe(child.stdio[3] as Writable, child.stdio[4] as Readable);
  const exited = new Promise<void>((resolve) => child.on('close', () => resolve()));
  void exited.then(() => cdp.failAll(new Error(`chromium exited early; stderr: ${stderr}`)));
  const deadline = Date.now() + timeoutMs;
  try {
    let sessionId: string | undefined;
    while (!sessionId) {
      if (Date.now() > deadline) throw new Error(`no page target for ${url}; stderr: ${stderr}`);
      const { targetInfos } = (await cdp.send('Target.getTargets')) as { targetInfos: { targetId: string; type: string; url: string }[] };
      const target = targetInfos.find((t) => t.type === 'page' && t.url === url);
      if (target) sessionId = ((await cdp.send('Target.attachToTarget', { targetId: target.targetId, flatten: true })) as { sessionId: string }).sessionId;
      else await sleep(100);
    }
    for (;;) {
      if (Date.now() > deadline) throw new Error(`page did not write #result within ${timeoutMs} ms; stderr: ${stderr}`);
      try {
        const r = (await cdp.send('Runtime.evaluate', { expression: "document.getElementById('result')?.textContent", returnByValue: true }, sessionId)) as {
          result: { value?: unknown };
        };
        if (typeof r.result.value === 'string' && r.result.value !== 'pending') return r.result.value;
      } catch {
        // the page's context may be replaced while it loads; ask again
      }
      await sleep(100);
    }
  } finally {
    await cdp.send('Browser.close').catch(() => undefined);
    const killer = setTimeout(() => child.kill('SIGKILL'), 5000);
    await exited;
    clearTimeout(killer);
    rmSync(dir, { recursive: true, force: true });
  }
}
