import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { copyFileSync, existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, tempDir } from '../../helpers/c-program.js';
import { projectRoot } from '../../helpers/cli.js';
import { buildTarget, NO_32_BIT } from '../../helpers/target.js';
import { recentLog } from '../../../src/node/handler/crash-log.js';
import { acquireSlot } from '../../../src/node/handler/slots.js';

/**
 * What the handler tests share: the built CLI (the kernel runs bin/dumpkit.cjs → dist/cli, with
 * absolute paths and no working directory of ours), a crashing test program, and the handler's log.
 */
export const binEntry = join(projectRoot, 'bin', 'dumpkit.cjs');

function newestMtime(dir: string): number {
  let newest = 0;
  for (const name of readdirSync(dir)) {
    const p = join(dir, name);
    const st = statSync(p);
    newest = Math.max(newest, st.isDirectory() ? newestMtime(p) : st.mtimeMs);
  }
  return newest;
}

/**
 * Builds dist/cli (npm run build's CLI step) when it is missing or older than src/. The test files
 * that need it run side by side: one builds while holding a slot (the handler's own semaphore, one
 * slot; the build empties dist/cli first) and the others wait for it, then find it fresh.
 */
export async function ensureBuiltCli(): Promise<void> {
  const main = join(projectRoot, 'dist', 'cli', 'main.cjs');
  const fresh = (): boolean => existsSync(main) && statSync(main).mtimeMs >= newestMtime(join(projectRoot, 'src'));
  if (fresh()) return;
  const slot = (await acquireSlot(`${projectRoot}:build`, 1))!;
  try {
    if (fresh()) return;
    const r = spawnSync(process.execPath, [join(projectRoot, 'scripts', 'build.mjs'), '--cli-only'], { cwd: projectRoot, encoding: 'utf8' });
    if (r.status !== 0) throw new Error(`building the CLI failed: ${r.stderr}`);
  } finally {
    await slot.release();
  }
}

/** Runs the built CLI. */
export function cli(args: string[], options: { input?: string | Buffer; env?: Record<string, string>; uid?: number; gid?: number } = {}) {
  return spawnSync(process.execPath, [binEntry, ...args], {
    encoding: 'utf8',
    input: options.input,
    env: { ...process.env, ...options.env },
    uid: options.uid,
    gid: options.gid,
    timeout: 60_000,
  });
}

/** A C program that prints its pid, optionally waits for a byte on stdin, then dies of the signal asked for. */
export const CRASHER_C = `#define _GNU_SOURCE
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
int main(int argc, char **argv) {
  const char *how = argc > 1 ? argv[1] : "segv";
  char c = 0;
  printf("%d\\n", getpid());
  fflush(stdout);
  if (argc > 2 && read(0, &c, 1) < 0) return 3;
  if (!strcmp(how, "segv")) *(volatile int *)0x10 = 1;
  else if (!strcmp(how, "abrt")) abort();
  else if (!strcmp(how, "fpe")) { volatile int a = 1, b = 0; a = a / b; }
  else if (!strcmp(how, "bus")) {
    /* a shared mapping of an empty file: touching it is SIGBUS */
    int fd = memfd_create("dk-bus", 0);
    volatile char *p = mmap(0, 4096, PROT_READ, MAP_SHARED, fd, 0);
    c = *p;
  }
  return 1;
}
`;

/** The crasher built for 64 or 32 bits, copied under `name` (the executable name the handler keys settings by); undefined when no 32-bit program can run here. */
export function crasher(bits: 64 | 32, name: string): string | undefined {
  if (bits === 32 && !buildTarget(32)) return undefined;
  const built = compileC('crasher', CRASHER_C, bits === 32 ? ['-m32', '-O0', '-g'] : ['-O0', '-g']);
  if (!built) return undefined;
  const path = join(tempDir(), name);
  if (!existsSync(path)) copyFileSync(built, path);
  return path;
}

export { NO_32_BIT };

/** Runs the crasher until it dies; resolves with its pid and how it ended. */
export function crash(binary: string, how: string): Promise<{ pid: number; signal: NodeJS.Signals | null }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [how], { stdio: ['ignore', 'pipe', 'ignore'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
    child.once('error', reject);
    child.once('close', (_code, signal) => resolve({ pid: Number(out.trim()), signal }));
  });
}

/** Starts a crasher that waits for a byte on stdin; resolves once it has printed its pid. */
export function waitingCrasher(binary: string, how: string): Promise<{ child: ChildProcessByStdio<Writable, Readable, null>; pid: number; ended: Promise<NodeJS.Signals | null> }> {
  return new Promise((resolve, reject) => {
    const child = spawn(binary, [how, 'wait'], { stdio: ['pipe', 'pipe', 'ignore'] });
    const ended = new Promise<NodeJS.Signals | null>((r) => child.once('close', (_c, s) => r(s)));
    child.once('error', reject);
    child.stdout.setEncoding('utf8').once('data', (d: string) => resolve({ child, pid: Number(d.trim()), ended }));
  });
}

export type LogLine = { time: string; fields: Record<string, string> };

/** Waits until the log has a finished line for each pid; returns them by pid. */
export async function waitForLog(logFile: string, pids: number[], timeoutMs = 60_000): Promise<Map<number, LogLine>> {
  const end = Date.now() + timeoutMs;
  for (;;) {
    const found = new Map<number, LogLine>();
    for (const l of recentLog(logFile, 10_000)) {
      const pid = Number(l.fields.pid);
      if (pids.includes(pid) && l.fields.result) found.set(pid, l);
    }
    if (found.size === pids.length) return found;
    if (Date.now() > end) throw new Error(`the handler logged ${found.size} of ${pids.length} crashes within ${timeoutMs} ms (${logFile})`);
    await new Promise((r) => setTimeout(r, 50));
  }
}
