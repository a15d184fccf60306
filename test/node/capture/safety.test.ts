import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { FileSource } from '../../../src/node/file-source.js';
import { runCli, tsxLoader } from '../../helpers/cli.js';
import { buildTarget, gccSkip, NO_32_BIT, RunningTarget } from '../../helpers/target.js';

/**
 * The target always runs again: when dumpkit is SIGKILLed or SIGTERMed while the target is
 * stopped, and no dump appears under the final name when the capture does not complete.
 */
const mainTs = fileURLToPath(new URL('../../../src/node/cli/main.ts', import.meta.url));
const root = fileURLToPath(new URL('../../../', import.meta.url));

function startCapture(args: string[]) {
  const child = spawn(process.execPath, ['--import', tsxLoader, mainTs, 'capture', ...args], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
  let stderr = '';
  child.stderr.setEncoding('utf8');
  child.stderr.on('data', (d: string) => (stderr += d));
  const exit = new Promise<{ code: number | null; signal: NodeJS.Signals | null; stderr: string }>((res) =>
    child.once('exit', (code, signal) => res({ code, signal, stderr })),
  );
  return { child, exit };
}

/** Polls until some thread of the target is in tracing stop ('t'), i.e. dumpkit holds it stopped. */
async function waitForPause(target: RunningTarget, timeoutMs = 60_000): Promise<boolean> {
  const end = Date.now() + timeoutMs;
  while (Date.now() < end) {
    if (target.threadStates().some((s) => s === 't')) return true;
    await new Promise((r) => setImmediate(r));
  }
  return false;
}

/** Children of every thread of `pid` (a clone made by any thread is listed under that thread). */
function children(pid: number): number[] {
  try {
    return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
      try {
        return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
      } catch {
        return [];
      }
    });
  } catch {
    return [];
  }
}

function stateOf(pid: number): string {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return s.charAt(s.lastIndexOf(')') + 2);
  } catch {
    return '?';
  }
}

async function assertRunsAgain(target: RunningTarget): Promise<void> {
  const end = Date.now() + 5000;
  while (target.threadStates().some((s) => s === 't' || s === 'T') && Date.now() < end) await new Promise((r) => setTimeout(r, 10));
  assert.ok(
    target.threadStates().every((s) => s !== 't' && s !== 'T'),
    `target threads still stopped: ${target.threadStates().join('')}`,
  );
  assert.ok(await target.makesProgress(), 'the spinning thread makes progress');
}

