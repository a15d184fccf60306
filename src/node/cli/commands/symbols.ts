import type { Command } from 'commander';
import { openAsBlob } from 'node:fs';
import { open, readdir } from 'node:fs/promises';
import { join } from 'node:path';
import { DumpError } from '../../../core/errors.js';
import { identityFromPath, symModuleRecord } from '../../serve/symbol-store.js';

/** Every *.sym file under `dir`, sorted. */
async function symFiles(dir: string): Promise<string[]> {
  const out: string[] = [];
  const walk = async (d: string): Promise<void> => {
    let entries;
    try {
      entries = await readdir(d, { withFileTypes: true });
    } catch (e) {
      const code = (e as NodeJS.ErrnoException).code;
      throw new DumpError('IO', `cannot read ${d}: ${code ?? String(e)}`);
    }
    for (const e of entries.sort((a, b) => (a.name < b.name ? -1 : 1))) {
      const p = join(d, e.name);
      if (e.isDirectory()) await walk(p);
      else if (e.isFile() && e.name.toLowerCase().endsWith('.sym')) out.push(p);
    }
  };
  await walk(dir);
  return out;
}

async function firstBytes(path: string, n: number): Promise<Uint8Array> {
  const fh = await open(path, 'r');
  try {
    const buf = new Uint8Array(n);
    const { bytesRead } = await fh.read(buf, 0, n, 0);
    return buf.subarray(0, bytesRead);
  } finally {
    await fh.close();
  }
}

/** Uploads one .sym as Breakpad's symupload does (sym-upload-v1 form fields). */
async function uploadOne(url: string, path: string, key: string | undefined): Promise<string> {
  const rec = symModuleRecord(await firstBytes(path, 4096), path, identityFromPath(path));
  const form = new FormData();
  form.set('code_file', rec.debugFile);
  form.set('debug_file', rec.debugFile);
  form.set('debug_identifier', rec.debugId);
  if (rec.os) form.set('os', rec.os);
  if (rec.arch) form.set('cpu', rec.arch);
  form.set('symbol_file', await openAsBlob(path), `${rec.debugFile}.sym`);
  const headers: Record<string, string> = key ? { 'x-api-key': key } : {};
  let res: Response;
  try {
    res = await fetch(url, { method: 'POST', body: form, headers });
  } catch (e) {
    throw new DumpError('IO', `${url}: ${e instanceof Error ? ((e.cause as Error | undefined)?.message ?? e.message) : String(e)}`);
  }
  const text = await res.text();
  if (!res.ok) throw new DumpError('IO', `${path}: the server answered ${res.status}: ${text.trim().slice(0, 300)}`);
  return `${rec.debugFile}/${rec.debugId}`;
}

export function register(program: Command): void {
  const symbols = program.command('symbols').description('Breakpad symbol files for `dumpkit serve`');
  symbols
    .command('upload')
    .description('upload every .sym file under DIR to a `dumpkit serve` (POST /symbols, as symupload sends them)')
    .argument('<dir>', 'a directory of Breakpad .sym files (any layout, e.g. <debug file>/<debug id>/<name>.sym)')
    .requiredOption('--url <url>', 'the server, e.g. http://127.0.0.1:8080 (/symbols is added when the path is /)')
    .option('--key <key>', 'API key (else DUMPKIT_API_KEY)')
    .option('--jobs <n>', 'uploads at once', '4')
    .action(async (dir: string, opts: { url: string; key?: string; jobs: string }) => {
      let url: URL;
      try {
        url = new URL(opts.url);
      } catch {
        throw new DumpError('INVALID_ARGUMENT', `--url ${opts.url}: not a URL`);
      }
      if (url.pathname === '/' || url.pathname === '') url.pathname = '/symbols';
      const jobs = Number(opts.jobs);
      if (!Number.isSafeInteger(jobs) || jobs < 1 || jobs > 64) throw new DumpError('INVALID_ARGUMENT', `--jobs ${opts.jobs}: 1 to 64`);
      const files = await symFiles(dir);
      if (files.length === 0) throw new DumpError('INVALID_ARGUMENT', `no .sym file under ${dir}`);
      const key = opts.key ?? process.env.DUMPKIT_API_KEY;
      let next = 0;
      const worker = async () => {
        while (next < files.length) {
          const f = files[next++]!;
          process.stdout.write(`uploaded ${await uploadOne(url.href, f, key)} (${f})\n`);
        }
      };
      await Promise.all(Array.from({ length: Math.min(jobs, files.length) }, worker));
    });
}
