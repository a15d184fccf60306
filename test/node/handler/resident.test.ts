import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, } from 'node:fs';
import { connect } from 'node:net';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { noCorePatternReason, withCorePattern } from '../../helpers/core-pattern.js';
import { gccSkip, gdbSkip } from '../../helpers/target.js';
import { binEntry, checkCrashDump, cli, crash, crasher, handlerLayout, handlerSetup, waitForLog, waitingCrasher } from './handler-helpers.js';

/**
 * The resident handler for real (kernel.core_pattern changed only through withCorePattern):
 * `handler install --resident` compiles the forwarder and points the pattern at it; with
 * `handler daemon` running, SIGSEGV and SIGABRT crashes leave the same minidumps as the per-crash
 * handler's (registers checked against gdb's reading of the kept core), logged via=daemon; a
 * forwarder that sends half a message is survived; 50 simultaneous crashes leave 50 dumps; with
 * the daemon stopped, the forwarder falls back to the Node handler and the dump is still written.
 */
const dir = mkdtempSync('/tmp/dkr-');
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = gccSkip || noCorePatternReason() || false;
const { node, entry, configPath, stateDir } = handlerLayout(dir);
const socket = join(dir, 'run', 'h.sock');
const forwarder = join(dir, 'libexec', 'dumpkit-core-forward');
const folders = { main: join(dir, 'main'), storm: join(dir, 'storm') };
const logFile = join(folders.main, 'dumpkit-handler.log');

before(async () => {
  if (skip) return;
  await handlerSetup(dir, {
    DumpFolder: folders.main,
    KeepCore: true,
    MaxConcurrent: 2,
    Applications: { 'dk-res-storm': { DumpFolder: folders.storm, DumpCount: 100, KeepCore: false } },
  });
});

function startDaemon(): Promise<ChildProcess> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, [binEntry, 'handler', 'daemon', '--socket', socket, '--config', configPath], { stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr!.setEncoding('utf8').on('data', (d: string) => {
      err += d;
      if (err.includes('listening on')) resolve(child);
    });
    child.once('exit', (code) => reject(new Error(`the daemon exited (${code}): ${err}`)));
  });
}

async function stopDaemon(child: ChildProcess): Promise<void> {
  const exited = new Promise((r) => child.once('exit', r));
  child.kill('SIGTERM');
  await exited;
}

