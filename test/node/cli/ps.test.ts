import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { Machine } from '../../../src/core/machine/machine.js';
import { runCli } from '../../helpers/cli.js';

// `dumpkit ps` and `dumpkit stack` on a kernel dump that `dumpkit machine` wrote, against the same
// model built in this process (a seed gives the same machine every time).
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-ps-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'workstation', seed: 9 });
const file = join(dir, 'kernel.dmp');
const made = runCli(['machine', '--ram', '256M', '--seed', '9', '--dump-type', '6', '-o', file]);

test('dumpkit ps --json lists the model\'s processes: pid, name, DTB, thread count, session', () => {
  assert.equal(made.status, 0, made.stderr);
  const r = runCli(['ps', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout) as { processes: Record<string, unknown>[]; diagnostics: string[] };
  assert.deepEqual(out.diagnostics, []);
  assert.deepEqual(
    out.processes.map((p) => [p.pid, p.name, p.dtb, p.threads, p.sessionId]),
    m.processes.map((p) => [p.pid, p.name.slice(0, 14), `0x${p.dtb.toString(16)}`, p.threads.length, p.sessionId]),
  );
});

test('dumpkit ps (text): one line per process with its columns', () => {
  const r = runCli(['ps', file]);
  assert.equal(r.status, 0, r.stderr);
  const lines = r.stdout.trim().split('\n');
  assert.match(lines[0]!, /PID\s+PPID\s+Name\s+DTB\s+Threads\s+Session/);
  assert.equal(lines.length, 1 + m.processes.length);
  const explorer = m.processes.find((p) => p.name === 'explorer.exe')!;
  assert.ok(lines.some((l) => new RegExp(`^\\s*${explorer.pid}\\s+\\d+\\s+explorer\\.exe\\s+0x${explorer.dtb.toString(16)}\\s+${explorer.threads.length}\\s+1$`).test(l)));
});

test('dumpkit stack --json on the kernel dump: the crashing thread as the model built it, down to its user-mode frame', () => {
  const r = runCli(['stack', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  const out = JSON.parse(r.stdout);
  const frames = out.crashing_thread.frames as { function: string | null; module: string | null; offset: string }[];
  const want = m.crashThread.stack.frames;
  assert.deepEqual(
    frames.map((f) => [f.module ?? '', f.function ?? '', f.offset]),
    // rust-minidump's "offset" of a caller frame is its return address - 1 (inside the call).
    want.map((f, i) => [f.module, f.function, `0x${(i === 0 ? f.instruction : f.instruction - 1n).toString(16).padStart(16, '0')}`]),
  );
  assert.equal(out.crash_info.type, 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M');
});

test('dumpkit ps refuses a minidump with a clear error', () => {
  const r = runCli(['ps', join(dir, 'missing.dmp')]);
  assert.notEqual(r.status, 0);
});
