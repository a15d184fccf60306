import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { DebuggerEngine } from '../../../src/core/debugger/engine.js';
import { FileSource } from '../../../src/node/file-source.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';
import { runOddCommands } from '../../helpers/dbg-odd-commands.js';
import { lldbBatch } from '../../helpers/lldb.js';
import { lldbPath } from '../../helpers/target.js';

/**
 * The debugger engine on real minidumps from the corpus: what it prints agrees with the facts the
 * corpus MANIFEST records (from the dumps' own projects) and with LLDB reading the same file.
 */
const sources: FileSource[] = [];
after(async () => {
  for (const s of sources) await s.close();
});

async function open(rel: string): Promise<DebuggerEngine> {
  const s = FileSource.open(corpusFile(rel));
  sources.push(s);
  return DebuggerEngine.open(s);
}

async function run(e: DebuggerEngine, cmd: string): Promise<string> {
  const r = await e.execute(cmd);
  assert.equal(r.error, undefined, `${cmd}: ${r.text}`);
  return r.text;
}

const lldbSkip = lldbPath ? false : process.env.CI ? assert.fail('CI=true but lldb is missing') : 'lldb not installed (apt-get install lldb)';

describe('dbg engine on a Windows x86 minidump (breakpad/null_read_av.dmp)', { skip: corpusSkip }, () => {
  const rel = 'minidump/breakpad/null_read_av.dmp';

  test('banner, lm, ~ and the exception as the manifest records them', async () => {
    const e = await open(rel);
    const banner = await e.banner();
    assert.match(banner, /^Loading Dump File \[.*null_read_av\.dmp\]\nUser Mini Dump File: Only registers, stack and portions of memory are available$/m);
    const lm = (await run(e, 'lm')).split('\n');
    assert.equal(lm[0], 'start    end        module name');
    assert.equal(lm.length, 1 + 26, '26 modules');
    assert.match(lm[1]!, /^00900000 0091a000   crashme +\(deferred\)$/);
    assert.deepEqual((await run(e, 'lm m kernel*')).split('\n').slice(1).map((l) => l.split(/\s+/)[2]), ['kernel32', 'KERNELBASE']);
    const threads = (await run(e, '~')).split('\n');
    assert.equal(threads.length, 2);
    // pid 4308 (0x10d4), exception thread 1192 (0x4a8) is thread 0, current
    assert.match(threads[0]!, /^\.  0  Id: 10d4\.4a8 Suspend: 0 Teb: [0-9a-f]{8} Unfrozen$/);
    const exr = await run(e, '.exr -1');
    assert.match(exr, /^ExceptionAddress: 0090a6cd \(crashme\+0xa6cd\)$/m);
    assert.match(exr, /^ {3}ExceptionCode: c0000005 \(Access violation\)$/m);
    assert.match(exr, /^Attempt to read from address 00000000$/m);
    assert.match(await run(e, '.lastevent'), /^Last event: 10d4\.4a8: Access violation - code c0000005/);
  });

  test('.ecxr switches to the fault context; r shows x86 registers in WinDbg layout', async () => {
    const e = await open(rel);
    const r = await run(e, '.ecxr');
    assert.match(r, /^eax=00000000 ebx=7efde000 ecx=47401dbd edx=5f3d2408 esi=0037f8cc edi=0037fab4$/m);
    assert.match(r, /^eip=0090a6cd esp=0037f8cc ebp=0037fac0 iopl=0 +nv up ei pl zr na pe nc$/m);
    assert.match(r, /^cs=0023  ss=002b  ds=002b  es=002b  fs=0053  gs=002b +efl=00010246$/m);
    assert.equal(await run(e, 'r eip'), 'eip=0090a6cd');
    assert.equal(await run(e, '? eip - crashme'), 'Evaluate expression: 42701 = 0000a6cd');
  });

  test('memory the dump lacks reads as ????????, with the reason', async () => {
    const e = await open(rel);
    const out = await run(e, 'dd 0 L4');
    assert.equal(out.split('\n')[0], '00000000  ???????? ???????? ???????? ????????');
    assert.match(out, /Memory not in the dump: address 0x0 is not in any captured memory range/);
    const ok = await e.execute('dq');
    assert.match(ok.text, /^00000010  \?{8}`\?{8}/, 'd* without an address goes on after the last one');
  });

  test('unknown commands and bad expressions are errors, not exceptions', async () => {
    const e = await open(rel);
    const r = await e.execute('frobnicate');
    assert.equal(r.error?.code, 'INVALID_ARGUMENT');
    const b = await e.execute('dq nosuchsym');
    assert.match(b.text, /Couldn't resolve error at 'nosuchsym'/);
    const k = await e.execute('!process 0 0');
    assert.equal(k.error?.code, 'LIMIT');
  });
});

describe('dbg engine on a Linux x64 Breakpad minidump (lldb/linux-x86_64.dmp), against LLDB', { skip: corpusSkip }, () => {
  const rel = 'minidump/lldb/linux-x86_64.dmp';

  test('r: every general register LLDB reads has the same value', { skip: lldbSkip }, async () => {
    const e = await open(rel);
    const text = await run(e, 'r');
    const ours = new Map([...text.matchAll(/\b(r[a-z0-9]+)=([0-9a-f]{16})/g)].map((m) => [m[1]!, BigInt('0x' + m[2])]));
    const lldb = lldbBatch(corpusFile(rel), ['register read']);
    const theirs = [...lldb.matchAll(/^\s+(r\w+) = (0x[0-9a-f]+)/gm)].filter((m) => m[1] !== 'rflags');
    assert.ok(theirs.length >= 17, lldb);
    for (const [, name, value] of theirs) assert.equal(ours.get(name!), BigInt(value!), name);
    const efl = /rflags = (0x[0-9a-f]+)/.exec(lldb)![1]!;
    assert.match(text, new RegExp(`efl=${BigInt(efl).toString(16).padStart(8, '0')}$`, 'm'));
  });

  test('dq @rsp and db agree with LLDB memory read', { skip: lldbSkip }, async () => {
    const e = await open(rel);
    const rsp = 0x7fffc8d0e768n;
    const dq = await run(e, 'dq @rsp L4');
    const lldb = lldbBatch(corpusFile(rel), [`memory read --size 8 --format x --count 4 0x${rsp.toString(16)}`]);
    const theirs = [...lldb.matchAll(/0x[0-9a-f]{16}/g)].map((m) => BigInt(m[0]));
    const ours = [...dq.matchAll(/ ([0-9a-f]{8})`([0-9a-f]{8})/g)].map((m) => BigInt(`0x${m[1]}${m[2]}`));
    assert.equal(theirs.length, 4, lldb);
    assert.deepEqual(ours, theirs);
    assert.match(dq, /^00007fff`c8d0e768  00007fff`c8d0e778 00000000`004003fe$/m);
    const db = await run(e, 'db @rsp L10');
    assert.equal(db, '00007fff`c8d0e768  78 e7 d0 c8 ff 7f 00 00-fe 03 40 00 00 00 00 00  x.........@.....');
  });

  test('s finds strings and byte patterns where they are; ln and dps name the module', async () => {
    const e = await open(rel);
    const hits = await e.execute('s -a 0 L?ffffffffffffffff "libgcc_s.so"');
    const addrs = (hits.data as { hits: bigint[] }).hits;
    assert.ok(addrs.length >= 1, hits.text);
    for (const a of addrs) {
      const s = await run(e, `da ${a.toString(16)}`);
      assert.match(s, /"libgcc_s\.so/);
    }
    const push = (await e.execute('s -b 0 L?ffffffffffffffff 55 48 89 e5')).data as { hits: bigint[] };
    assert.ok(push.hits.includes(0x4003f0n), 'the function prologue at 0x4003f0');
    assert.match(await run(e, 'ln @rip'), /linux_x86_64\+0x3e0/);
    assert.match(await run(e, 'dps @rsp L2'), /^00007fff`c8d0e770  00000000`004003fe linux_x86_64\+0x3fe$/m);
  });
});

describe('odd arguments on every kind of minidump in the corpus sample', { skip: corpusSkip }, () => {
  for (const rel of ['minidump/breakpad/null_read_av.dmp', 'minidump/lldb/linux-x86_64.dmp', 'minidump/lldb/arm-linux.dmp', 'minidump/lldb/macos-arm-uuids-no-age.dmp', 'minidump/lldb/bad_overlapping_streams.dmp']) {
    test(`${rel}: every command answers in text, none throws`, async () => {
      await runOddCommands(await open(rel));
    });
  }
});
