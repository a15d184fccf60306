import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { runCliBatch } from '../../helpers/cli.js';
import { buildElfCore, patternBytes } from '../../fixtures/elf-core-builder.js';

/** info and convert on an ELF core from the CLI (an aarch64 fixture: not this machine's kind), and what the other commands say of one. */
test('info, info --json, convert --to mini on an ELF core; refusals name what reads a core', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-cli-core-'));
  try {
    const core = join(dir, 'arm.core');
    const stack = 0xffffc0000000n;
    writeFileSync(
      core,
      buildElfCore({
        arch: 'aarch64',
        threads: [{ tid: 321, regs: { pc: 0xaaaa0001000n, sp: stack + 0x1f00n, x0: 7n }, cursig: 6, siginfo: { signo: 6, code: -6, pid: 321, uid: 1000 } }],
        psinfo: { pid: 321, ppid: 1, uid: 1000, gid: 1000, name: 'armapp', args: 'armapp -x', state: 'S' },
        files: [{ start: 0xaaaa0000000n, end: 0xaaaa0002000n, pageOffset: 0n, path: '/usr/bin/armapp' }],
        segments: [
          { vaddr: 0xaaaa0000000n, flags: 5, memsz: 0x2000n },
          { vaddr: stack, flags: 6, memsz: 0x2000n, data: patternBytes(stack, 0x2000) },
        ],
      }),
    );
    const out = join(dir, 'arm.dmp');
    const [text, json, conv, refused, stack2] = runCliBatch([['info', core], ['info', core, '--json'], ['convert', core, '--to', 'mini', '-o', out], ['convert', core, '--to', 'kernel'], ['stack', core]]);
    assert.equal(text!.code, 0, text!.stderr);
    assert.match(text!.stdout, /^ELF core \(aarch64, e_machine 183\)\nProcess: pid 321 "armapp" \(armapp -x\), parent 1, uid 1000 gid 1000, state S\nSignal: SIGABRT \(6\), code -6, sent by pid 321, thread 321\n/);
    assert.match(text!.stdout, /  321: pc 0xaaaa0001000 sp 0xffffc0001f00, no FP registers\n/);
    assert.match(text!.stdout, /0xaaaa0000000-0xaaaa0002000 r-xp 0x0 \/usr\/bin\/armapp {2}\[not dumped\]/);
    const j = JSON.parse(json!.stdout) as { arch: string; threads: { id: number; pc: string }[]; memory: { bytesInCore: string } };
    assert.equal(j.arch, 'arm64');
    assert.deepEqual(j.threads[0], { id: 321, pc: '0xaaaa0001000', sp: '0xffffc0001f00', fpRegisters: false });
    assert.equal(j.memory.bytesInCore, '0x2000');
    assert.equal(conv!.code, 0, conv!.stderr);
    assert.match(conv!.stdout, /arm\.dmp: mini minidump of an arm64 core, .* \(1 threads, 0 modules, 1 memory ranges/);
    assert.ok(existsSync(out) && (statSync(out).mode & 0o777) === 0o600);
    assert.equal(refused!.code, 2);
    assert.match(refused!.stderr, /an ELF core converts to a minidump: --to full, miniplus or mini \(got kernel\)/);
    assert.equal(stack2!.code, 2);
    assert.match(stack2!.stderr, /is an ELF core: dumpkit info reads it, and dumpkit convert --to full\|miniplus\|mini makes a minidump of it/);
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
