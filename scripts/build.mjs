#!/usr/bin/env node
// `npm run build`:
//  1. tsc compiles src/ into dist/ (the library: JavaScript + .d.ts, what `import 'dumpkit'` loads);
//  2. Vite builds the browser app (src/ui) into dist/ui, the static files `dumpkit ui` serves;
//  3. esbuild bundles the CLI into dist/cli/ (what bin/dumpkit.mjs runs). Start-up time is mostly
//     loading modules, so a command loads as few files as possible, and only its own code:
//       dist/cli/main.js          the entry (src/node/cli/main.ts) with commander;
//       dist/cli/commands/<c>.js  one self-contained bundle per src/node/cli/commands/<c>.ts, found by
//                                 listing that folder (a new command file needs no registration here
//                                 either); main discovers them by listing dist/cli/commands/ as before;
//       dist/cli/errors.js        src/core/errors.ts, the one module they share, so that main's
//                                 `instanceof DumpError` sees the class the commands throw.
//     `dumpkit info` thus loads three files. koffi and better-sqlite3 (native code) stay external packages.
// `--cli-only` skips steps 1 and 2; `--cli-out DIR` bundles into DIR instead of dist/cli (for the test).
import { spawnSync } from 'node:child_process';
import { readdirSync, rmSync } from 'node:fs';
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
  format: 'esm',
  platform: 'node',
  target: 'node20',
  external: ['koffi', 'better-sqlite3'], // native code: loaded from node_modules
  // commander is CommonJS: give the bundle a `require` for the Node built-ins it asks for
  banner: { js: "import { createRequire as __dumpkitCreateRequire } from 'node:module'; const require = __dumpkitCreateRequire(import.meta.url);" },
  // fewer bytes to read and parse at every start-up; names are kept, the source map gives lines
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
};
const commands = readdirSync(resolve(root, cliDir, 'commands'))
  .filter((f) => f.endsWith('.ts') && !f.endsWith('.d.ts'))
  .map((f) => `${cliDir}/commands/${f}`);

rmSync(out, { recursive: true, force: true });
await Promise.all([
  build({ ...common, entryPoints: [errorsTs], outfile: `${out}/errors.js` }),
  build({ ...common, entryPoints: [`${cliDir}/main.ts`], outfile: `${out}/main.js`, plugins: [sharedErrors('./errors.js'), lazyChildProcessForCommander] }),
  build({ ...common, entryPoints: commands, outdir: `${out}/commands`, plugins: [sharedErrors('../errors.js')] }),
]);
