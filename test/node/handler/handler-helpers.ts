import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessByStdio } from 'node:child_process';
import type { Readable, Writable } from 'node:stream';
import { copyFileSync, existsSync, readdirSync, statSync, symlinkSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { compileC, tempDir } from '../../helpers/c-program.js';
import { projectRoot } from '../../helpers/cli.js';
import { buildTarget, gdbPath, lldbPath, NO_32_BIT } from '../../helpers/target.js';
import { lldbBatch } from '../../helpers/lldb.js';
import { MinidumpType } from '../../../src/core/minidump/constants.js';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { FileSource } from '../../../src/node/file-source.js';
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

/** gdb's view of the crashing thread's registers in a core. */
export function gdbRegisters(exe: string, core: string): Map<string, bigint> {
  const r = spawnSync(gdbPath!, ['-batch', '-nx', '-c', core, exe, '-ex', 'info registers'], { encoding: 'utf8' });
  const regs = new Map<string, bigint>();
  for (const m of r.stdout.matchAll(/^(\w+)\s+(0x[0-9a-f]+)/gm)) regs.set(m[1]!, BigInt(m[2]!));
  return regs;
}

export const SIGNO = { SIGSEGV: 11, SIGABRT: 6, SIGFPE: 8, SIGBUS: 7 } as const;

/**
 * The checks every handled crash passes: the dump of the expected variety and time, its Exception
 * stream naming the signal and the crashing thread, the stack at sp present, the crashing thread's
 * registers equal to gdb's reading of the kept ELF core (KeepCore), LLDB showing a SIGSEGV.
 */
export async function checkCrashDump(line: LogLine, c: { exe: string; bits: 64 | 32; pid: number; signal: keyof typeof SIGNO; type: 'full' | 'mini' }): Promise<void> {
  const name = c.signal;
  const source = FileSource.open(line.fields.dump!);
  try {
    const dump = await Minidump.open(source);
    assert.equal(line.fields.type, c.type);
    assert.equal(dump.header.flags & BigInt(MinidumpType.MiniDumpWithFullMemory), c.type === 'full' ? BigInt(MinidumpType.MiniDumpWithFullMemory) : 0n);
    assert.ok(Math.abs(dump.header.timeDateStamp - Date.now() / 1000) < 120, 'the time of the crash (%t)');
    const ex = await dump.exception();
    assert.ok(ex, `${name}: an Exception stream`);
    assert.equal(ex.exceptionCode, SIGNO[name], `${name}: the signal number`);
    assert.equal(ex.threadId, c.pid, 'the crashing thread (main)');
    if (name === 'SIGSEGV') assert.equal(ex.exceptionAddress, 0x10n, 'si_addr');
    const ctx = await dump.context(ex.threadContext);
    assert.ok(ctx);
    assert.equal((await dump.readMemory(ctx.sp, 64)).length, 64, 'the stack at sp is in the dump');
    const kernel = gdbRegisters(c.exe, line.fields.core!);
    const names = c.bits === 64 ? ['rax', 'rbx', 'rcx', 'rdx', 'rsi', 'rdi', 'rbp', 'rsp', 'r8', 'r9', 'r10', 'r11', 'r12', 'r13', 'r14', 'r15', 'rip', 'eflags', 'cs', 'ss'] : ['eax', 'ebx', 'ecx', 'edx', 'esi', 'edi', 'ebp', 'esp', 'eip', 'eflags', 'cs', 'ss'];
    for (const r of names) {
      assert.ok(kernel.has(r), `gdb shows ${r}`);
      assert.equal(ctx.registers[r], kernel.get(r), `${name}: ${r} as in the kernel's core`);
    }
    if (lldbPath && name === 'SIGSEGV') {
      const text = lldbBatch(line.fields.dump!, ['thread list']);
      assert.match(text, new RegExp(`tid = ${c.pid},.*stop reason = signal SIGSEGV`), `LLDB opens the dump and shows the crash: ${text}`);
    }
  } finally {
    await source.close();
  }
}

/**
 * A handler's short-pathed setting in `dir` (the kernel's pattern holds at most 127 bytes): the
 * built CLI, `n` and `d.mjs` linked to node and bin/dumpkit.cjs, and `h.json` holding `config`.
 */
/** Where handlerSetup puts things in `dir`: the node and CLI links, the config file, and a folder for the handler's state. */
export function handlerLayout(dir: string): { node: string; entry: string; configPath: string; stateDir: string } {
  return { node: join(dir, 'n'), entry: join(dir, 'd.mjs'), configPath: join(dir, 'h.json'), stateDir: join(dir, 'state') };
}

export async function handlerSetup(dir: string, config: object): Promise<ReturnType<typeof handlerLayout>> {
  await ensureBuiltCli();
  const layout = handlerLayout(dir);
  symlinkSync(process.execPath, layout.node);
  symlinkSync(binEntry, layout.entry);
  writeFileSync(layout.configPath, JSON.stringify(config));
  return layout;
}
