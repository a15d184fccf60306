import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DebuggerEngine } from '../../../src/core/debugger/engine.js';
import { nodeHost } from '../../../src/node/debugger/host.js';
import { FileSource } from '../../../src/node/file-source.js';
import { runCli } from '../../helpers/cli.js';
import { lldbBatch, parseRegisterReads, parseThreadList } from '../../helpers/lldb.js';
import { buildTarget, lldbSkip, RunningTarget } from '../../helpers/target.js';

/**
 * `.dump /m|/mp|/ma` on a full capture of a live process: the smaller dumps open in LLDB with the
 * process's threads and registers, the heap pattern stays only where the variety keeps it, and
 * nothing is grown.
 */
describe('.dump from a full capture', { skip: lldbSkip }, () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-dbg-dump-'));
  const full = join(dir, 'full.dmp');
  let target: RunningTarget | undefined;
  const sources: FileSource[] = [];
  before(async () => {
    target = await RunningTarget.start(buildTarget(64)!);
    const r = runCli(['capture', String(target.pid), '--type', 'full', '-o', full]);
    assert.equal(r.status, 0, r.stderr);
  });
  after(async () => {
    await target?.stop();
    for (const s of sources) await s.close();
    rmSync(dir, { recursive: true, force: true });
  });

  async function open(path: string): Promise<DebuggerEngine> {
    const s = FileSource.open(path);
    sources.push(s);
    return DebuggerEngine.open(s, nodeHost(path));
  }

  test('.dump /m writes a mini dump LLDB opens with the same threads and registers; /mp keeps the heap; /ma copies', async () => {
    const info = target!.info;
    const e = await open(full);
    assert.match(await e.banner(), /^User Mini Dump File with Full Memory: Only application data is available$/m);
    const pattern = BigInt(info.pattern);
    assert.match((await e.execute(`da ${pattern.toString(16)} L10`)).text, /"DUMPKIT-PATTERN!"/);
    const mini = join(dir, 'mini.dmp');
    const w = await e.execute(`.dump /m ${mini}`);
    assert.equal(w.error, undefined, w.text);
    assert.match(w.text, /^Dump successfully written: .*mini\.dmp \(mini, \d+ bytes/);
    assert.equal(statSync(mini).mode & 0o777, 0o600);
    assert.ok(statSync(mini).size < statSync(full).size);

    const out = lldbBatch(mini, ['thread list', ...info.threads.flatMap((_, i) => [`thread select ${i + 1}`, 'register read pc sp'])]);
    assert.match(out, /\(x86_64\) was loaded/);
    const threads = parseThreadList(out);
    assert.deepEqual(threads.map((t) => t.tid).sort((a, b) => a - b), info.threads.map((t) => t.tid).sort((a, b) => a - b));
    // the registers LLDB reads from the mini dump are those the engine shows for the full one
    const regs = parseRegisterReads(out);
    for (const th of threads) {
      const i = (await e.target.threads()).findIndex((t) => t.id === th.tid);
      await e.execute(`~${i}s`);
      const ours = (await e.execute('r rip, rsp')).text;
      assert.equal(ours, `rip=${regs[th.index - 1]!.pc.toString(16).padStart(16, '0')} rsp=${regs[th.index - 1]!.sp.toString(16).padStart(16, '0')}`);
    }

    const m = await open(mini);
    assert.match(await m.banner(), /^User Mini Dump File: Only registers, stack and portions of memory are available$/m);
    assert.match((await m.execute(`db ${pattern.toString(16)} L4`)).text, /\?\? \?\? \?\? \?\?/, 'a mini dump has no heap');
    const refused = await m.execute(`.dump /ma ${join(dir, 'grown.dmp')}`);
    assert.equal(refused.error?.code, 'REFUSED');

    const plus = join(dir, 'plus.dmp');
    assert.equal((await e.execute(`.dump /mp ${plus}`)).error, undefined);
    assert.match((await (await open(plus)).execute(`da ${pattern.toString(16)} L10`)).text, /"DUMPKIT-PATTERN!"/);
    const copy = join(dir, 'copy.dmp');
    assert.equal((await e.execute(`.dump /ma ${copy}`)).error, undefined);
    assert.equal(statSync(copy).size, statSync(full).size);
  });
});
