#!/usr/bin/env node
// `npm run build`:
//  1. tsc compiles src/ into dist/ (the library: JavaScript + .d.ts, what `import 'dumpkit'` loads);
//  2. Vite builds the browser app (src/ui) into dist/ui, the static files `dumpkit ui` serves;
//  3. esbuild bundles the CLI into dist/cli/ (what bin/dumpkit.cjs runs), as CommonJS. Start-up time
//     is mostly loading modules, so a command loads as few files as possible, and only its own code:
//       dist/cli/launch.cjs        the process entry (src/node/cli/launch.ts): loads the next two
//                                  through V8's code cache (src/node/cli/code-cache.ts);
//       dist/cli/main.cjs          src/node/cli/main.ts with commander;
//       dist/cli/commands/<c>.cjs  one self-contained bundle per src/node/cli/commands/<c>.ts, found by
//                                  listing that folder (a new command file needs no registration here
//                                  either); main discovers them by listing dist/cli/commands/ as before;
//       dist/cli/errors.cjs        src/core/errors.ts, the one module they share, so that main's
//                                  `instanceof DumpError` sees the class the commands throw.
//     `dumpkit info` thus loads four files. koffi and better-sqlite3 (native code) stay external packages.
// `--cli-only` skips steps 1 and 2; `--cli-out DIR` bundles into DIR instead of dist/cli (for the test).
import { spawnSync } from 'node:child_process';
import { copyFileSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = fileURLToPath(new URL('..', import.meta.url));
if (!process.argv.includes('--cli-only')) {
  const tsc = spawnSync(process.execPath, [fileURLToPath(new URL('../node_modules/typescript/bin/tsc', import.meta.url)), '-p', 'tsconfig.build.json'], { cwd: root, stdio: 'inherit' });
  if (tsc.status !== 0) process.exit(tsc.status ?? 1);
  const { build: viteBuild } = await import('vite');
  await viteBuild({ configFile: resolve(root, 'src/ui/vite.config.ts') });
}

const outArg = process.argv.indexOf('--cli-out');
const out = outArg > 0 ? resolve(process.argv[outArg + 1]) : resolve(root, 'dist/cli');
const cliDir = 'src/node/cli';
const errorsTs = resolve(root, 'src/core/errors.ts');

/** Imports of src/core/errors.ts become an import of the shared dist/cli/errors.js (`as` from the output file). */
function sharedErrors(as) {
  return {
    name: 'shared-errors',
    setup(b) {
      b.onResolve({ filter: /(^|\/)errors\.js$/ }, (args) =>
        resolve(args.resolveDir, args.path.replace(/\.js$/, '.ts')) === errorsTs ? { path: as, external: true } : undefined,
      );
    },
  };
}

/**
 * commander requires node:child_process at load, only to spawn executable subcommands (dumpkit has
 * none); loading it costs about 7 ms of every start-up. Give commander a stand-in that loads it on
 * first use.
 */
const lazyChildProcessForCommander = {
  name: 'lazy-child-process-for-commander',
  setup(b) {
    b.onResolve({ filter: /^(node:)?child_process$/ }, (args) =>
      /[\\/]node_modules[\\/]commander[\\/]/.test(args.importer) ? { path: 'child_process', namespace: 'lazy-builtin' } : undefined,
    );
    b.onLoad({ filter: /.*/, namespace: 'lazy-builtin' }, () => ({
      contents: "let m; module.exports = new Proxy({}, { get: (_, k) => (m ??= require('node:child_process'))[k] });",
      loader: 'js',
    }));
  },
};

const common = {
  absWorkingDir: root,
  bundle: true,
  // CommonJS, not ES modules: Node 20 starts CommonJS quicker and, above all, can load it through
  // V8's code cache (src/node/cli/code-cache.ts), which halves what dumpkit adds to Node's start-up
  format: 'cjs',
  outExtension: { '.js': '.cjs' },
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'better-sqlite3'], // native code: loaded from node_modules
  // import.meta.resolve is only reached from the sources under tsx (src/node/ui/live-worker.ts)
  define: { 'import.meta.url': '__dumpkit_import_meta_url', 'import.meta.resolve': 'undefined' },
  banner: { js: 'var __dumpkit_import_meta_url=require("node:url").pathToFileURL(__filename).href;' },
  // fewer bytes to read and parse at every start-up; names are kept, the source map gives lines
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  metafile: true,
  logLevel: 'warning',
};
const commands = readdirSync(resolve(root, cliDir, 'commands'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => `${cliDir}/commands/${f}`);

/**
 * A bundle that loads an external package with import() cannot run as a vm script on Node 20 (no
 * dynamic-import callback without an experimental flag): mark it so that the launcher requires it
 * as usual (NO_CODE_CACHE_MARK in src/node/cli/code-cache.ts; same line, so the source map holds).
 */
function markUncacheable(result) {
  for (const [file, output] of Object.entries(result.metafile.outputs)) {
    if (!file.endsWith('.cjs') || !output.imports.some((i) => i.kind === 'dynamic-import' && i.external)) continue;
    const path = resolve(root, file);
    writeFileSync(path, '/* dumpkit: no code cache */' + readFileSync(path, 'utf8'));
  }
}

rmSync(out, { recursive: true, force: true });
const results = await Promise.all([
  build({ ...common, entryPoints: [errorsTs], outfile: `${out}/errors.cjs` }),
  build({ ...common, entryPoints: [`${cliDir}/launch.ts`], outfile: `${out}/launch.cjs` }),
  build({ ...common, entryPoints: [`${cliDir}/main.ts`], outfile: `${out}/main.cjs`, plugins: [sharedErrors('./errors.cjs'), lazyChildProcessForCommander] }),
  build({ ...common, entryPoints: commands, outdir: `${out}/commands`, plugins: [sharedErrors('../errors.cjs')] }),
]);
results.forEach(markUncacheable);
// The resident handler's forwarder ships as C source: `dumpkit handler install --resident` compiles it.
copyFileSync(resolve(root, 'src/node/handler/forwarder.c'), `${out}/forwarder.c`);