describe('capture safety (target with 1 GiB of touched heap, so the pause is long enough to hit)', { skip: gccSkip }, () => {
  let dir: string;
  before(() => {
    dir = mkdtempSync(join(tmpdir(), 'dumpkit-safety-'));
  });
  after(() => rmSync(dir, { recursive: true, force: true }));

  for (const signal of ['SIGKILL', 'SIGTERM', 'SIGINT'] as const) {
    test(`dumpkit killed by ${signal} while the target is stopped: target resumes, no dump left`, async () => {
      const target = await RunningTarget.start(buildTarget(64)!, ['--heap-mb', '1024']);
      try {
        const out = join(dir, `${signal}.dmp`);
        // --snapshot copy: the target stays stopped while 1 GiB is copied, long enough to hit.
        const cap = startCapture([String(target.pid), '--type', 'full', '--snapshot', 'copy', '-o', out]);
        assert.ok(await waitForPause(target), 'dumpkit stopped the target');
        cap.child.kill(signal);
        const res = await cap.exit;
        if (signal === 'SIGKILL') assert.equal(res.signal, 'SIGKILL');
        else {
          assert.equal(res.code, 130, res.stderr);
          assert.match(res.stderr, /resumed, no dump written/);
        }
        await assertRunsAgain(target);
        assert.ok(!existsSync(out), 'no file under the final name');
        if (signal !== 'SIGKILL') assert.deepEqual(readdirSync(dir).filter((f) => f.includes(`${signal}.dmp`)), [], 'temporary file removed');
      } finally {
        await target.stop();
      }
    });
  }

  test('target killed mid-capture: clear PROCESS_EXITED error, no dump under the final name', async () => {
    const target = await RunningTarget.start(buildTarget(64)!, ['--heap-mb', '1024']);
    const out = join(dir, 'exited.dmp');
    const cap = startCapture([String(target.pid), '--type', 'full', '--snapshot', 'copy', '-o', out]);
    assert.ok(await waitForPause(target));
    await target.stop();
    const res = await cap.exit;
    assert.equal(res.code, 2, res.stderr);
    assert.match(res.stderr, /PROCESS_EXITED: process \d+ exited during the capture/);
    assert.ok(!existsSync(out));
  });

  test('snapshot: dumpkit SIGKILLed while writing from the copy-on-write child: the child dies with it, the target runs on', async () => {
    const target = await RunningTarget.start(buildTarget(64)!, ['--heap-mb', '1024']);
    try {
      const before = new Set(children(target.pid));
      const out = join(dir, 'snapkill.dmp');
      const cap = startCapture([String(target.pid), '--type', 'full', '--json', '-o', out]);
      // Wait for the snapshot child (a new child of the target), then kill dumpkit.
      const end = Date.now() + 60_000;
      let child: number | undefined;
      while (!child && Date.now() < end) {
        child = children(target.pid).find((c) => !before.has(c) && stateOf(c) === 't');
        await new Promise((r) => setImmediate(r));
      }
      assert.ok(child, 'a stopped snapshot child appeared');
      cap.child.kill('SIGKILL');
      await cap.exit;
      await assertRunsAgain(target);
      const gone = Date.now() + 5000;
      while (!['Z', 'X', '?'].includes(stateOf(child)) && Date.now() < gone) await new Promise((r) => setTimeout(r, 10));
      assert.ok(['Z', 'X', '?'].includes(stateOf(child)), `snapshot child ${child} is ${stateOf(child)}, not dead`);
      assert.ok(!existsSync(out));
    } finally {
      await target.stop();
    }
  });

  // The snapshot tests, for a 64-bit target and a 32-bit (i386) one.
  for (const bits of [64, 32] as const) {
  const tag = bits === 64 ? '' : ' (32-bit target)';
  test(`snapshot (chosen by --snapshot auto for 256 MiB): heap bytes as the target wrote them, the child gone afterwards; mini is copied instead${tag}`, async (t) => {
    const binary = buildTarget(bits);
    if (!binary) return t.skip(NO_32_BIT);
    const target = await RunningTarget.start(binary, ['--heap-mb', '256']);
    try {
      const out = join(dir, `snap${bits}.dmp`);
      await target.command('gap');
      const r = runCli(['capture', String(target.pid), '--type', 'full', '--json', '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      const rep = JSON.parse(r.stdout) as { method: string; pauseMs: number; memoryBytes: number; bytesWrittenBySnapshot: number; diagnostics: string[] };
      assert.equal(rep.method, 'snapshot');
      assert.ok(rep.memoryBytes > 256 * 1024 * 1024);
      // The snapshot child wrote the bulk memory into the file itself (snapshot-writer.ts).
      assert.ok(rep.bytesWrittenBySnapshot > 256 * 1024 * 1024, `${rep.bytesWrittenBySnapshot} bytes written by the snapshot (${rep.diagnostics.join('; ')})`);
      // The heap as the target wrote it: first byte of page k is k & 0xff (many 4 MiB read-ahead pieces).
      const source = FileSource.open(out);
      try {
        const dump = await Minidump.open(source);
        const heap = BigInt(target.info.heap);
        for (const k of [0, 1, 1023, 1024, 1025, 40000, 65535]) {
          assert.equal((await dump.readMemory(heap + BigInt(k) * 4096n, 1))[0], k & 0xff, `heap page ${k}`);
        }
      } finally {
        await source.close();
      }
      // The dead child was reaped (a wait4 run by one target thread): not even a zombie is left.
      assert.deepEqual(children(target.pid), [], 'no snapshot child left, not even a zombie');
      await assertRunsAgain(target);
      // A mini capture has a few hundred KiB to copy: quicker while stopped than copying page tables.
      const kids = children(target.pid).length;
      const m = runCli(['capture', String(target.pid), '--type', 'mini', '--json', '-o', join(dir, `snap-mini${bits}.dmp`)]);
      assert.equal(m.status, 0, m.stderr);
      assert.equal((JSON.parse(m.stdout) as { method: string }).method, 'copy');
      assert.equal(children(target.pid).length, kids, 'no snapshot child made for mini');
    } finally {
      await target.stop();
    }
  });

  for (const [how, env] of [
    ['its write loop', {}],
    ['one injected pwrite64 per piece (no executable page allowed)', { DUMPKIT_TEST_NO_WRITE_LOOP: '1' }],
  ] as const) {
  test(`snapshot writing with ${how}: pages that fault when read (a mapping past the end of its file) are zeros, the rest as in memory${tag}`, async (t) => {
    const binary = buildTarget(bits);
    if (!binary) return t.skip(NO_32_BIT);
    const file = join(dir, `short${bits}.bin`);
    const page = new Uint8Array(4096).map((_, i) => (i * 13 + 5) & 0xff);
    writeFileSync(file, page);
    const target = await RunningTarget.start(binary, ['--short-file', file]);
    try {
      const out = join(dir, `short${bits}-${Object.keys(env).length}.dmp`);
      const r = runCli(['capture', String(target.pid), '--type', 'full', '--snapshot', 'fork', '--json', '-o', out], { env });
      assert.equal(r.status, 0, r.stderr);
      const rep = JSON.parse(r.stdout) as { method: string; bytesWrittenBySnapshot: number; diagnostics: string[] };
      assert.equal(rep.method, 'snapshot');
      assert.ok(rep.bytesWrittenBySnapshot > 0, 'the snapshot wrote memory itself');
      assert.equal(
        rep.diagnostics.some((d) => d.includes('without its write loop')),
        'DUMPKIT_TEST_NO_WRITE_LOOP' in env,
        `the way it wrote: ${rep.diagnostics.join('; ')}`,
      );
      const base = BigInt(target.info.short_map);
      // Reported in blocks (dumpkit reads on to a 64 KiB boundary after a fault): 12288 bytes in all, past the first page.
      let reported = 0;
      for (const d of rep.diagnostics) {
        const m = /^(\d+) unreadable bytes in 0x([0-9a-f]+) written as zeros$/.exec(d);
        if (m && BigInt('0x' + m[2]) >= base && BigInt('0x' + m[2]) < base + 4n * 4096n) {
          assert.ok(BigInt('0x' + m[2]) >= base + 4096n, `${d}: not in the page inside the file`);
          reported += Number(m[1]);
        }
      }
      assert.equal(reported, 12288, `the three pages past the end of the file are reported: ${rep.diagnostics.join('; ')}`);
      const source = FileSource.open(out);
      try {
        const dump = await Minidump.open(source);
        const range = (await dump.memoryRanges()).find((m) => m.start === base);
        assert.ok(range && range.size === 4 * 4096, 'the whole four-page mapping is in the dump');
        assert.deepEqual(await dump.readMemory(base, 4096), page, 'the page inside the file, byte for byte');
        assert.deepEqual(await dump.readMemory(base + 4096n, 3 * 4096), new Uint8Array(3 * 4096), 'the pages past its end, zeros');
      } finally {
        await source.close();
      }
      await assertRunsAgain(target);
    } finally {
      await target.stop();
    }
  });
  }

  test(`snapshot: areas a fork does not see (MADV_DONTFORK, MADV_WIPEONFORK, as V8 marks its heap) are copied while stopped${tag}`, async (t) => {
    const binary = buildTarget(bits);
    if (!binary) return t.skip(NO_32_BIT);
    const target = await RunningTarget.start(binary);
    try {
      const out = join(dir, `nofork${bits}.dmp`);
      const r = runCli(['capture', String(target.pid), '--type', 'full', '--snapshot', 'fork', '--json', '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      const rep = JSON.parse(r.stdout) as { method: string; diagnostics: string[] };
      assert.equal(rep.method, 'snapshot');
      assert.ok(rep.diagnostics.some((d) => /MADV_DONTFORK\/MADV_WIPEONFORK, which the snapshot does not see, were copied/.test(d)), rep.diagnostics.join('; '));
      assert.ok(!rep.diagnostics.some((d) => /unreadable/.test(d)), rep.diagnostics.join('; '));
      const source = FileSource.open(out);
      try {
        const dump = await Minidump.open(source);
        for (const [k, at] of [target.info.dontfork, target.info.wipeonfork].entries()) {
          assert.notEqual(at, '(nil)', 'madvise worked in the target');
          const expected = new Uint8Array(65536).map((_, i) => (i * 31 + k * 101 + 7) & 0xff);
          assert.deepEqual(await dump.readMemory(BigInt(at), 65536), expected, `${k ? 'MADV_WIPEONFORK' : 'MADV_DONTFORK'} area as the target wrote it`);
        }
      } finally {
        await source.close();
      }
      await assertRunsAgain(target);
    } finally {
      await target.stop();
    }
  });

  }

  // How short the pause is, is measured by `npm run bench -- capture`, not asserted here.
  test('32-bit target with 1 GiB of touched heap: captured through the snapshot, all of it written by the snapshot', async (t) => {
    const binary = buildTarget(32);
    if (!binary) return t.skip(NO_32_BIT);
    const target = await RunningTarget.start(binary, ['--heap-mb', '1024']);
    try {
      const out = join(dir, 'pause32.dmp');
      await target.command('gap');
      const r = runCli(['capture', String(target.pid), '--type', 'full', '--json', '-o', out]);
      // The longest gap in the target's own 0.5 ms ticking: the pause as the process saw it.
      const gapMs = (await target.command('gap')) / 1000;
      assert.equal(r.status, 0, r.stderr);
      const rep = JSON.parse(r.stdout) as { method: string; pauseMs: number; bytesWrittenBySnapshot: number };
      rmSync(out, { force: true });
      assert.equal(rep.method, 'snapshot');
      assert.ok(rep.bytesWrittenBySnapshot > 1024 * 1024 * 1024, `${rep.bytesWrittenBySnapshot} bytes written by the snapshot`);
      t.diagnostic(`pause seen by the 32-bit target: ${gapMs.toFixed(1)} ms (dumpkit's pauseMs ${rep.pauseMs.toFixed(1)})`);
      await assertRunsAgain(target);
    } finally {
      await target.stop();
    }
  });

  test('no such process / no such name: one-line errors, exit 2', () => {
    const r = runCli(['capture', '999999999']);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /^dumpkit: NO_SUCH_PROCESS: no process with id 999999999\n$/);
    const n = runCli(['capture', 'no-such-process-name-xyz']);
    assert.equal(n.status, 2);
    assert.match(n.stderr, /NO_SUCH_PROCESS: no process named "no-such-process-name-xyz"/);
  });

  test('a kernel thread: UNSUPPORTED, it has no user address space (not a permission problem)', (t) => {
    // Any kernel thread visible here (PF_KTHREAD in /proc/PID/stat field 9), found independently of dumpkit.
    const kthread = readdirSync('/proc')
      .filter((d) => /^\d+$/.test(d))
      .find((d) => {
        try {
          const st = readFileSync(`/proc/${d}/stat`, 'latin1');
          return (Number(st.slice(st.lastIndexOf(')') + 2).split(' ')[6]) & 0x00200000) !== 0;
        } catch {
          return false;
        }
      });
    if (!kthread) return t.skip('no kernel thread visible in this PID namespace');
    const r = runCli(['capture', kthread, '--type', 'mini', '-o', join(dir, 'kthread.dmp')]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, new RegExp(`^dumpkit: UNSUPPORTED: process ${kthread} \\(.+\\) is a kernel thread: it has no user address space to dump\n$`));
  });

  test('permission denied (dumpkit as nobody, the target root): PERMISSION saying what is needed', { skip: process.getuid?.() === 0 ? false : 'needs root, to run dumpkit as another user' }, async (t) => {
    const asNobody = ['--reuid=65534', '--regid=65534', '--clear-groups', process.execPath];
    const readable = spawnSync('setpriv', [...asNobody, '-e', `require('fs').accessSync(${JSON.stringify(mainTs)}); require('fs').accessSync(${JSON.stringify(fileURLToPath(tsxLoader))})`]);
    if (readable.status !== 0) return t.skip('this checkout is not readable by user nobody (or setpriv is missing)');
    const target = await RunningTarget.start(buildTarget(64)!);
    try {
      const r = spawnSync('setpriv', [...asNobody, '--import', tsxLoader, mainTs, 'capture', String(target.pid), '--type', 'mini', '-o', join(tmpdir(), `dk-nobody-${target.pid}.dmp`)], {
        cwd: root,
        encoding: 'utf8',
        timeout: 60_000,
      });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /^dumpkit: PERMISSION: not allowed to trace process \d+: run as root or as its owner with CAP_SYS_PTRACE, or lower kernel\.yama\.ptrace_scope/);
      assert.ok(await target.makesProgress(), 'the target was never stopped');
    } finally {
      await target.stop();
    }
  });

  test('memory pressure: refused by default with a clear message, written while stopped with --no-abort-on-memory-pressure', async () => {
    const target = await RunningTarget.start(buildTarget(64)!, ['--heap-mb', '64']);
    try {
      const out = join(dir, 'pressure.dmp');
      const env = { DUMPKIT_MEM_AVAILABLE: String(32 * 1024 * 1024) };
      // --snapshot copy: memory pressure concerns copying (a snapshot needs no copy).
      const r = runCli(['capture', String(target.pid), '--snapshot', 'copy', '-o', out], { env });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, /MEMORY_PRESSURE: copying \d+ MiB of the target would not fit/);
      assert.ok(!existsSync(out));
      await assertRunsAgain(target);
      const w = runCli(['capture', String(target.pid), '--snapshot', 'copy', '-o', out, '--no-abort-on-memory-pressure', '--json'], { env });
      assert.equal(w.status, 0, w.stderr);
      const rep = JSON.parse(w.stdout) as { writtenWhilePaused: boolean; memoryBytes: number };
      assert.equal(rep.writtenWhilePaused, true);
      assert.ok(rep.memoryBytes > 64 * 1024 * 1024);
      await assertRunsAgain(target);
    } finally {
      await target.stop();
    }
  });

  test('default name <name>_<YYMMDD>_<HHMMSS>.<pid>.dmp in the current directory; never overwrites', async () => {
    const target = await RunningTarget.start(buildTarget(64)!);
    try {
      const cwd = mkdtempSync(join(dir, 'cwd-'));
      const a = runCli(['capture', String(target.pid), '--type', 'mini', '--json'], { cwd });
      assert.equal(a.status, 0, a.stderr);
      const fa = (JSON.parse(a.stdout) as { file: string }).file;
      assert.match(fa, new RegExp(`^target64_\\d{6}_\\d{6}\\.${target.pid}\\.dmp$`));
      // Same name again (same second, or a file placed there): the next free name, not an overwrite.
      const b = runCli(['capture', String(target.pid), '--type', 'mini', '-o', cwd, '--json'], { cwd });
      assert.equal(b.status, 0, b.stderr);
      const fb = (JSON.parse(b.stdout) as { file: string }).file;
      assert.notEqual(fb, join(cwd, fa));
      writeFileSync(join(cwd, 'taken.dmp'), 'x');
      const c = runCli(['capture', String(target.pid), '--type', 'mini', '-o', join(cwd, 'taken.dmp')], { cwd });
      assert.equal(c.status, 2);
      assert.match(c.stderr, /exists; pass --overwrite/);
      const d = runCli(['capture', String(target.pid), '--type', 'mini', '-o', join(cwd, 'taken.dmp'), '--overwrite'], { cwd });
      assert.equal(d.status, 0, d.stderr);
    } finally {
      await target.stop();
    }
  });
});
