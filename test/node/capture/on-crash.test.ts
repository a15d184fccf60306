import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, describe, test } from 'node:test';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { FileSource } from '../../../src/node/file-source.js';
import { tsxLoader } from '../../helpers/cli.js';
import { lldbBatch } from '../../helpers/lldb.js';
import { buildTarget, gccSkip, lldbPath, RunningTarget } from '../../helpers/target.js';

/**
 * `capture --on-crash`: dumpkit follows the process and writes the dump when a thread is about to
 * die of a signal nobody handles, with an Exception stream naming that thread, the signal and the
 * faulting address; signals the process handles are passed on; the crash then takes its course.
 */
const mainTs = fileURLToPath(new URL('../../../src/node/cli/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-oncrash-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function run(args: string[]) {
  const child = spawn(process.execPath, ['--import', tsxLoader, mainTs, 'capture', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stdout = '';
  let stderr = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (stdout += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (stderr += d));
  const exit = new Promise<{ code: number | null; stdout: string; stderr: string }>((res) => child.once('exit', (code) => res({ code, stdout, stderr })));
  return { child, exit };
}

/** TracerPid of every thread of `pid`. */
function tracers(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).map((tid) => Number(/^TracerPid:\s*(\d+)/m.exec(readFileSync(`/proc/${pid}/task/${tid}/status`, 'utf8'))?.[1]));
}

async function until(cond: () => boolean, ms = 60_000): Promise<boolean> {
  const end = Date.now() + ms;
  while (!cond()) {
    if (Date.now() > end) return false;
    await new Promise((r) => setTimeout(r, 20));
  }
  return true;
}

describe('capture --on-crash', { skip: gccSkip }, () => {
  for (const bits of [64, 32] as const) {
  test(`${bits}-bit: a SIGSEGV in the main thread: dump with its Exception stream, handled signals passed on, then the process dies of it`, async (t) => {
    const binary = buildTarget(bits);
    if (!binary) return t.skip('no 32-bit gcc (apt-get install gcc-multilib)');
    const target = await RunningTarget.start(binary);
    const out = join(dir, `crash${bits}.dmp`);
    const cap = run([String(target.pid), '--on-crash', '--type', 'mini', '--json', '-o', out]);
    try {
      assert.ok(await until(() => tracers(target.pid).every((t) => t === cap.child.pid)), 'dumpkit follows every thread');
      // A signal the process handles is passed on at once, not taken for a crash.
      process.kill(target.pid, 'SIGUSR2');
      assert.equal(await target.command('usr2'), 1, 'the target handled its SIGUSR2');
      const ended = await target.crash();
      const r = await cap.exit;
      assert.equal(r.code, 0, r.stderr);
      assert.equal(ended.signal, 'SIGSEGV', 'the crash took its course after the capture');
      const rep = JSON.parse(r.stdout) as { crash: { threadId: number; signo: number; passedOn: number }; file: string };
      assert.deepEqual(rep.crash, { threadId: target.pid, signo: 11, passedOn: 1 });

      const source = FileSource.open(out);
      try {
        const dump = await Minidump.open(source);
        const ex = await dump.exception();
        assert.ok(ex, 'an Exception stream');
        assert.equal(ex.threadId, target.pid, 'the crashing thread: main');
        assert.equal(ex.exceptionCode, 11, 'code = the signal (SIGSEGV), as Breakpad writes it on Linux');
        assert.equal(ex.exceptionAddress, 0x10n, 'the faulting address (si_addr)');
        const threads = await dump.threads();
        assert.equal(threads.length, target.info.threads.length, 'every thread');
      } finally {
        await source.close();
      }
      if (lldbPath) {
        const text = lldbBatch(out, ['thread list']);
        assert.match(text, new RegExp(`tid = ${target.pid},.*stop reason = signal SIGSEGV`), `LLDB shows the crash: ${text}`);
      }
    } finally {
      cap.child.kill('SIGKILL');
      await target.stop();
    }
  });
  }

  test('no crash within --crash-timeout: a clear error, no dump, and the process runs on untraced', async () => {
    const target = await RunningTarget.start(buildTarget(64)!);
    const out = join(dir, 'none.dmp');
    try {
      const r = await run([String(target.pid), '--on-crash', '--crash-timeout', '0.5', '-o', out]).exit;
      assert.equal(r.code, 2);
      assert.match(r.stderr, /did not crash within 500 ms/);
      assert.ok(tracers(target.pid).every((t) => t === 0), 'no thread is traced any more');
      assert.ok(await target.makesProgress());
      assert.ok(!readdirSync(dir).includes('none.dmp'));
    } finally {
      await target.stop();
    }
  });
});
