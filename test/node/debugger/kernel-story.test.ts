import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { DebuggerEngine } from '../../../src/core/debugger/engine.js';
import type { KernelTarget } from '../../../src/core/debugger/kernel-target.js';
import { nodeHost } from '../../../src/node/debugger/host.js';
import { FileSource } from '../../../src/node/file-source.js';
import { runCli } from '../../helpers/cli.js';
import { runOddCommands } from '../../helpers/dbg-odd-commands.js';

/**
 * The seed's story (a kernel memory dump: "Kernel Summary Dump File: Only kernel address space is
 * available", `!process 0 0 explorer.exe` finds the process, `.process` fails with "has invalid
 * page directories") replayed on a modeled machine's complete dump and the kernel dump derived from
 * it, then the other kernel commands and `.dump`.
 */
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-dbg-kernel-'));
const complete = join(dir, 'complete.dmp');
const kernel = join(dir, 'kernel.dmp');
const sources: FileSource[] = [];

function ok(args: string[]): string {
  const r = runCli(args);
  assert.equal(r.status, 0, `dumpkit ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

before(() => {
  ok(['machine', '--ram', '256M', '--seed', '2', '-o', complete]);
  ok(['convert', complete, '--to', 'kernel', '-o', kernel]);
});
after(async () => {
  for (const s of sources) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

async function open(path: string): Promise<DebuggerEngine> {
  const s = FileSource.open(path);
  sources.push(s);
  return DebuggerEngine.open(s, nodeHost(path));
}

async function text(e: DebuggerEngine, cmd: string): Promise<string> {
  const r = await e.execute(cmd);
  assert.equal(r.error, undefined, `${cmd}: ${r.text}`);
  return r.text;
}

/** The first EPROCESS of explorer.exe from `!process 0 0 explorer.exe`. */
async function explorer(e: DebuggerEngine): Promise<string> {
  const out = await text(e, '!process 0 0 explorer.exe');
  assert.match(out, /^\*\*\*\* NT ACTIVE PROCESS DUMP \*\*\*\*$/m);
  assert.match(out, /^ {4}Image: explorer\.exe$/m);
  const m = /^PROCESS ([0-9a-f]{8}`[0-9a-f]{8})$/m.exec(out);
  assert.ok(m, out);
  return m[1]!;
}

