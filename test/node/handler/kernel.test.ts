import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { chmodSync, cpSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { install, uninstall } from '../../../src/node/handler/install.js';
import { projectRoot } from '../../helpers/cli.js';
import { noCorePatternReason, withCorePattern } from '../../helpers/core-pattern.js';
import { gccSkip, gdbSkip } from '../../helpers/target.js';
import { checkCrashDump, cli, crash, crasher, handlerLayout, handlerSetup, NO_32_BIT, waitForLog, waitingCrasher, type LogLine } from './handler-helpers.js';

/**
 * The handler installed for real (through withCorePattern, which restores core_pattern and
 * core_pipe_limit whatever happens): crashing programs leave minidumps in DumpFolder whose
 * Exception stream names the signal and whose crashing thread's registers are the kernel's (the
 * ELF core kept alongside, read by gdb); DumpCount; a storm of 50 crashes leaves 50 dumps with
 * never more than MaxConcurrent handlers at work; without root install refuses; uninstall puts
 * the previous pattern back.
 */
// A short folder: the kernel's pattern holds at most 127 bytes (node, the entry and the config
// path are linked from here whatever the checkout's path is).
const dir = mkdtempSync('/tmp/dkh-');
after(() => rmSync(dir, { recursive: true, force: true }));
const skip = gccSkip || noCorePatternReason() || false;
const MAX_CONCURRENT = 2;
const SIGNALS = { segv: 'SIGSEGV', abrt: 'SIGABRT', fpe: 'SIGFPE', bus: 'SIGBUS' } as const;

const folders = { main: join(dir, 'main'), count: join(dir, 'count'), storm: join(dir, 'storm') };
const { node, entry, configPath, stateDir } = handlerLayout(dir);
const logFile = join(folders.main, 'dumpkit-handler.log');

before(async () => {
  if (skip) return;
  await handlerSetup(dir, {
    DumpFolder: folders.main,
    KeepCore: true,
    MaxConcurrent: MAX_CONCURRENT,
    Applications: {
      'dk-crash64': { DumpType: 2 },
      'dk-count': { DumpFolder: folders.count, DumpCount: 3, KeepCore: false },
      'dk-storm': { DumpFolder: folders.storm, DumpCount: 100, KeepCore: false },
    },
  });
});

function handler(args: string[], opts: { uid?: number; gid?: number } = {}) {
  return cli(['handler', ...args, ...(args[0] === 'uninstall' ? [] : ['--config', configPath]), '--state-dir', stateDir], opts);
}

describe('the crash handler, installed for real', { skip }, () => {
  test('install, crashes, DumpCount, a storm of 50, refusal without root, install again, uninstall (and not over someone else\'s pattern)', async (t) => {
    const before = { pattern: 'core.%p-dumpkit-handler-test', limit: 0 };
    await withCorePattern(
      before.pattern,
      async () => {
        const installArgs = ['install', '--entry', entry, '--node', node];
        const inst = handler(installArgs);
        assert.equal(inst.status, 0, inst.stderr);
        const pattern = readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim();
        assert.equal(pattern, `|${dir}/n ${dir}/d.mjs handler core --config ${configPath} -- %P %i %s %t %e`);
        assert.equal(readFileSync('/proc/sys/kernel/core_pipe_limit', 'utf8').trim(), '64');
        assert.match(handler(['status']).stdout, /^installed: yes$/m);

        for (const bits of [64, 32] as const) {
          await t.test(`${bits}-bit: SIGSEGV, SIGABRT, SIGFPE, SIGBUS each leave a minidump naming the signal, with the kernel's registers`, async (st) => {
            const exe = crasher(bits, `dk-crash${bits}`);
            if (!exe) return st.skip(NO_32_BIT);
            if (gdbSkip) return st.skip(gdbSkip);
            for (const [how, name] of Object.entries(SIGNALS)) {
              const ended = await crash(exe, how);
              assert.equal(ended.signal, name, `the ${how} crasher died of ${name}`);
              const line = (await waitForLog(logFile, [ended.pid])).get(ended.pid)!;
              assert.equal(line.fields.result, 'ok', JSON.stringify(line));
              assert.equal(line.fields.signal, name);
              assert.equal(line.fields.dump, join(folders.main, `dk-crash${bits}.${ended.pid}.dmp`));
              assert.equal(line.fields.core, join(folders.main, `dk-crash${bits}.${ended.pid}.core`), 'KeepCore');
              await checkCrashDump(line, { exe, bits, pid: ended.pid, signal: name, type: bits === 64 ? 'full' : 'mini' });
            }
          });
        }

        await t.test('DumpCount 3 for one executable (an Applications entry): the 3 newest of 5 remain', async () => {
          const exe = crasher(64, 'dk-count')!;
          const pids: number[] = [];
          for (let i = 0; i < 5; i++) {
            const { pid } = await crash(exe, 'abrt');
            await waitForLog(logFile, [pid]);
            pids.push(pid);
          }
          assert.deepEqual(readdirSync(folders.count).sort(), pids.slice(2).map((p) => `dk-count.${p}.dmp`).sort());
        });

        await t.test(`a storm of 50 crashes within a second: 50 dumps, never more than ${MAX_CONCURRENT} handlers at work`, async () => {
          const exe = crasher(64, 'dk-storm')!;
          const procs = await Promise.all(Array.from({ length: 50 }, () => waitingCrasher(exe, 'segv')));
          const t0 = Date.now();
          for (const p of procs) p.child.stdin.end('x');
          const signals = await Promise.all(procs.map((p) => p.ended));
          assert.ok(signals.every((s) => s === 'SIGSEGV'));
          const lines = await waitForLog(logFile, procs.map((p) => p.pid), 80_000);
          const results = [...lines.values()].map((l) => l.fields.result);
          assert.deepEqual(results, Array(50).fill('ok'), 'every crash dumped');
          assert.equal(readdirSync(folders.storm).filter((f) => f.endsWith('.dmp')).length, 50);
          assert.ok(maxOverlap([...lines.values()]) <= MAX_CONCURRENT, `at most ${MAX_CONCURRENT} at work at once (saw ${maxOverlap([...lines.values()])})`);
          assert.ok([...lines.values()].every((l) => Number(l.fields.slot) < MAX_CONCURRENT));
          t.diagnostic(`storm: 50 dumps ${Date.now() - t0} ms after the first crash`);
        });

        await t.test('without root: install and uninstall refuse in one line, and change nothing', async (st) => {
          // The built CLI copied where `nobody` can read it (the checkout may be under /root).
          const pub = mkdtempSync('/tmp/dkh-pub-');
          try {
            chmodSync(pub, 0o755);
            cpSync(join(projectRoot, 'bin'), join(pub, 'bin'), { recursive: true });
            cpSync(join(projectRoot, 'dist', 'cli'), join(pub, 'dist', 'cli'), { recursive: true });
            const asNobody = (args: string[]) => spawnSync(process.execPath, [join(pub, 'bin', 'dumpkit.cjs'), ...args], { encoding: 'utf8', uid: 65534, gid: 65534, cwd: '/' });
            const probe = spawnSync(process.execPath, ['-e', '0'], { encoding: 'utf8', uid: 65534, gid: 65534, cwd: '/' });
            if (probe.status !== 0) {
              // node itself is out of nobody's reach (e.g. installed under /root): the refusal checked in-process, as if not root.
              st.diagnostic(`node cannot run as nobody here (${(probe.error?.message ?? probe.stderr).trim()}): refusal checked with getuid() answering 65534`);
              const getuid = process.getuid;
              process.getuid = () => 65534;
              try {
                await assert.rejects(install({ configPath, stateDir }), /dumpkit handler install needs root/);
                assert.throws(() => uninstall({ configPath, stateDir }), /dumpkit handler uninstall needs root/);
              } finally {
                process.getuid = getuid;
              }
            } else {
              for (const action of ['install', 'uninstall']) {
                const r = asNobody(['handler', action, '--state-dir', stateDir]);
                assert.equal(r.status, 2, r.stderr);
                assert.match(r.stderr, /^dumpkit: PERMISSION: dumpkit handler (install|uninstall) needs root: kernel\.core_pattern and kernel\.core_pipe_limit can only be changed by root \(CAP_SYS_ADMIN\); run it with sudo\n$/);
              }
            }
          } finally {
            rmSync(pub, { recursive: true, force: true });
          }
          assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim(), pattern);
        });

        const st = handler(['status', '-n', '3']);
        assert.match(st.stdout, /^recent crashes \(3\):$/m);
        assert.match(st.stdout, /^  \S+ dk-storm pid \d+ SIGSEGV ok → \/tmp\/dkh-\w+\/storm\/dk-storm\.\d+\.dmp$/m);

        // Installed again: what was there before the first install stays the thing to restore.
        assert.equal(handler(installArgs).status, 0);
        assert.equal((JSON.parse(handler(['status', '--json']).stdout) as { state: { previousPattern: string } }).state.previousPattern, before.pattern);
        const un = handler(['uninstall']);
        assert.equal(un.status, 0, un.stderr);
        assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim(), before.pattern, 'the previous pattern is back');
        assert.equal(readFileSync('/proc/sys/kernel/core_pipe_limit', 'utf8').trim(), String(before.limit));
        assert.match(handler(['status']).stdout, /^installed: no$/m);
        assert.match(handler(['uninstall']).stdout, /not installed; nothing to do/);

        // Someone else's pattern after install: uninstall does not clobber it, unless --force.
        assert.equal(handler(installArgs).status, 0);
        writeFileSync('/proc/sys/kernel/core_pattern', 'core.someone-else');
        const refused = handler(['uninstall']);
        assert.equal(refused.status, 2);
        assert.match(refused.stderr, /^dumpkit: REFUSED: kernel\.core_pattern was changed since install \(now "core\.someone-else"\); pass --force/);
        assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim(), 'core.someone-else');
        assert.equal(handler(['uninstall', '--force']).status, 0);
        assert.equal(readFileSync('/proc/sys/kernel/core_pattern', 'utf8').trim(), before.pattern);
      },
      before.limit,
    );
  });
});

/** The most [slotAt, doneAt] intervals (when handlers held a slot) that overlap at one moment. */
function maxOverlap(lines: LogLine[]): number {
  const ev: [number, number][] = [];
  for (const l of lines) {
    ev.push([Number(l.fields.slotAt), 1], [Number(l.fields.doneAt), -1]);
  }
  ev.sort((a, b) => a[0] - b[0] || a[1] - b[1]);
  let cur = 0;
  let max = 0;
  for (const [, d] of ev) max = Math.max(max, (cur += d));
  return max;
}
