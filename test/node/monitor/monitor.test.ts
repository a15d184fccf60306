import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { mkdtempSync, readdirSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { FileSource } from '../../../src/node/file-source.js';
import { BusyTarget } from '../../helpers/busy-target.js';
import { lldbBatch } from '../../helpers/lldb.js';
import { projectRoot, tsxLoader } from '../../helpers/cli.js';
import { gccSkip, lldbPath } from '../../helpers/target.js';
import { MonitorRun, sleep, threadsOf } from './run-monitor.js';

/**
 * `dumpkit monitor` against real processes (test/helpers/busy-target.c): each trigger fires within
 * one sampling interval of its condition and not before. The interval is 200 ms; the condition is
 * started at a known wall-clock time (the target's answer), and the monitor's event times are the
 * same clock. Slack for a loaded 2-core machine: SLACK ms on top of the bound.
 */
const mainTs = fileURLToPath(new URL('../../../src/node/cli/main.ts', import.meta.url));
const INTERVAL = 200;
const SLACK = 350;
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-monitor-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function outDir(name: string): string {
  return mkdtempSync(join(dir, `${name}-`));
}

async function comment(file: string): Promise<string | undefined> {
  const source = FileSource.open(file);
  try {
    return await (await Minidump.open(source)).commentW();
  } finally {
    await source.close();
  }
}

/** LLDB opens the dump and shows the process's threads. */
function assertLldbOpens(file: string, pid: number): void {
  if (!lldbPath) return;
  const text = lldbBatch(file, ['thread list']);
  assert.match(text, new RegExp(`Process ${pid} stopped`), `LLDB opens ${file}: ${text}`);
}

/** Nothing fired (no threshold met, nothing triggered) for `pid` before `t`. */
function nothingBefore(run: MonitorRun, pid: number, t: number): void {
  const early = run.events.filter((e) => e.pid === pid && (e.event === 'threshold' || e.event === 'triggered') && e.t < t);
  assert.deepEqual(early, [], 'no trigger before its condition');
}

describe('dumpkit monitor', { skip: gccSkip }, () => {
  test('--cpu: no dump while idle for 5 intervals; then within one interval of a full interval of burning; -n 2 and --every 0.8 s honoured', async () => {
    const target = await BusyTarget.start('dk-cpu');
    const out = outDir('cpu');
    const run = MonitorRun.start([String(target.pid), '--cpu', '20', '--interval', String(INTERVAL), '-n', '2', '--every', '0.8', '--type', 'mini', '-o', out]);
    try {
      await run.waitFor((e) => e.event === 'started');
      await sleep(5 * INTERVAL);
      const burnAt = await target.at('burn 2');
      const dumped = await run.waitFor((e) => e.event === 'dumped');
      const trig = run.of('triggered');
      nothingBefore(run, target.pid, burnAt);
      // CPU is measured over a sampling interval: the first interval wholly inside the burn ends at most 2 intervals after it began.
      assert.ok(trig[0]!.t - burnAt <= 2 * INTERVAL + SLACK, `first dump triggered ${trig[0]!.t - burnAt} ms after the burn started`);
      assert.ok((trig[0]!.value as number) >= 20, 'the sample that fired measured at least 20 %');
      const done = await run.waitFor((e) => e.event === 'done');
      assert.equal(done.dumps, 2);
      const trig2 = run.of('triggered');
      assert.equal(trig2.length, 2, 'exactly -n 2 dumps');
      const gap = trig2[1]!.t - trig2[0]!.t;
      assert.ok(gap >= 800, `--every 0.8: ${gap} ms between the dumps`);
      assert.ok(gap <= 800 + 2 * INTERVAL + SLACK, `the second dump came within one interval of --every allowing it (${gap} ms)`);
      assert.equal((await run.exit).code, 0, run.stderr);
      const files = readdirSync(out).sort();
      assert.equal(files.length, 2);
      for (const f of files) assert.match(f, new RegExp(`^dk-cpu_cpu_\\d{6}_\\d{6}\\.${target.pid}\\.dmp$`), 'ProcDump name with the trigger word');
      const file = dumped.file!;
      assert.equal(statSync(file).mode & 0o777, 0o600);
      const text = await comment(file);
      assert.match(text ?? '', /^dumpkit monitor: CPU \d+% >= 20% over 0\.\d+ s \(sample \d+, every 200 ms\); process \d+ \(dk-cpu\), dump 1 of 2/);
      assertLldbOpens(file, target.pid);
      assert.ok(threadsOf(target.pid).every((t) => t.tracer === 0 && t.state !== 't'), 'the target runs on, untraced');
    } finally {
      run.kill();
      await target.stop();
    }
  });

  test('no trigger: a dump at once, then every --every seconds, -n of them (ProcDump without a trigger)', async () => {
    const target = await BusyTarget.start('dk-time');
    const out = outDir('time');
    const run = MonitorRun.start([String(target.pid), '--every', '0.5', '-n', '2', '--interval', '100', '--type', 'mini', '-o', out]);
    try {
      assert.equal((await run.exit).code, 0, run.stderr);
      const trig = run.of('triggered');
      assert.deepEqual(trig.map((e) => e.trigger), ['time', 'time']);
      const gap = trig[1]!.t - trig[0]!.t;
      assert.ok(gap >= 500 && gap <= 500 + 100 + SLACK, `${gap} ms between the dumps`);
      assert.deepEqual(run.of('dumped').map((e) => basename(e.file!).startsWith('dk-time_time_')), [true, true]);
    } finally {
      run.kill();
      await target.stop();
    }
  });

  test('--memory 40,80: one dump per value, in order, each within one interval of the RSS passing it and not before', async () => {
    const target = await BusyTarget.start('dk-mem');
    const out = outDir('mem');
    const run = MonitorRun.start([String(target.pid), '--memory', '40,80', '--interval', String(INTERVAL), '--every', '0.1', '--type', 'mini', '-o', out]);
    try {
      await run.waitFor((e) => e.event === 'started');
      await sleep(5 * INTERVAL);
      const [, start1, end1] = (await target.send('grow 50')).map(Number);
      const first = await run.waitFor((e) => e.event === 'triggered');
      nothingBefore(run, target.pid, start1!);
      assert.ok(first.t - end1! <= INTERVAL + SLACK, `first dump ${first.t - end1!} ms after the growth ended`);
      await run.waitFor((e) => e.event === 'dumped');
      await sleep(5 * INTERVAL);
      assert.equal(run.of('triggered').length, 1, 'no second dump while RSS stays between 40 and 80 MB');
      const [, start2, end2] = (await target.send('grow 40')).map(Number);
      const second = await run.waitFor((e) => e.event === 'triggered' && e.dump === 2);
      assert.ok(second.t >= start2!, 'not before the second growth');
      assert.ok(second.t - end2! <= INTERVAL + SLACK, `second dump ${second.t - end2!} ms after the growth ended`);
      const dumps = await Promise.all([1, 2].map((n) => run.waitFor((e) => e.event === 'dumped' && run.events.indexOf(e) > run.events.indexOf(n === 1 ? first : second))));
      assert.equal((await run.exit).code, 0, run.stderr);
      assert.match(await comment(dumps[0]!.file!) ?? '', /memory \(RSS\) \d+ MB >= 40 MB \(threshold 1 of 2\)/);
      assert.match(await comment(dumps[1]!.file!) ?? '', /memory \(RSS\) \d+ MB >= 80 MB \(threshold 2 of 2\)/);
      for (const d of dumps) assert.match(basename(d.file!), /^dk-mem_commit_/);
    } finally {
      run.kill();
      await target.stop();
    }
  });

  test('--threads and --fds, two processes in one monitor: each fires on its own condition, within one interval', async () => {
    const a = await BusyTarget.start('dk-thr');
    const b = await BusyTarget.start('dk-fds');
    const fds0 = readdirSync(`/proc/${b.pid}/fd`).length;
    const out = outDir('thr');
    const run = MonitorRun.start([String(a.pid), String(b.pid), '--threads', '8', '--fds', String(fds0 + 20), '--interval', String(INTERVAL), '--type', 'mini', '-o', out]);
    try {
      await run.waitFor((e) => e.event === 'started' && e.pid === b.pid);
      await sleep(5 * INTERVAL);
      const tThreads = await a.at('threads 10');
      const tFiles = await b.at('files 25');
      const ta = await run.waitFor((e) => e.event === 'triggered' && e.pid === a.pid);
      const tb = await run.waitFor((e) => e.event === 'triggered' && e.pid === b.pid);
      nothingBefore(run, a.pid, tThreads - 5);
      nothingBefore(run, b.pid, tFiles - 5);
      assert.equal(ta.trigger, 'threads');
      assert.equal(tb.trigger, 'fds');
      assert.ok(ta.t - tThreads <= INTERVAL + SLACK, `threads: ${ta.t - tThreads} ms`);
      assert.ok(tb.t - tFiles <= INTERVAL + SLACK, `fds: ${tb.t - tFiles} ms`);
      assert.equal((await run.exit).code, 0, run.stderr);
      const names = readdirSync(out).sort();
      assert.equal(names.length, 2);
      assert.match(names[0]!, /^dk-fds_filedesc_/);
      assert.match(names[1]!, /^dk-thr_thread_/);
      assert.match(await comment(join(out, names[1]!)) ?? '', /: 1\d threads >= 8 /);
    } finally {
      run.kill();
      await a.stop();
      await b.stop();
    }
  });

  test('--signal SIGUSR1 -n 2: a dump each time the process receives it, the signal then let through; untraced at the end', async () => {
    const target = await BusyTarget.start('dk-sig');
    await target.send('handle 10');
    const out = outDir('sig');
    const run = MonitorRun.start([String(target.pid), '--signal', 'SIGUSR1', '-n', '2', '--every', '0.1', '--type', 'mini', '-o', out]);
    try {
      const started = await run.waitFor((e) => e.event === 'started');
      assert.ok(threadsOf(target.pid).every((t) => t.tracer === run.child.pid), 'followed by the monitor');
      await sleep(3 * INTERVAL);
      assert.equal(run.of('triggered').length, 0);
      for (const n of [1, 2]) {
        await sleep(150); // past --every 0.1 s after the last dump (a signal within it gets through without a dump)
        const sentAt = Date.now();
        process.kill(target.pid, 'SIGUSR1');
        const d = await run.waitFor((e) => e.event === 'dumped' && run.of('dumped').indexOf(e) === n - 1);
        const trig = run.of('triggered')[n - 1]!;
        assert.ok(trig.t >= sentAt - 5 && trig.t - sentAt <= 100 + SLACK, `signal dump ${trig.t - sentAt} ms after the signal`);
        assert.equal(trig.trigger, 'signal');
        const [count] = await target.send('received 10');
        assert.equal(count, String(n), 'the handler ran: the signal got through after the dump');
        assert.match(await comment(d.file!) ?? '', /signal SIGUSR1 \(10\) received by thread \d+/);
        assert.match(basename(d.file!), /^dk-sig_signal_/);
      }
      assert.equal((await run.exit).code, 0, run.stderr);
      assert.ok(started.t > 0);
      assert.ok(threadsOf(target.pid).every((t) => t.tracer === 0 && t.state !== 't'), 'untraced and running');
    } finally {
      run.kill();
      await target.stop();
    }
  });

  test('--on-crash, four processes: SIGSEGV, SIGABRT, SIGFPE, SIGBUS each give a dump whose Exception stream names the signal; then each dies of it', async () => {
    const kinds = { segv: 11, abrt: 6, fpe: 8, bus: 7 } as const;
    const targets = await Promise.all(Object.keys(kinds).map((k) => BusyTarget.start(`dk-${k}`)));
    const victim = await BusyTarget.start('dk-killed');
    const out = outDir('crash');
    const run = MonitorRun.start([...targets.map((t) => String(t.pid)), String(victim.pid), '--on-crash', '--type', 'mini', '-o', out]);
    try {
      for (const t of [...targets, victim]) await run.waitFor((e) => e.event === 'started' && e.pid === t.pid);
      await victim.stop();
      await run.waitFor((e) => e.event === 'exited' && e.pid === victim.pid);
      const ends = await Promise.all(Object.keys(kinds).map((k, i) => targets[i]!.crash(k as keyof typeof kinds)));
      assert.equal((await run.exit).code, 0, run.stderr);
      for (const [i, [k, signo]] of Object.entries(kinds).entries()) {
        const t = targets[i]!;
        assert.equal(ends[i]!.signal, `SIG${k.toUpperCase()}`, 'the crash took its course');
        const d = run.of('dumped', t.pid)[0];
        assert.ok(d, `a dump for ${k}: ${JSON.stringify(run.events)}`);
        assert.match(basename(d.file!), new RegExp(`^dk-${k}_crash_\\d{6}_\\d{6}\\.${t.pid}\\.dmp$`));
        const source = FileSource.open(d.file!);
        try {
          const dump = await Minidump.open(source);
          const ex = await dump.exception();
          assert.equal(ex?.exceptionCode, signo, `${k}: the Exception stream's code is the signal`);
          assert.match((await dump.commentW()) ?? '', new RegExp(`crash: SIG${k.toUpperCase()} \\(${signo}\\) in thread ${t.pid}`));
        } finally {
          await source.close();
        }
        assert.equal(run.of('done', t.pid)[0]?.dumps, 1, `${k}: done after its one dump`);
      }
      // Seen by ptrace ("signal 9") or by the sampler first ("exited" / a zombie), whichever comes first.
      assert.equal(run.of('exited', victim.pid).length, 1, 'a process killed while followed: one exited event, no error');
      assert.equal(run.of('error').length, 0);
      if (lldbPath) assert.match(lldbBatch(run.of('dumped', targets[0]!.pid)[0]!.file!, ['thread list']), /stop reason = signal SIGSEGV/);
    } finally {
      run.kill();
      for (const t of targets) await t.stop();
      await victim.stop();
    }
  });

  test('--wait NAME: picks up a process started later and a second one; Ctrl-C then stops it, leaving no process stopped or traced', async () => {
    const name = `dkw${process.pid % 100000}`;
    const out = outDir('wait');
    const run = MonitorRun.start([name, '--wait', '--threads', '4', '--signal', 'USR2', '--interval', String(INTERVAL), '--type', 'mini', '-o', out]);
    const targets: BusyTarget[] = [];
    try {
      await run.waitFor((e) => e.event === 'waiting');
      await sleep(2 * INTERVAL);
      for (let i = 0; i < 2; i++) {
        const t = await BusyTarget.start(name);
        targets.push(t);
        await run.waitFor((e) => e.event === 'started' && e.pid === t.pid);
        const at = await t.at('threads 4');
        const trig = await run.waitFor((e) => e.event === 'triggered' && e.pid === t.pid);
        assert.equal(trig.trigger, 'threads');
        assert.ok(trig.t >= at - 5 && trig.t - at <= INTERVAL + SLACK, `process ${i + 1}: ${trig.t - at} ms`);
        await run.waitFor((e) => e.event === 'dumped' && e.pid === t.pid);
      }
      // The two are done (-n 1); a third is followed (--signal) when Ctrl-C comes.
      const third = await BusyTarget.start(name);
      targets.push(third);
      await run.waitFor((e) => e.event === 'started' && e.pid === third.pid);
      assert.ok(threadsOf(third.pid).every((t) => t.tracer === run.child.pid), 'the third is followed');
      run.child.kill('SIGINT');
      const r = await run.exit;
      assert.equal(r.code, 130, run.stderr);
      assert.ok(run.of('stopped').length === 1);
      for (const t of targets) assert.ok(threadsOf(t.pid).every((th) => th.tracer === 0 && th.state !== 't'), `process ${t.pid} untraced and running`);
      assert.equal(readdirSync(out).filter((f) => f.startsWith(`${name}_thread_`)).length, 2);
      assert.ok((await third.at('ping')) > 0, 'the third answers');
    } finally {
      run.kill();
      for (const t of targets) await t.stop();
    }
  });

  test('a process dumpkit may not trace: refused at the start with the ptrace rights message (the monitor run as nobody)', async (t) => {
    if (process.getuid?.() !== 0) return t.skip('needs root, to run the monitor as another user');
    if (spawnSync('sh', ['-c', 'command -v setpriv']).status !== 0) return t.skip('setpriv (util-linux) not installed');
    const target = await BusyTarget.start('dk-perm');
    try {
      const r = spawnSync('setpriv', ['--reuid=65534', '--regid=65534', '--clear-groups', 'env', `HOME=${tmpdir()}`, process.execPath, '--import', tsxLoader, mainTs, 'monitor', String(target.pid), '--cpu', '50', '-o', tmpdir()], { cwd: projectRoot, encoding: 'utf8', timeout: 60_000 });
      assert.equal(r.status, 2, r.stderr);
      assert.match(r.stderr, new RegExp(`^dumpkit: PERMISSION: not allowed to trace process ${target.pid}: run as root or as its owner with CAP_SYS_PTRACE`));
      assert.ok(threadsOf(target.pid).every((th) => th.tracer === 0));
    } finally {
      await target.stop();
    }
  });
});
