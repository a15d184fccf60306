#!/usr/bin/env node
import { readdirSync, realpathSync } from 'node:fs';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { Command, CommanderError } from 'commander';
import { DumpError } from '../../core/errors.js';

/**
 * The dumpkit CLI. Each file in ./commands exports `register(program)`; they are discovered at
 * start so that adding a command touches one place.
 *
 * Exit codes: 0 success; 2 bad input (malformed dump, bad arguments, refused operation) with a
 * one-line message; 1 anything unexpected (one line too; set DUMPKIT_DEBUG=1 for the stack).
 */
export interface MainOptions {
  /** Loads a command file (default: `import()`; the bundled CLI loads it through the code cache). */
  loadCommand?: (file: string) => unknown;
}

export async function main(argv: string[], opts: MainOptions = {}): Promise<number> {
  const program = new Command('dumpkit')
    .description('Make, read, shrink and explain memory dumps (Windows minidumps and kernel dumps)')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (str, write) => write(str) });

  const dir = new URL('./commands/', import.meta.url);
  const files = readdirSync(dir)
    .filter((f) => /\.(ts|js|cjs)$/.test(f) && !f.endsWith('.d.ts'))
    .sort();
  // `dumpkit capture …` needs only commands/capture: loading the others would cost start-up time
  // (about 0.1 s). Help, version and unknown commands load them all.
  const named = files.filter((f) => f.replace(/\.(ts|js|cjs)$/, '') === argv[0]);
  for (const f of named.length === 1 ? named : files) {
    const url = new URL(f, dir);
    const mod = (opts.loadCommand ? opts.loadCommand(fileURLToPath(url)) : await import(url.href)) as { register?: (p: Command) => void };
    mod.register?.(program);
  }

  try {
    await program.parseAsync(argv, { from: 'user' });
    return typeof process.exitCode === 'number' ? process.exitCode : 0;
  } catch (e) {
    return reportError(e);
  }
}

export function reportError(e: unknown): number {
  if (e instanceof CommanderError) {
    // commander already printed the message (help, version, usage errors)
    return e.exitCode === 0 ? 0 : 2;
  }
  if (e instanceof DumpError) {
    process.stderr.write(`dumpkit: ${e.code}: ${e.message}\n`);
    if (process.env.DUMPKIT_DEBUG) process.stderr.write(`${e.stack}\n`);
    return e.code === 'NOT_IMPLEMENTED' || e.code === 'IO' || e.code === 'CAPTURE' ? 1 : 2;
  }
  const err = e as Error;
  process.stderr.write(`dumpkit: internal error: ${err?.message ?? String(e)}\n`);
  if (process.env.DUMPKIT_DEBUG) process.stderr.write(`${err?.stack}\n`);
  return 1;
}

const isMain = !!process.argv[1] && import.meta.url === pathToFileURL(realpathSync(process.argv[1])).href;
if (isMain || process.env.DUMPKIT_CLI_MAIN) {
  // Exit only once stdout has taken everything: process.exit() drops what a pipe has not read yet
  // (a kernel dump's `stack --json` runs past the 128 KiB a pipe holds).
  const exit = (code: number) => process.stdout.write('', () => process.exit(code));
  main(process.argv.slice(2)).then(exit, (e) => exit(reportError(e)));
}
