/**
 * The process entry of the bundled CLI (bin/dumpkit.cjs → dist/cli/launch.cjs): loads main and the
 * one command a run names through V8's code cache (./code-cache.ts), runs it, and exits once stdout
 * has taken everything.
 */
import { join } from 'node:path';
import { codeCacheDir, requireWithCodeCache } from './code-cache.js';
import type * as Main from './main.js';

const cacheDir = codeCacheDir();
const { main, reportError } = requireWithCodeCache(join(__dirname, 'main.cjs'), cacheDir) as typeof Main;
// process.exit() drops what a pipe has not read yet (a kernel dump's `stack --json` runs past the 128 KiB a pipe holds)
const exit = (code: number) => process.stdout.write('', () => process.exit(code));
main(process.argv.slice(2), { loadCommand: (file) => requireWithCodeCache(file, cacheDir) }).then(exit, (e) => exit(reportError(e)));
