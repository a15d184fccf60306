// Finding processes by name (src/node/capture/processes.ts): findProcesses, and the scanner that
// monitor --wait runs every interval with each process's comm kept open between scans.
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { copyFileSync, mkdtempSync, readdirSync, readlinkSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { findProcesses, ProcessNameScanner } from '../../../src/node/capture/processes.js';

const sleep = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** This process's descriptors open on /proc/PID/comm, as "PID". */
function commDescriptors(): string[] {
  const out: string[] = [];
  for (const fd of readdirSync('/proc/self/fd')) {
    try {
      const m = /^\/proc\/(\d+)\/comm$/.exec(readlinkSync(`/proc/self/fd/${fd}`));
      if (m) out.push(m[1]!);
    } catch {
      // the listing's own descriptor, closed meanwhile
    }
  }
  return out;
}

test('ProcessNameScanner: a process found by name after it execs (its comm kept open since it started under another name), forgotten when it exits', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-scan-'));
  const name = `dkscan${process.pid % 100000}`; // ≤ 15 characters: comm keeps it whole
  copyFileSync('/bin/sleep', join(dir, name));
  const scanner = new ProcessNameScanner();
  const child = spawn('/bin/sh', ['-c', `sleep 0.6; exec "${join(dir, name)}" 30`], { stdio: 'ignore' });
  try {
    await sleep(150);
    assert.deepEqual(scanner.find([name]), [], 'still the shell');
    assert.ok(commDescriptors().includes(String(child.pid)), 'the shell\'s comm is kept open');
    let found: number[] = [];
    for (let i = 0; i < 40 && found.length === 0; i++) {
      await sleep(50);
      found = scanner.find(['no-such-name', name]);
    }
    assert.deepEqual(found, [child.pid], 'found once it has exec\'d');
    assert.deepEqual(findProcesses(name), [child.pid], 'findProcesses agrees');
    child.kill('SIGKILL');
    await new Promise((r) => child.once('exit', r));
    assert.deepEqual(scanner.find([name]), []);
    assert.ok(!commDescriptors().includes(String(child.pid)), 'its descriptor is closed');
    // with no descriptors kept the scanner still finds by open, read, close
    const other = spawn(join(dir, name), ['30'], { stdio: 'ignore' });
    try {
      await sleep(100);
      const none = new ProcessNameScanner(0);
      assert.deepEqual(none.find([name]), [other.pid]);
      assert.ok(!commDescriptors().includes(String(other.pid)));
    } finally {
      other.kill('SIGKILL');
    }
  } finally {
    child.kill('SIGKILL');
    scanner.close();
    rmSync(dir, { recursive: true, force: true });
  }
  assert.deepEqual(commDescriptors(), [], 'close() closes every kept descriptor');
});
