import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { compileC } from '../../helpers/c-program.js';
import { runCliBatch } from '../../helpers/cli.js';
import { noCorePatternReason, withCorePattern } from '../../helpers/core-pattern.js';
import { lldbBatch } from '../../helpers/lldb.js';
import { gdbPath, gdbSkip, lldbSkip } from '../../helpers/target.js';

/**
 * `dumpkit convert CORE --to full` on real cores of a real multi-threaded program: one made by
 * gdb's gcore of the live process, one written by the kernel when the program dies of SIGSEGV
 * (core_pattern set through withCorePattern), and a zstd-compressed copy as systemd-coredump keeps
 * them. LLDB on each minidump must show the threads, registers and memory bytes gdb shows in the
 * core. The worker threads sit in a raw pause() syscall with known values in r12 and r13.
 */

const SOURCE = `#define _GNU_SOURCE
#include <pthread.h>
#include <stdio.h>
#include <unistd.h>
volatile unsigned char marker[64] = "DUMPKIT-ELFCORE-MARKER:0123456789abcdef";
static volatile int ready;
static void *worker(void *arg) {
  long n = (long)arg;
  __sync_fetch_and_add(&ready, 1);
  /* r12 and r13 hold known values while the thread sleeps in pause() forever */
  asm volatile("mov %0, %%r12\\n\\tmov %1, %%r13\\n1:\\n\\tmov $34, %%eax\\n\\tsyscall\\n\\tjmp 1b"
               : : "r"(0x1200000000000000L + n), "r"((long)marker) : "r12", "r13", "rax", "rcx", "r11", "memory");
  return 0;
}
int main(int argc, char **argv) {
  pthread_t t[3];
  for (long i = 0; i < 3; i++) pthread_create(&t[i], 0, worker, (void *)i);
  while (ready < 3) usleep(1000);
  usleep(50000);
  printf("ready %d %p\\n", getpid(), (void *)marker);
  fflush(stdout);
  if (argc > 1) *(volatile int *)0x42 = 1;
  for (;;) pause();
}
`;

const which = (cmd: string): boolean => spawnSync('sh', ['-c', `command -v ${cmd}`]).status === 0;
const zstdSkip = which('zstd') ? false : process.env.CI ? (() => { throw new Error('CI=true but zstd is missing (.ci/run installs it)'); })() : 'zstd not installed (apt-get install zstd)';

interface ThreadRegs {
  tid: number;
  regs: Record<string, bigint>;
}
const REGS = ['rip', 'rsp', 'rbp', 'r12', 'r13'];

