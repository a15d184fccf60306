import { spawn, spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

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

/**
 * Loads a page holding `script` (inline module) and `<pre id="result">` in headless Chromium and
 * returns the text of #result once the page has settled (--dump-dom after a virtual-time budget).
 */
export async function runInChromium(chromium: string, script: string, timeoutMs = 90_000): Promise<string> {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-browser-'));
  try {
    const page = join(dir, 'page.html');
    const safe = script.replace(/<\/script/gi, '<\\/script');
    writeFileSync(page, `<!doctype html><meta charset="utf-8"><pre id="result">pending</pre><script type="module">${safe}</script>\n`);
    const args = [
      '--headless',
      '--no-sandbox',
      '--disable-gpu',
      '--disable-quic',
      '--no-first-run',
      '--disable-background-networking',
      '--disable-component-update',
      '--disable-sync',
      `--user-data-dir=${join(dir, 'profile')}`,
      '--virtual-time-budget=10000',
      '--dump-dom',
      `file://${page}`,
    ];
    const { stdout, stderr, code } = await new Promise<{ stdout: string; stderr: string; code: number | null }>((resolve, reject) => {
      const child = spawn(chromium, args, { stdio: ['ignore', 'pipe', 'pipe'] });
      let stdout = '';
      let stderr = '';
      child.stdout.on('data', (d: Buffer) => (stdout += d.toString('utf8')));
      child.stderr.on('data', (d: Buffer) => (stderr += d.toString('utf8')));
      const timer = setTimeout(() => {
        child.kill('SIGKILL');
        reject(new Error(`chromium did not finish within ${timeoutMs} ms; stderr: ${stderr.slice(-2000)}`));
      }, timeoutMs);
      child.on('error', reject);
      child.on('close', (code) => {
        clearTimeout(timer);
        resolve({ stdout, stderr, code });
      });
    });
    const m = /<pre id="result">([\s\S]*?)<\/pre>/.exec(stdout);
    if (code !== 0 || !m) throw new Error(`chromium exit ${code}, no #result in the DOM; stderr: ${stderr.slice(-2000)}`);
    return m[1]!.replace(/&quot;/g, '"').replace(/&lt;/g, '<').replace(/&gt;/g, '>').replace(/&amp;/g, '&');
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}
