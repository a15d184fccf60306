import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, test } from 'node:test';
import { runCli, tsxLoader } from '../../helpers/cli.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

/**
 * The interactive shell through a pseudo-terminal (python3's pty module drives it as a person at a
 * terminal would): tab completion, history kept in a file across sessions, Ctrl-C stopping a long
 * search without ending the shell.
 */
const driver = fileURLToPath(new URL('../../helpers/pty-drive.py', import.meta.url));
const mainTs = fileURLToPath(new URL('../../../src/node/cli/main.ts', import.meta.url));
const hasPython = spawnSync('sh', ['-c', 'command -v python3']).status === 0;
const pySkip = hasPython ? false : process.env.CI ? assert.fail('CI=true but python3 is missing') : 'python3 not installed';
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-dbg-shell-'));
const history = join(dir, 'history');
after(() => rmSync(dir, { recursive: true, force: true }));

interface Step {
  send?: string;
  expect?: string;
  new?: boolean;
  sleep?: number;
  timeout?: number;
}

function drive(file: string, steps: Step[]): { ok: boolean; failed_step: number | null; status: number | null; output: string } {
  const r = spawnSync('python3', [driver, JSON.stringify(steps), '--', process.execPath, '--import', tsxLoader, mainTs, 'dbg', file], {
    encoding: 'utf8',
    timeout: 120_000,
    env: { ...process.env, DUMPKIT_HISTORY: history },
  });
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout) as { ok: boolean; failed_step: number | null; status: number | null; output: string };
}

describe('dumpkit dbg in a terminal', { skip: corpusSkip || pySkip }, () => {
  const linux = corpusFile('minidump/lldb/linux-x86_64.dmp');

  test('tab completes commands and module names; history is kept in a file and recalled with the up arrow', () => {
    const first = drive(linux, [
      { expect: '0:000> ' },
      { send: 'lm m libs\t', sleep: 0.5 },
      { send: '\r', expect: 'libstdc__ +\\(deferred\\)', new: true },
      { send: 'verta\t', sleep: 0.3 },
      { send: '\r', expect: 'Debug session time', new: true },
      { send: 'q\r', expect: 'quit:' },
    ]);
    assert.ok(first.ok, `step ${first.failed_step}:\n${first.output}`);
    assert.equal(first.status, 0);
    assert.deepEqual(readFileSync(history, 'utf8').split('\n').filter(Boolean), ['lm m libstdc__', 'vertarget', 'q']);
    // a new session: two steps back in the history (past `q`) is `vertarget`
    const second = drive(linux, [
      { expect: '0:000> ' },
      { send: '\u001b[A\u001b[A\r', expect: 'Debug session time', new: true },
      { send: 'q\r', expect: 'quit:' },
    ]);
    assert.ok(second.ok, `step ${second.failed_step}:\n${second.output}`);
  });

  test('Ctrl-C at the prompt clears the line; Ctrl-D ends the session', () => {
    const r = drive(linux, [{ expect: '0:000> ' }, { send: 'lm m nothing\u0003', expect: '\\^C', new: true }, { send: '? 2+2\r', expect: 'Evaluate expression: 4 ', new: true }, { send: '\u0004', sleep: 0.5 }]);
    assert.ok(r.ok, `step ${r.failed_step}:\n${r.output}`);
    assert.equal(r.status, 0);
    assert.doesNotMatch(r.output, /module name\r?\n.*nothing/);
  });

  describe('on a modeled complete kernel dump', () => {
    const dump = join(dir, 'complete.dmp');
    before(() => {
      const m = runCli(['machine', '--ram', '256M', '--seed', '3', '-o', dump]);
      assert.equal(m.status, 0, m.stderr);
    });

    test('Ctrl-C stops a long s search, not the shell', () => {
      // 48 zero bytes then a marker: every zero in kernel space starts a candidate, so the search is long
      const pattern = [...Array(48).fill('00'), '5a', 'a5', '5a', 'a5'].join(' ');
      const r = drive(dump, [
        { expect: 'kd> ' },
        { send: `s -b ffff8000\`00000000 L?7fffffffffff ${pattern}\r`, sleep: 1 },
        { send: '\u0003', expect: '\\^C: command stopped', timeout: 15 },
        { send: '? 1+1\r', expect: 'Evaluate expression: 2 ', new: true },
        { send: 'q\r', expect: 'quit:' },
      ]);
      assert.ok(r.ok, `step ${r.failed_step}:\n${r.output}`);
      assert.equal(r.status, 0);
    });
  });

  test('commands piped on standard input run one by one', () => {
    const r = runCli(['dbg', linux], { input: 'lm m libc*\n~\nq\n', env: { DUMPKIT_HISTORY: join(dir, 'unused') } });
    assert.equal(r.status, 0, r.stderr);
    assert.match(r.stdout, /libc_2 +\(deferred\)/);
    assert.match(r.stdout, /^0:000> ~\n\.  0  Id: 74dd\.74dd /m, "pid 29917 from the LinuxProcStatus stream, tid 29917");
  });
});
