#!/usr/bin/env node
// `npm run demo`: the quick start's main job. Builds dumpkit, then runs its main workflows with the
// published CLI entry (bin/dumpkit.cjs), printing each command before its output:
//   1. capture a live process as a minidump (mini and full) and explain it;
//   2. model a Windows machine, plan its dump varieties, write a Complete dump;
//   3. derive a Kernel and a Small dump from it and show what each can still answer.
// Everything goes to ./demo-out (created, and replaced on each run).
import { spawn, spawnSync } from 'node:child_process';
import { mkdirSync, rmSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));
const out = 'demo-out';
process.chdir(root);

function step(title) {
  process.stdout.write(`\n### ${title}\n`);
}
function dumpkit(args, { allowFail = false, maxLines = 40 } = {}) {
  process.stdout.write(`$ dumpkit ${args.join(' ')}\n`);
  const r = spawnSync(process.execPath, ['bin/dumpkit.cjs', ...args], { encoding: 'utf8' });
  const text = (r.stdout + r.stderr).trimEnd().split('\n');
  process.stdout.write(text.slice(0, maxLines).join('\n') + (text.length > maxLines ? `\n  … (${text.length - maxLines} more lines)` : '') + '\n');
  if (r.status !== 0 && !allowFail) {
    process.stdout.write(`(exit ${r.status})\n`);
    process.exit(r.status ?? 1);
  }
  return r;
}

step('build (npm run build: tsc → dist/, Vite → dist/ui/, esbuild → dist/cli/)');
const build = spawnSync(process.execPath, ['scripts/build.mjs'], { stdio: 'inherit' });
if (build.status !== 0) process.exit(build.status ?? 1);
rmSync(out, { recursive: true, force: true });
mkdirSync(out);

step('1. capture a running process (a `sleep` started for the demo)');
const target = spawn('sleep', ['300'], { stdio: 'ignore' });
try {
  const mini = dumpkit(['capture', String(target.pid), '--type', 'mini', '-o', `${out}/sleep-mini.dmp`, '--json'], { allowFail: true });
  if (mini.status === 0) {
    dumpkit(['capture', String(target.pid), '--type', 'full', '-o', `${out}/sleep-full.dmp`, '--json']);
    dumpkit(['info', `${out}/sleep-mini.dmp`], { maxLines: 25 });
    // Its stack, named from the binaries on this machine (ELF symbols and .eh_frame found by build id).
    dumpkit(['stack', `${out}/sleep-mini.dmp`], { maxLines: 30 });
  } else {
    process.stdout.write('(capture needs ptrace rights over the target: run as root, with CAP_SYS_PTRACE, or with kernel.yama.ptrace_scope=0; the rest of the demo goes on)\n');
  }
} finally {
  target.kill('SIGKILL');
}

step('2. model a 2 GiB workstation, plan its dumps, write its Complete memory dump');
dumpkit(['plan', 'workstation:2G']);
dumpkit(['machine', '--ram', '2G', '--profile', 'workstation', '-o', `${out}/MEMORY.DMP`]);
dumpkit(['info', `${out}/MEMORY.DMP`], { maxLines: 20 });

step('3. derive smaller dumps and see what each can still answer');
dumpkit(['convert', `${out}/MEMORY.DMP`, '--to', 'kernel', '-o', `${out}/kernel.dmp`]);
dumpkit(['info', `${out}/kernel.dmp`], { maxLines: 20 });
dumpkit(['convert', `${out}/kernel.dmp`, '--to', 'small', '-o', `${out}/small.dmp`]);
dumpkit(['info', `${out}/small.dmp`], { maxLines: 20 });
dumpkit(['convert', `${out}/kernel.dmp`, '--to', 'complete', '-o', `${out}/grown.dmp`], { allowFail: true });

step('4. explain the crash: the bug check, its parameters, the faulting driver, the processes');
dumpkit(['analyze', `${out}/kernel.dmp`], { maxLines: 45 });
dumpkit(['ps', `${out}/kernel.dmp`], { maxLines: 12 });
dumpkit(['dbg', `${out}/kernel.dmp`, '-c', '!process 0 0 explorer.exe; .bugcheck; q'], { maxLines: 25 });

process.stdout.write(`\nDone: the files are in ./${out}. Try: node bin/dumpkit.cjs info --json ${out}/small.dmp, or node bin/dumpkit.cjs ui (the Processes page and the viewer in a browser)\n`);
