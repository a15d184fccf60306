import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { mkdtempSync, readdirSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { recentLog } from '../../../src/node/handler/crash-log.js';
import { acquireSlot } from '../../../src/node/handler/slots.js';
import { binEntry, cli, ensureBuiltCli } from './handler-helpers.js';

/**
 * `dumpkit handler core` run by hand the way the kernel runs it (built CLI, core on stdin): the
 * size cap drops the core and drains stdin, the time cap ends the handler whatever it waits for,
 * a slot held elsewhere makes it wait, and it never prints anything.
 */
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-handler-caps-'));
after(() => rmSync(dir, { recursive: true, force: true }));
before(() => ensureBuiltCli());

function config(name: string, values: Record<string, unknown>): { path: string; folder: string; log: string } {
  const folder = join(dir, name);
  const path = join(dir, `${name}.json`);
  writeFileSync(path, JSON.stringify({ DumpFolder: folder, ...values }));
  return { path, folder, log: join(folder, 'dumpkit-handler.log') };
}

/** The handler with `cfg`, for a made-up crash of this test process (its /proc is readable). */
function coreArgs(cfg: string): string[] {
  return ['handler', 'core', '--config', cfg, '--', String(process.pid), String(process.pid), '11', '1700000000', 'fake', 'name'];
}

/** Runs the handler with a stdin pipe that stays open (a core that never ends); resolves when it exits. */
function runOpen(cfg: string): Promise<{ code: number | null; ms: number; out: string }> {
  const t0 = Date.now();
  const child = spawn(process.execPath, [binEntry, ...coreArgs(cfg)], { stdio: ['pipe', 'pipe', 'pipe'] });
  let out = '';
  child.stdout.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stderr.setEncoding('utf8').on('data', (d: string) => (out += d));
  child.stdin.on('error', () => {}); // EPIPE once it has gone
  child.stdin.write(Buffer.alloc(100_000));
  const killer = setTimeout(() => child.kill('SIGKILL'), 20_000);
  return new Promise((r) =>
    child.once('close', (code) => {
      clearTimeout(killer);
      child.stdin.destroy();
      r({ code, ms: Date.now() - t0, out });
    }),
  );
}

describe('handler core: caps', () => {
  test('size cap: the core is dropped, standard input read to its end, one clear log line, nothing printed', () => {
    const c = config('size', { CoreSizeLimitMB: 1 });
    const r = cli(coreArgs(c.path), { input: Buffer.alloc(3 * 1024 * 1024, 7) });
    assert.equal(r.status, 0);
    assert.equal(r.stdout + r.stderr, '', 'the handler prints nothing');
    const [line] = recentLog(c.log, 5);
    assert.ok(line, 'a log line');
    assert.equal(line.fields.result, 'size-cap');
    assert.equal(line.fields.coreBytes, String(3 * 1024 * 1024), 'drained: every byte read');
    assert.match(line.fields.error!, /core larger than the size cap \(CoreSizeLimitMB 1\)/);
    assert.equal(line.fields.pid, String(process.pid));
    assert.equal(line.fields.signal, 'SIGSEGV');
    assert.deepEqual(readdirSync(c.folder), ['dumpkit-handler.log'], 'no dump, no core, no temporary file');
  });

  test('time cap while the core keeps coming: the handler exits within the cap, saying so, and leaves no file', async () => {
    const c = config('time', { TimeLimitSeconds: 1 });
    const r = await runOpen(c.path);
    assert.equal(r.code, 0);
    assert.equal(r.out, '');
    assert.ok(r.ms < 10_000, `exited after ${r.ms} ms`);
    const [line] = recentLog(c.log, 5);
    assert.equal(line?.fields.result, 'time-cap');
    assert.match(line!.fields.error!, /time cap of 1 s hit while reading the core; no dump written/);
    assert.deepEqual(readdirSync(c.folder), ['dumpkit-handler.log']);
  });

  test('every slot taken (MaxConcurrent 1, held by this process): the handler waits, and its time cap still ends it', async () => {
    const c = config('slots', { TimeLimitSeconds: 1, MaxConcurrent: 1 });
    // The handler keys its slots by the log file's path.
    const held = await acquireSlot(c.log, 1);
    assert.ok(held);
    try {
      const r = await runOpen(c.path);
      assert.equal(r.code, 0);
      const [line] = recentLog(c.log, 5);
      assert.equal(line?.fields.result, 'time-cap');
      assert.match(line!.fields.error!, /while waiting for a slot/);
    } finally {
      await held.release();
    }
  });

  test('arguments that are not %P %i %s %t: logged as an error, nothing printed', () => {
    const c = config('args', {});
    const r = cli(['handler', 'core', '--config', c.path, '--', 'x', '1', '11', '0'], { input: '' });
    assert.equal(r.status, 0);
    assert.equal(r.stdout + r.stderr, '');
    assert.match(recentLog(c.log, 1)[0]!.fields.error!, /arguments are not %P %i %s %t %e: \["x","1","11","0"\]/);
  });
});