describe('the resident crash handler (daemon and forwarder), installed for real', { skip }, () => {
  test('install --resident, crashes through the daemon, a broken forwarder, a storm of 50, the fallback without the daemon', async (t) => {
    await withCorePattern('core.%p-dumpkit-resident-test', async () => {
      const inst = cli(['handler', 'install', '--resident', '--forwarder', forwarder, '--socket', socket, '--entry', entry, '--node', node, '--config', configPath, '--state-dir', stateDir]);
      assert.equal(inst.status, 0, inst.stderr);
      assert.match(inst.stdout, /resident: forwarder .* hands crashes to the daemon/);
      assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim(), `|${forwarder} %P %i %s %t %e`);
      assert.equal(statSync(forwarder).mode & 0o777, 0o755);
      let daemon = await startDaemon();
      try {
        assert.equal(statSync(socket).mode & 0o777, 0o600, 'the socket is 0600');
        assert.match(cli(['handler', 'status', '--config', configPath, '--state-dir', stateDir]).stdout, new RegExp(`^resident: forwarder ${forwarder}, daemon socket ${socket} \\(present\\)$`, 'm'));

        await t.test('SIGSEGV and SIGABRT: minidumps through the daemon, with the kernel\'s registers', async (st) => {
          if (gdbSkip) return st.skip(gdbSkip);
          const exe = crasher(64, 'dk-res64')!;
          for (const [how, name] of [['segv', 'SIGSEGV'], ['abrt', 'SIGABRT']] as const) {
            const ended = await crash(exe, how);
            assert.equal(ended.signal, name);
            const line = (await waitForLog(logFile, [ended.pid])).get(ended.pid)!;
            assert.equal(line.fields.result, 'ok', JSON.stringify(line));
            assert.equal(line.fields.via, 'daemon', 'handled by the daemon, not a Node per crash');
            assert.equal(line.fields.dump, join(folders.main, `dk-res64.${ended.pid}.dmp`));
            assert.match(readFileSync(`/proc/${daemon.pid}/cmdline`, 'utf8'), /handler\0daemon/, 'the daemon still runs');
            await checkCrashDump(line, { exe, bits: 64, pid: ended.pid, signal: name, type: 'mini' });
          }
        });

        await t.test('a forwarder that dies mid-message, or sends garbage: the daemon logs it and goes on', async () => {
          for (const bytes of [Buffer.from('DKF1\x40\x00\x00\x0012'), Buffer.from('not a forwarder')]) {
            await new Promise<void>((resolve, reject) => {
              const c = connect(socket, () => c.end(bytes));
              c.on('close', () => resolve()).on('error', reject);
            });
          }
          const exe = crasher(64, 'dk-res64')!;
          const ended = await crash(exe, 'segv');
          const line = (await waitForLog(logFile, [ended.pid])).get(ended.pid)!;
          assert.equal(line.fields.result, 'ok');
          assert.equal(line.fields.via, 'daemon');
          const errors = readFileSync(logFile, 'utf8').split('\n').filter((l) => l.includes('error="forwarder:'));
          assert.equal(errors.length, 2, errors.join('\n'));
          assert.match(errors[0]!, /the forwarder went away after 10 bytes/);
          assert.match(errors[1]!, /not a forwarder message/);
        });

        await t.test('a storm of 50 crashes within a second: 50 dumps, all through the daemon', async () => {
          const exe = crasher(64, 'dk-res-storm')!;
          const procs = await Promise.all(Array.from({ length: 50 }, () => waitingCrasher(exe, 'segv')));
          for (const p of procs) p.child.stdin.end('x');
          const signals = await Promise.all(procs.map((p) => p.ended));
          assert.ok(signals.every((s) => s === 'SIGSEGV'));
          const lines = await waitForLog(logFile, procs.map((p) => p.pid), 80_000);
          assert.deepEqual([...lines.values()].map((l) => `${l.fields.result} ${l.fields.via}`), Array(50).fill('ok daemon'));
          assert.equal(readdirSync(folders.storm).filter((f) => f.endsWith('.dmp')).length, 50);
        });

        await t.test('daemon not running: the forwarder falls back to the Node handler, the dump is written', async () => {
          await stopDaemon(daemon);
          assert.ok(!existsSync(socket), 'the daemon removed its socket');
          const exe = crasher(64, 'dk-res64')!;
          const ended = await crash(exe, 'abrt');
          const line = (await waitForLog(logFile, [ended.pid])).get(ended.pid)!;
          assert.equal(line.fields.result, 'ok', JSON.stringify(line));
          assert.equal(line.fields.via, undefined, 'the per-crash Node handler');
          assert.ok(Number(line.fields.processMs) > 0);
          if (!gdbSkip) await checkCrashDump(line, { exe, bits: 64, pid: ended.pid, signal: 'SIGABRT', type: 'mini' });
          daemon = await startDaemon();
          const again = await crash(exe, 'segv');
          assert.equal((await waitForLog(logFile, [again.pid])).get(again.pid)!.fields.via, 'daemon', 'started again, the daemon takes crashes again');
        });
      } finally {
        if (daemon.exitCode === null && daemon.signalCode === null) await stopDaemon(daemon);
      }
      const un = cli(['handler', 'uninstall', '--state-dir', stateDir]);
      assert.equal(un.status, 0, un.stderr);
      assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim(), 'core.%p-dumpkit-resident-test');
    });
  });
});
