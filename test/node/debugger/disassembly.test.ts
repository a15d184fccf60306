import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DebuggerEngine } from '../../../src/core/debugger/engine.js';
import { nodeHost } from '../../../src/node/debugger/host.js';
import { FileSource } from '../../../src/node/file-source.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

/** `u` decodes the same instructions as binutils' objdump on the same bytes (linear sweep, Intel syntax). */
const hasObjdump = spawnSync('sh', ['-c', 'command -v objdump']).status === 0;
const objdumpSkip = hasObjdump ? false : process.env.CI ? assert.fail('CI=true but objdump (binutils) is missing') : 'objdump not installed (apt-get install binutils)';
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-dbg-u-'));
const sources: FileSource[] = [];
after(async () => {
  for (const s of sources) await s.close();
  rmSync(dir, { recursive: true, force: true });
});

interface Decoded {
  address: bigint;
  bytes: string;
  mnemonic: string;
}

function objdump(bytes: Uint8Array, address: bigint, machine: string): Decoded[] {
  const file = join(dir, `code-${address.toString(16)}.bin`);
  writeFileSync(file, bytes);
  const r = spawnSync('objdump', ['-D', '-b', 'binary', '-m', machine, '-M', 'intel', `--adjust-vma=0x${address.toString(16)}`, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out: Decoded[] = [];
  for (const m of r.stdout.matchAll(/^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+)[ \t]*(\S*)/gm)) {
    const bytesHex = m[2]!.trim().replace(/ /g, '');
    // objdump continues a long instruction's bytes on a line of their own, without a mnemonic
    if (!m[3]) out[out.length - 1]!.bytes += bytesHex;
    else out.push({ address: BigInt('0x' + m[1]), bytes: bytesHex, mnemonic: m[3] });
  }
  return out;
}

function parseU(text: string): Decoded[] {
  return [...text.matchAll(/^([0-9a-f`]+) ([0-9a-f]+) +(\S+)/gm)].map((m) => ({ address: BigInt('0x' + m[1]!.replace('`', '')), bytes: m[2]!, mnemonic: m[3]! }));
}

async function check(rel: string, address: bigint, count: number, machine: string): Promise<void> {
  const s = FileSource.open(corpusFile(rel));
  sources.push(s);
  const e = await DebuggerEngine.open(s, nodeHost(corpusFile(rel)));
  const u = await e.execute(`u ${address.toString(16)} L0n${count}`);
  assert.equal(u.error, undefined, u.text);
  const ours = parseU(u.text);
  assert.equal(ours.length, count, u.text);
  const end = ours[ours.length - 1]!.address + BigInt(ours[ours.length - 1]!.bytes.length / 2);
  const bytes = await e.target.read(address, Number(end - address));
  const theirs = objdump(bytes, address, machine).filter((d) => d.address < end);
  assert.deepEqual(
    ours.map((d) => [d.address, d.bytes, d.mnemonic]),
    theirs.map((d) => [d.address, d.bytes, d.mnemonic]),
    `u at ${address.toString(16)}:\n${u.text}`,
  );
}

describe('u against objdump', { skip: corpusSkip || objdumpSkip }, () => {
  test('x64 code in a Linux Breakpad minidump (the crashing function and its caller)', async () => {
    await check('minidump/lldb/linux-x86_64.dmp', 0x4003d0n, 14, 'i386:x86-64');
  });

  test('x86 code in a Windows minidump (at the faulting instruction)', async () => {
    await check('minidump/breakpad/null_read_av.dmp', 0x90a6cdn, 12, 'i386');
  });

  test('WinDbg spelling of operands: hex with h, resolved call targets', async () => {
    const s = FileSource.open(corpusFile('minidump/breakpad/null_read_av.dmp'));
    sources.push(s);
    const e = await DebuggerEngine.open(s, nodeHost('null_read_av.dmp'));
    const u = (await e.execute('u 90a6da L3')).text;
    assert.match(u, /^0090a6da c745fcffffffff  mov     dword ptr \[ebp-4\],0FFFFFFFFh$/m);
    assert.match(u, /^0090a6e1 8d8d14ffffff    lea     ecx,\[ebp-0ECh\]$/m);
    assert.match(u, /^0090a6e7 e8d470ffff      call    crashme\+0x17c0 \(009017c0\)$/m);
  });
});
