import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { after, describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { DebuggerEngine } from '../../../src/core/debugger/engine.js';
import { nodeHost } from '../../../src/node/debugger/host.js';
import { FileSource } from '../../../src/node/file-source.js';
import { openSymbolProvider } from '../../../src/node/symbols/index.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

/**
 * k, kn, kb, kv, .frame and !analyze in the shell: on Breakpad's minidump2 with the corpus symbols,
 * the frames are those Breakpad's own minidump_stackwalk prints (its expected output in the corpus).
 */
const closers: (() => Promise<void>)[] = [];
after(async () => {
  for (const c of closers) await c();
});

async function open(rel: string, withSymbols: boolean): Promise<DebuggerEngine> {
  const s = FileSource.open(corpusFile(rel));
  const symbols = withSymbols ? openSymbolProvider([corpusFile('symbols')], new Diagnostics()) : undefined;
  closers.push(async () => {
    await symbols?.close();
    await s.close();
  });
  return DebuggerEngine.open(s, { ...nodeHost(corpusFile(rel)), ...(symbols ? { symbols } : {}) });
}

async function text(e: DebuggerEngine, cmd: string): Promise<string> {
  const r = await e.execute(cmd);
  assert.equal(r.error, undefined, `${cmd}: ${r.text}`);
  return r.text;
}

describe('stack commands', { skip: corpusSkip }, () => {
  const rel = 'minidump/breakpad/minidump2.dmp';

  test('.ecxr; kv gives Breakpad\'s frames: functions, ebp, return addresses, how each was found', async () => {
    const expected = readFileSync(corpusFile('minidump/breakpad/expected/minidump2.stackwalk.out'), 'utf8');
    const bp = [...expected.matchAll(/^ ?\d+ {2}[^!]+!([^\[\n]+?)(?: \[[^\]]+\])?(?: \+ 0x[0-9a-f]+)?\n\s+eip = (0x[0-9a-f]+)\s+esp = 0x[0-9a-f]+\s+ebp = (0x[0-9a-f]+)[\s\S]*?Found by: (.+)$/gm)].map((m) => ({
      fn: m[1]!.trim(),
      eip: BigInt(m[2]!),
      ebp: BigInt(m[3]!),
      how: m[4]!.trim(),
    }));
    assert.equal(bp.length, 4, 'the four frames of thread 0');
    const e = await open(rel, true);
    await text(e, '.ecxr');
    const kv = (await text(e, 'kv')).split('\n');
    assert.equal(kv[0], 'ChildEBP RetAddr  Args to Child');
    const rows = kv.slice(1).map((l) => /^([0-9a-f]{8}) ([0-9a-f]{8}) (?:[0-9a-f?]{8} ){3}[^!]+!(.+?)(?:\+0x[0-9a-f]+)?(?: \[[^\]]+\])?  \((.+)\)$/.exec(l));
    assert.equal(rows.length, bp.length, kv.join('\n'));
    rows.forEach((r, i) => {
      assert.ok(r, kv[i + 1]);
      assert.equal(r[3], bp[i]!.fn, `frame ${i} function`);
      assert.equal(BigInt('0x' + r[1]), bp[i]!.ebp, `frame ${i} ebp`);
      assert.equal(BigInt('0x' + r[2]), bp[i + 1]?.eip ?? 0n, `frame ${i} return address`);
      assert.equal(r[4], bp[i]!.how, `frame ${i} trust`);
    });
    // source lines as WinDbg shows them, from the symbol file
    assert.match(kv[1]!, /CrashFunction\+0xe \[c:\\test_app\.cc @ 58\]/);
  });

  test('kn numbers frames; .frame N selects one; .frame /r shows its recovered registers', async () => {
    const e = await open(rel, true);
    await text(e, '.ecxr');
    const kn = (await text(e, 'kn')).split('\n');
    assert.equal(kn[0], ' # ChildEBP RetAddr');
    assert.match(kn[2]!, /^01 0012ff70 004053ec test_app!main\+0x50/);
    assert.equal(await text(e, '.frame 1'), kn[2]);
    const r = await text(e, '.frame /r 2');
    assert.match(r, /^02 0012ffc0 7c816fd7 test_app!__tmainCRTStartup/);
    assert.match(r, /eip=004053ec esp=0012ff78 ebp=0012ffc0/);
    assert.equal((await e.execute('.frame 9')).error?.code, 'INVALID_ARGUMENT');
  });

  test('without symbols the frames are module+offset, and the thread context (not .ecxr) walks from the handler', async () => {
    const e = await open(rel, false);
    const k = (await text(e, 'k')).split('\n');
    assert.ok(k.length > 2, k.join('\n'));
    for (const l of k.slice(1).filter((x) => !x.startsWith('('))) assert.match(l, /^[0-9a-f]{8} [0-9a-f]{8} (\S+\+0x[0-9a-f]+|[0-9a-f]{8})$/);
    await text(e, '.ecxr');
    assert.match((await text(e, 'k 1')).split('\n')[1]!, /^0012fe88 00404200 test_app\+0x429e$/);
  });

  test('~* k walks every thread and comes back to the current one', async () => {
    const e = await open(rel, true);
    const out = await text(e, '~* k 2');
    const heads = [...out.matchAll(/^([.# ]) {1,2}(\d+)  Id: f5c\.([0-9a-f]+) /gm)].map((m) => [m[1], m[2], m[3]]);
    assert.deepEqual(heads, [['.', '0', 'bf4'], [' ', '1', '11c0']]);
    assert.equal(out.split('\n').filter((l) => l === 'ChildEBP RetAddr').length, 2);
    assert.match(out, /kernel32!WaitForSingleObject\+0x12/);
    assert.equal(e.currentThread, 0);
    assert.equal(await text(e, '~1 r eip'), `   1  Id: f5c.11c0 Suspend: 0 Teb: 7ffde000 Unfrozen\neip=7c90eb94`);
  });

  test('!analyze -v reports the access violation and the stack', async () => {
    const e = await open(rel, true);
    const a = await text(e, '!analyze -v');
    assert.match(a, /Exception Analysis/);
    assert.match(a, /CrashFunction/);
  });
});
