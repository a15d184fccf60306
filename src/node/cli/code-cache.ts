/**
 * Loads a CommonJS bundle of the CLI through V8's code cache, as Node 22's module.enableCompileCache
 * does (Node 20 has none): the first run of a command compiles it and, at exit, saves the compiled
 * code (including every function the run needed); later runs skip most of the parsing and compiling
 * that otherwise dominates start-up (`dumpkit info`: about half of what dumpkit adds to a bare Node
 * start-up).
 *
 * The cache lives in `$XDG_CACHE_HOME/dumpkit/compile-cache/<node version>-<arch>/` (~/.cache when
 * unset), one file per bundle named by the bundle's size and modification time, written under a
 * temporary name and renamed, mode 0600 in a 0700 folder; an older cache of the same bundle is
 * removed when a new one is written. `DUMPKIT_COMPILE_CACHE=0` turns it off, `=DIR` puts it in DIR.
 * V8 itself refuses a cache made by another V8 version or with other flags (then the bundle is
 * compiled as usual and the cache rewritten). A folder that cannot be written only means no cache.
 *
 * A bundle that loads an external package with `import()` (scripts/build.mjs marks it) is loaded
 * with a plain require: Node 20 cannot resolve `import()` inside a vm script without an
 * experimental flag.
 */
import { closeSync, fstatSync, mkdirSync, openSync, readdirSync, readFileSync, renameSync, unlinkSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { homedir } from 'node:os';
import { basename, dirname, join } from 'node:path';
import { Script } from 'node:vm';
import { onlyErrno } from '../errno.js';

/** First line of a bundle that must not be loaded through the cache (see scripts/build.mjs). */
export const NO_CODE_CACHE_MARK = '/* dumpkit: no code cache */';

export function codeCacheDir(env: NodeJS.ProcessEnv = process.env): string | undefined {
  const setting = env.DUMPKIT_COMPILE_CACHE;
  if (setting === '0' || setting === 'off') return undefined;
  if (setting) return setting;
  const base = env.XDG_CACHE_HOME || join(homedir(), '.cache');
  return join(base, 'dumpkit', 'compile-cache', `${process.version}-${process.arch}`);
}

/** `require(file)` for a CommonJS bundle, through the code cache in `cacheDir` (none when undefined). */
export function requireWithCodeCache(file: string, cacheDir: string | undefined): unknown {
  const fd = openSync(file, 'r');
  let source: string;
  let key: string;
  try {
    const st = fstatSync(fd);
    key = `${basename(file)}-${st.size}-${Math.trunc(st.mtimeMs)}.v8`;
    source = readFileSync(fd, 'utf8');
  } finally {
    closeSync(fd);
  }
  const require = createRequire(file);
  if (!cacheDir || source.startsWith(NO_CODE_CACHE_MARK)) return require(file);

  const cacheFile = join(cacheDir, key);
  let cached: Buffer | undefined;
  try {
    cached = readFileSync(cacheFile);
  } catch (e) {
    onlyErrno(e);
  }
  // the same wrapper as Node's CommonJS loader, on the first line so that line numbers are the file's;
  // a #! line becomes a comment, as that loader does
  const body = source.startsWith('#!') ? `//${source.slice(2)}` : source;
  const script = new Script(`(function (exports, require, module, __filename, __dirname) { ${body}\n})`, { filename: file, cachedData: cached });
  const module = { exports: {} as unknown };
  (script.runInThisContext() as (...a: unknown[]) => void).call(module.exports, module.exports, require, module, file, dirname(file));
  if (!cached || script.cachedDataRejected) {
    // at exit, so that the cache holds every function this run compiled (one listener for all:
    // `dumpkit --help` loads every command)
    if (toSave.length === 0) process.once('exit', () => toSave.forEach((s) => saveCodeCache(s.dir, s.key, s.bundle, s.script)));
    toSave.push({ dir: cacheDir, key, bundle: basename(file), script });
  }
  return module.exports;
}

const toSave: { dir: string; key: string; bundle: string; script: Script }[] = [];

function saveCodeCache(dir: string, key: string, bundle: string, script: Script): void {
  try {
    mkdirSync(dir, { recursive: true, mode: 0o700 });
    const tmp = join(dir, `.${key}.${process.pid}.tmp`);
    writeFileSync(tmp, script.createCachedData(), { mode: 0o600, flag: 'wx' });
    renameSync(tmp, join(dir, key));
    for (const old of readdirSync(dir)) {
      if (old !== key && old.startsWith(`${bundle}-`) && old.endsWith('.v8')) unlinkSync(join(dir, old));
    }
  } catch (e) {
    onlyErrno(e); // no cache: a read-only or full disk, a vanished folder, a race with another dumpkit
  }
}