describe('the seed\'s story: a kernel memory dump against the complete dump it came from', () => {
  let userAddress: bigint;

  test('complete dump: .process /p succeeds and user memory reads', async () => {
    const e = await open(complete);
    assert.match(await e.banner(), /^Kernel Bitmap Dump File: Full address space is available$/m);
    const ep = await explorer(e);
    assert.equal(await text(e, `.process /p ${ep}`), `Implicit process is now ${ep}`);
    // the modeled machine tags each page with 'dkpg': find one in explorer's user space
    const hits = (await e.execute('s -a 0 L?800000000000 "dkpg"')).data as { hits: bigint[] };
    assert.ok(hits.hits.length > 0, 'explorer.exe has user pages in a complete dump');
    userAddress = hits.hits[0]!;
    const db = await text(e, `db ${userAddress.toString(16)} L10`);
    assert.match(db, /  64 6b 70 67 /, db);
    assert.doesNotMatch(db, /\?\?/);
    // the kernel's own address space has no user mappings: reading there says to pick a process
    await text(e, '.process 0');
    assert.match(await text(e, `db ${userAddress.toString(16)} L10`), /user addresses belong to a process/);
  });

  test('kernel dump: banner, !process finds explorer.exe, .process fails with invalid page directories, user reads hit the limit', async () => {
    const e = await open(kernel);
    const banner = await e.banner();
    assert.match(banner, /^Kernel Summary Dump File: Only kernel address space is available$/m);
    const ep = await explorer(e);
    const r = await e.execute(`.process /p ${ep}`);
    assert.equal(r.error?.code, 'LIMIT');
    assert.match(r.text, new RegExp(`^Process ${ep} has invalid page directories`));
    const db = await e.execute(`db ${userAddress.toString(16)} L10`);
    assert.match(db.text, /^[0-9a-f`]+ {2}\?\? \?\? \?\?/);
    assert.match(db.text, /only kernel address space is available in this DUMP_TYPE_BITMAP_KERNEL dump: user address/);
    assert.doesNotMatch(db.text, /ignore_missing_pages/, 'no page can be had for a user address: the hint would not help');
  });
});

describe('kernel commands on the modeled dumps', () => {
  test('vertarget, lm, .bugcheck, !pte and !vtop agree with the kernel dump reader', async () => {
    const e = await open(kernel);
    const modules = await (e.target as KernelTarget).dump.modules();
    assert.match(await text(e, 'vertarget'), /^Windows 10 Kernel Version 19041 MP \(8 procs\) Free x64$/m);
    const lm = (await text(e, 'lm')).split('\n');
    assert.equal(lm.length - 1, modules.length);
    const nt = modules[0]!;
    assert.equal(nt.name, 'ntoskrnl.exe');
    const ntBase = nt.base;
    assert.equal(lm[1], `${fmt(ntBase)} ${fmt(ntBase + BigInt(nt.size))}   nt         (export symbols)`, 'the modeled kernel image has an export table in the dump');
    assert.match(await text(e, '.bugcheck'), /^Bugcheck code 1000007E \(SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M\)\nArguments 00000000`c0000005 /);
    const pte = await text(e, `!pte ${fmt(ntBase)}`);
    assert.match(pte, /^PXE at [0-9A-F]{16} +PPE at [0-9A-F]{16} +PDE at [0-9A-F]{16} +PTE at [0-9A-F]{16}$/m);
    assert.match(pte, /^maps to PA [0-9a-f]+ \(4 KiB page\), which is in the dump$/m);
    const vtop = await text(e, `!vtop 0 ${fmt(ntBase)}`);
    const pa = /translates to physical address ([0-9a-f]+)\./.exec(vtop)![1]!;
    // the same bytes through the virtual and the physical address
    const v = /^\S+\s+(.*)$/.exec(await text(e, `dq ${fmt(ntBase)} L2`))![1];
    const p = /^#\s*[0-9a-f]+\s+(.*)$/.exec(await text(e, `!dq ${pa} L2`))![1];
    assert.match(v!, /^[0-9a-f]{8}`[0-9a-f]{8} [0-9a-f]{8}`[0-9a-f]{8}$/);
    assert.equal(p, v);
  });

  test('k walks the bug-checking processor\'s stack with names from the images\' exports; !analyze -v explains the bug check', async () => {
    const e = await open(kernel);
    const kn = (await text(e, 'kn')).split('\n');
    assert.equal(kn[0], ' # Child-SP          RetAddr               Call Site');
    const rows = kn.slice(1).filter((l) => /^[0-9a-f]{2} /.test(l)).map((l) => /^([0-9a-f]{2}) ([0-9a-f`]{17}) ([0-9a-f`]{17}) {5}(\S+)/.exec(l)!);
    assert.ok(rows.length >= 3, kn.join('\n'));
    assert.match(rows[0]![4]!, /^nt!KeBugCheckEx\+0x[0-9a-f]+$/, 'frame 0 is in KeBugCheckEx (the header context)');
    const rip = BigInt('0x' + /rip=([0-9a-f]{16})/.exec(await text(e, 'r rip'))![1]);
    assert.equal(await e.symbolize(rip), rows[0]![4]);
    // every return address is where the next frame's call site is
    for (let i = 0; i + 1 < rows.length; i++) {
      const ret = BigInt('0x' + rows[i]![3]!.replace('`', ''));
      assert.equal(await e.symbolize(ret), rows[i + 1]![4], `frame ${i} returns into frame ${i + 1}`);
    }
    const a = await text(e, '!analyze -v');
    assert.match(a, /^BUGCHECK_CODE: +1000007e$/m);
    assert.match(a, /only kernel address space is available/);
  });

  test('!process ADDR 7 lists the threads; !thread shows one', async () => {
    const e = await open(kernel);
    const ep = await explorer(e);
    const out = await text(e, `!process ${ep} 7`);
    const threads = [...out.matchAll(/^ {8}THREAD ([0-9a-f`]+)  Cid ([0-9a-f]+)\.([0-9a-f]+)/gm)];
    assert.ok(threads.length > 0, out);
    const cid = /Cid: ([0-9a-f]+)/.exec(out)![1]!;
    for (const t of threads) assert.equal(t[2], cid, 'every thread belongs to the process');
    // flag 4: each thread's kernel stack, walked from its saved switch frame
    assert.match(out, /^ {8}Child-SP {10}RetAddr {15}Call Site\n {8}[0-9a-f`]{17} [0-9a-f`]{17} {5}nt!\w+/m);
    const one = await text(e, `!thread ${threads[0]![1]}`);
    assert.match(one, new RegExp(`^THREAD ${threads[0]![1]}  Cid ${cid}\\.`));
    assert.match(one, /Image: +explorer\.exe/);
  });

  test('.dump /s writes a small dump with the same driver list; growing is refused; an existing file is kept', async () => {
    const e = await open(kernel);
    const small = join(dir, 'small.dmp');
    assert.match(await text(e, `.dump /s ${small}`), /^Dump successfully written: .*kernel → small \(DumpType 4\)/);
    assert.equal(statSync(small).mode & 0o777, 0o600);
    const back = await open(small);
    assert.match(await back.banner(), /^Mini Kernel Dump File: Only registers and stack trace are available$/m);
    // the same drivers at the same places (the small dump holds no image pages, so no export names)
    const columns = (lm: string): string[] => lm.split('\n').map((l) => l.split(/\s+/).slice(0, 3).join(' '));
    assert.deepEqual(columns(await text(back, 'lm')), columns(await text(e, 'lm')));
    assert.ok((await text(e, 'lm')).split('\n').length > 20);
    const again = await e.execute(`.dump /s ${small}`);
    assert.equal(again.error?.code, 'REFUSED');
    assert.match(again.text, /exists; \.dump \/o replaces it/);
    const grow = await e.execute(`.dump /f ${join(dir, 'grown.dmp')}`);
    assert.equal(grow.error?.code, 'REFUSED');
    assert.ok(!existsSync(join(dir, 'grown.dmp')));
  });

  test('odd arguments on the kernel dump: every command answers in text, none throws', async () => {
    await runOddCommands(await open(kernel));
  });

  test('dumpkit dbg -c runs a batch like cdb: banner, each command after the prompt, q ends it', () => {
    const r = runCli(['dbg', kernel, '-c', '!process 0 0 System; frobnicate; .ignore_missing_pages 1; q; lm']);
    assert.equal(r.status, 1, 'a command failed: exit 1');
    assert.match(r.stdout, /^Loading Dump File \[.*kernel\.dmp\]\nKernel Summary Dump File: Only kernel address space is available\n/);
    assert.match(r.stdout, /^0: kd> !process 0 0 System\n\*\*\*\* NT ACTIVE PROCESS DUMP \*\*\*\*\nPROCESS [0-9a-f`]+\n {4}Cid: 0004 /m);
    assert.match(r.stdout, /^0: kd> \.ignore_missing_pages 1\nMissing pages are read as zeros/m);
    assert.match(r.stdout, /^0: kd> q\nquit:\n$/m);
    assert.doesNotMatch(r.stdout, /kd> lm/, 'nothing runs after q');
    assert.match(r.stdout, /^0: kd> frobnicate\nUnknown command: frobnicate/m);
  });
});

function fmt(v: bigint): string {
  const s = v.toString(16).padStart(16, '0');
  return `${s.slice(0, 8)}\`${s.slice(8)}`;
}
