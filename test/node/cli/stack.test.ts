/**
 * `dumpkit stack` end to end: Breakpad's outputs for minidump2.dmp with the corpus symbols (through
 * --symbols and through DUMPKIT_SYMBOLS), thread selection, JSON, and the refusals (kernel dumps,
 * unknown thread ids, conflicting options) with exit code 2.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

const dump2 = () => corpusFile('minidump/breakpad/minidump2.dmp');
const symbols = () => corpusFile('symbols');

describe('dumpkit stack', { skip: corpusSkip }, () => {
  test("minidump2.dmp --symbols: Breakpad's minidump_stackwalk output, human and -m", () => {
    const human = runCli(['stack', dump2(), '--symbols', symbols()]);
    assert.equal(human.status, 0, human.stderr);
    assert.equal(human.stdout, readFileSync(corpusFile('minidump/breakpad/expected/minidump2.stackwalk.out'), 'utf8'));
    const machine = runCli(['stack', dump2(), '-m'], { env: { DUMPKIT_SYMBOLS: `srv*${symbols()}*https://example.invalid/symbols` } });
    assert.equal(machine.status, 0, machine.stderr);
    assert.equal(machine.stdout, readFileSync(corpusFile('minidump/breakpad/expected/minidump2.stackwalk.machine_readable.out'), 'utf8'));
  });

  test('--json: the crashing thread with registers, frames with module offsets and trust', () => {
    const r = runCli(['stack', corpusFile('minidump/rust-minidump/linux-mini.dmp'), '--json']);
    assert.equal(r.status, 0, r.stderr);
    const j = JSON.parse(r.stdout) as { crashing_thread: { frames: { module: string; module_offset: string; trust: string; registers?: Record<string, string> }[] } };
    const f = j.crashing_thread.frames;
    assert.equal(f.length, 15);
    assert.deepEqual([f[0]!.module, f[0]!.module_offset, f[0]!.trust, f[0]!.registers?.rip], ['crash', '0x0000000000001d72', 'context', '0x0000000000401d72']);
    assert.deepEqual([f[1]!.module, f[1]!.module_offset, f[1]!.trust], ['libc-2.23.so', '0x00000000000f302d', 'scan']);
  });

  test('--thread selects threads by id (decimal or hex); --all walks every thread', () => {
    const dump = corpusFile('minidump/symbolic/windows-mini.dmp');
    const one = runCli(['stack', dump, '--thread', '3580', '-m']);
    assert.equal(one.status, 0, one.stderr);
    const frameThreads = (out: string) => new Set(out.split('\n').filter((l) => /^\d+\|\d+\|/.test(l)).map((l) => l.split('|')[0]));
    assert.equal(frameThreads(one.stdout).size, 1);
    const hex = runCli(['stack', dump, '--thread', '0xdfc', '-m']);
    assert.equal(hex.stdout, one.stdout);
    const all = runCli(['stack', dump, '--all', '-m']);
    assert.equal(frameThreads(all.stdout).size, 4);
    const dflt = runCli(['stack', dump, '-m']);
    assert.equal(frameThreads(dflt.stdout).size, 1);
  });

  test('refusals exit 2 with one line: unknown thread, kernel dump, conflicting options', () => {
    const dir = mkdtempSync(join(tmpdir(), 'dumpkit-stack-'));
    try {
      const kernel = join(dir, 'k.dmp');
      writeFileSync(kernel, Buffer.concat([Buffer.from('PAGEDU64'), Buffer.alloc(8192)]));
      for (const [args, re] of [
        [['stack', dump2(), '--thread', '12345'], /no thread with id 12345/],
        [['stack', kernel], /UNSUPPORTED: .*kernel dump/],
        [['stack', dump2(), '--all', '--thread', '1'], /exclude each other/],
        [['stack', dump2(), '--json', '-m'], /exclude each other/],
        [['stack', dump2(), '--max-frames', '0'], /not a positive integer/],
      ] as const) {
        const r = runCli([...args]);
        assert.equal(r.status, 2, `${args.join(' ')}: ${r.stderr}`);
        assert.match(r.stderr, re);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