/** gdb's view of a core: each thread's registers and 16 bytes of the marker. */
function gdbOnCore(prog: string, core: string, marker: bigint): { threads: ThreadRegs[]; bytes: number[]; text: string } {
  const r = spawnSync(gdbPath ?? 'gdb', ['-nx', '-batch', '-ex', 'info threads', '-ex', `thread apply all info registers ${REGS.join(' ')}`, '-ex', `x/16xb 0x${marker.toString(16)}`, prog, core], {
    encoding: 'utf8',
    timeout: 60_000,
  });
  const text = r.stdout;
  const threads: ThreadRegs[] = [];
  for (const part of text.split(/\nThread \d+ \(/).slice(1)) {
    const tid = Number(/LWP (\d+)/.exec(part)?.[1]);
    const regs: Record<string, bigint> = {};
    for (const m of part.matchAll(/^(\w+)\s+(0x[0-9a-f]+)/gm)) if (REGS.includes(m[1]!)) regs[m[1]!] = BigInt(m[2]!);
    threads.push({ tid, regs });
  }
  const bytes = [...text.matchAll(/<marker\+?\d*>:((?:\t0x[0-9a-f]{2})+)/g)].flatMap((m) => m[1]!.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  return { threads, bytes, text };
}

/** LLDB's view of a minidump: the same, plus each thread's stop reason. */
function lldbOnDump(dump: string, count: number, marker: bigint): { threads: (ThreadRegs & { stop: string })[]; bytes: number[]; text: string } {
  const cmds = ['thread list'];
  for (let i = 1; i <= count; i++) cmds.push(`thread select ${i}`, `register read ${REGS.join(' ')}`);
  cmds.push(`memory read --size 1 --count 16 0x${marker.toString(16)}`);
  const text = lldbBatch(dump, cmds);
  const list = [...text.matchAll(/thread #(\d+): tid = (\d+),[^\n]*?(?:stop reason = ([^\n]+))?$/gm)].map((m) => ({ index: Number(m[1]), tid: Number(m[2]), stop: m[3] ?? '' }));
  const threads = list.map((t) => {
    const part = text.split(`(lldb) thread select ${t.index}\n`)[1]?.split('(lldb) thread select')[0]?.split('(lldb) memory read')[0] ?? '';
    const regs: Record<string, bigint> = {};
    for (const m of part.matchAll(/^\s+(\w+) = (0x[0-9a-f]+)/gm)) if (REGS.includes(m[1]!)) regs[m[1]!] = BigInt(m[2]!);
    return { tid: t.tid, stop: t.stop, regs };
  });
  const bytes = [...text.matchAll(/^0x[0-9a-f]+: ((?:[0-9a-f]{2} ){16})/gm)].flatMap((m) => m[1]!.trim().split(' ').map((h) => parseInt(h, 16)));
  return { threads, bytes, text };
}

function sameAsGdb(prog: string, core: string, dump: string, marker: bigint): { tid: number; stop: string; regs: Record<string, bigint> }[] {
  const g = gdbOnCore(prog, core, marker);
  assert.ok(g.threads.length >= 4, `gdb sees the threads:\n${g.text}`);
  const l = lldbOnDump(dump, g.threads.length, marker);
  assert.deepEqual(
    l.threads.map((t) => t.tid).sort(),
    g.threads.map((t) => t.tid).sort(),
    `same threads\n${l.text}`,
  );
  for (const gt of g.threads) {
    const lt = l.threads.find((t) => t.tid === gt.tid)!;
    assert.deepEqual(lt.regs, gt.regs, `thread ${gt.tid}: LLDB on the minidump vs gdb on the core\n${l.text}\n${g.text}`);
  }
  assert.equal(g.bytes.length, 16, g.text);
  assert.deepEqual(l.bytes, g.bytes, 'the marker bytes');
  assert.deepEqual(Buffer.from(g.bytes).toString('latin1'), 'DUMPKIT-ELFCORE-');
  return l.threads;
}

function workersHoldKnownValues(threads: { regs: Record<string, bigint> }[], marker: bigint): void {
  const r12s = threads.map((t) => t.regs.r12).filter((v) => v !== undefined && v >> 56n === 0x12n);
  assert.deepEqual(r12s.sort(), [0x1200000000000000n, 0x1200000000000001n, 0x1200000000000002n]);
  assert.equal(threads.filter((t) => t.regs.r13 === marker).length, 3);
}

describe('convert on real ELF cores, checked with gdb and LLDB', { skip: gdbSkip || lldbSkip }, () => {
  let dir: string;
  let prog: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dumpkit-elfcore-'));
    prog = compileC('elfcore-target', SOURCE, ['-O1', '-g', '-pthread'])!;
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  test("gcore's core of a live process", async () => {
    const child = spawn(prog, [], { stdio: ['ignore', 'pipe', 'inherit'] });
    try {
      const line = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (d: Buffer) => {
          out += d.toString();
          if (out.includes('\n')) resolve(out);
        });
        child.on('exit', () => reject(new Error('the target exited')));
      });
      const [, pid, addr] = /ready (\d+) (0x[0-9a-f]+)/.exec(line)!;
      const core = join(dir, 'gcore.core');
      const g = spawnSync(gdbPath ?? 'gdb', ['-nx', '-batch', '-p', pid!, '-ex', `gcore ${core}`], { encoding: 'utf8', timeout: 60_000 });
      assert.ok(existsSync(core), `gcore wrote no core: ${g.stdout}${g.stderr}`);
      const [conv] = runCliBatch([['convert', core, '--to', 'full', '-o', join(dir, 'gcore.dmp'), '--json']]);
      assert.equal(conv!.code, 0, conv!.stderr);
      const threads = sameAsGdb(prog, core, join(dir, 'gcore.dmp'), BigInt(addr!));
      workersHoldKnownValues(threads, BigInt(addr!));
    } finally {
      child.kill('SIGKILL');
    }
  });

  test('a core the kernel wrote on SIGSEGV, and its zstd copy', { skip: noCorePatternReason() }, async (t) => {
    const pattern = join(dir, 'kcore.%p');
    const run = await withCorePattern(pattern, async () => spawnSync('sh', ['-c', `ulimit -c unlimited && exec ${prog} crash`], { encoding: 'utf8', timeout: 60_000 }));
    assert.equal(run.signal, 'SIGSEGV', run.stderr);
    const [, pid, addr] = /ready (\d+) (0x[0-9a-f]+)/.exec(run.stdout)!;
    const marker = BigInt(addr!);
    const core = join(dir, `kcore.${pid}`);
    assert.ok(existsSync(core), 'the kernel wrote the core');
    const runs: string[][] = [
      ['convert', core, '--to', 'full', '-o', join(dir, 'kcore.dmp')],
      ['info', core, '--json'],
    ];
    if (!zstdSkip) {
      const z = spawnSync('zstd', ['-q', core, '-o', `${core}.zst`], { encoding: 'utf8' });
      assert.equal(z.status, 0, z.stderr);
      runs.push(['convert', `${core}.zst`, '--to', 'full', '-o', join(dir, 'kcore-zst.dmp')]);
    } else t.diagnostic(`zstd copy skipped: ${zstdSkip}`);
    const results = runCliBatch(runs);
    for (const r of results) assert.equal(r.code, 0, `${r.args.join(' ')}: ${r.stderr}`);
    const info = JSON.parse(results[1]!.stdout) as { signal: { name: string; code: number; address: string; threadId: number }; process: { pid: number } };
    assert.deepEqual(info.signal, { number: 11, name: 'SIGSEGV', code: 1, address: '0x42', threadId: Number(pid) });
    assert.equal(info.process.pid, Number(pid));
    for (const dump of ['kcore.dmp', ...(zstdSkip ? [] : ['kcore-zst.dmp'])]) {
      const threads = sameAsGdb(prog, core, join(dir, dump), marker);
      workersHoldKnownValues(threads, marker);
      const crashed = threads.find((x) => x.tid === Number(pid))!;
      assert.match(crashed.stop, /signal SIGSEGV/, `${dump}: LLDB names the signal from the Exception stream`);
    }
  });
});
