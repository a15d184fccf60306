import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DebuggerEngine } from '../../../src/core/debugger/engine.js';
import { nodeHost } from '../../../src/node/debugger/host.js';
import { FileSource } from '../../../src/node/file-source.js';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { arm64Context, le, MinidumpBuilder, systemInfo, thread } from '../../fixtures/minidump-builder.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

/** `u` decodes the same instructions as binutils' objdump on the same bytes (linear sweep, Intel syntax). */
const hasObjdump = spawnSync('sh', ['-c', 'command -v objdump']).status === 0;
const objdumpSkip = hasObjdump ? false : process.env.CI ? assert.fail('CI=true but objdump (binutils) is missing') : 'objdump not installed (apt-get install binutils)';
const hasArm64Objdump = spawnSync('sh', ['-c', 'command -v aarch64-linux-gnu-objdump']).status === 0;
const arm64Skip = hasArm64Objdump ? false : process.env.CI ? assert.fail('CI=true but aarch64-linux-gnu-objdump is missing') : 'aarch64-linux-gnu-objdump not installed (apt-get install binutils-aarch64-linux-gnu)';
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

function objdump(bytes: Uint8Array, address: bigint, machine: string, tool = 'objdump'): Decoded[] {
  const file = join(dir, `code-${address.toString(16)}.bin`);
  writeFileSync(file, bytes);
  const r = spawnSync(tool, ['-D', '-b', 'binary', '-m', machine, ...(machine === 'aarch64' ? [] : ['-M', 'intel']), `--adjust-vma=0x${address.toString(16)}`, file], { encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
  const out: Decoded[] = [];
  for (const m of r.stdout.matchAll(/^\s*([0-9a-f]+):\t((?:[0-9a-f]{2} )+|[0-9a-f]{8} )[ \t]*(\S*)/gm)) {
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

/** An ARM64 minidump (built here with literal offsets): a thread whose pc is in a range of code. */
function arm64Dump(code: Uint8Array, pc: bigint): Uint8Array {
  const b = new MinidumpBuilder();
  b.stream(7, systemInfo({ arch: 12, platform: 0x8205, ncpu: 4 })); // PROCESSOR_ARCHITECTURE_ARM64, Linux
  const ctx = b.loc(arm64Context({ x: [1n, 2n], fp: 0x7ffff000n, lr: 0x400100n, sp: 0x7fffe000n, pc }));
  b.stream(3, thread(le().u32(1), { id: 77, stackStart: 0x7fffe000n, stack: { size: 0, rva: 0 }, context: ctx }).toBytes());
  const mem = b.loc(code);
  b.stream(5, le().u32(1).u64(pc).u32(mem.size).u32(mem.rva).toBytes());
  return b.build();
}

describe('u on ARM64 against aarch64 objdump', { skip: arm64Skip }, () => {
  test('a function prologue, a loop and an epilogue decode the same; r shows ARM64 registers', async () => {
    // stp x29,x30,[sp,#-16]!; mov x29,sp; bl +8; ldr x0,[x1,#8]; add x0,x0,#1; cmp x0,#0x10; b.ne -8; ldp x29,x30,[sp],#16; ret
    const words = [0xa9bf7bfd, 0x910003fd, 0x94000002, 0xf9400420, 0x91000400, 0xf100401f, 0x54ffffc1, 0xa8c17bfd, 0xd65f03c0];
    const code = new Uint8Array(words.length * 4);
    words.forEach((w, i) => new DataView(code.buffer).setUint32(i * 4, w, true));
    const pc = 0x400200n;
    const e = await DebuggerEngine.open(new MemorySource(arm64Dump(code, pc), 'arm64.dmp'), nodeHost('arm64.dmp'));
    const u = await e.execute(`u ${pc.toString(16)} L0n${words.length}`);
    assert.equal(u.error, undefined, u.text);
    const ours = parseU(u.text);
    const theirs = objdump(code, pc, 'aarch64', 'aarch64-linux-gnu-objdump');
    assert.equal(ours.length, words.length, u.text);
    // objdump prints each instruction word as one little-endian number; the engine prints the bytes in memory order
    const wordHex = (d: Decoded): string => (d.bytes.length === 8 ? d.bytes.match(/../g)!.reverse().join('') : d.bytes);
    assert.deepEqual(
      ours.map((d) => [d.address, wordHex(d), d.mnemonic]),
      theirs.map((d) => [d.address, d.bytes, d.mnemonic]),
      u.text,
    );
    const r = (await e.execute('r')).text;
    assert.match(r, /^ x0=0000000000000001 {4}x1=0000000000000002/m);
    assert.match(r, /pc=0000000000400200/);
    assert.match(r, /^00000000`00400200 fd7bbfa9 +stp +x29,x30,\[sp,#-0x10\]!$/m);
  });
});
