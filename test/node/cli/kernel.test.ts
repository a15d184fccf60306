import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { statSync } from 'node:fs';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { writeKernelDump } from '../../../src/core/kernel/writer.js';
import { FileSink } from '../../../src/node/file-sink.js';
import { FileSource } from '../../../src/node/file-source.js';
import { runCli } from '../../helpers/cli.js';
import * as F from '../../fixtures/kernel-fixture.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-kernel-cli-'));
const m = F.buildMachine();
const files = {
  type1: join(dir, 'full1.dmp'),
  type5: join(dir, 'full5.dmp'),
  type6: join(dir, 'kernel6.dmp'),
  live: join(dir, 'live6.dmp'),
};
writeFileSync(files.type1, F.buildType1(m));
writeFileSync(files.type5, F.buildBitmap(m, { dumpType: 5 }));
writeFileSync(files.type6, F.buildBitmap(m, { dumpType: 6 }));
writeFileSync(files.live, F.buildBitmap(m, { dumpType: 6, attributes: 0x10, bugcheck: { code: 0x161, parameters: [0x005461736b6d6772n, 0n, 0n, 0n] } }));

function info(file: string): Record<string, any> {
  const r = runCli(['info', file, '--json']);
  assert.equal(r.status, 0, r.stderr);
  return JSON.parse(r.stdout);
}

describe('dumpkit info / read on kernel dumps', () => {
  it('info --json reports type, machine, bug check, modules, limits', () => {
    const s = info(files.type5);
    assert.equal(s.format, 'kernel');
    assert.equal(s.dumpType, 5);
    assert.equal(s.dumpTypeName, 'DUMP_TYPE_BITMAP_FULL');
    assert.equal(s.machine, 'amd64');
    assert.equal(s.processors, 2);
    assert.equal(s.bugcheck.code, 0x1000007e);
    assert.equal(s.bugcheck.name, 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M');
    assert.deepEqual(s.bugcheck.parameters, F.BUGCHECK.parameters.map((p) => '0x' + p.toString(16)));
    assert.equal(s.directoryTableBase, '0x1ad000');
    assert.equal(s.physicalPages, F.presentPfns(m, 'full').length);
    assert.equal(s.physicalBytes, s.physicalPages * 4096);
    assert.deepEqual(
      s.modules.map((x: { name: string }) => x.name),
      ['ntoskrnl.exe', 'hal.dll', 'disk.sys'],
    );
    assert.equal(s.modules[0].base, '0x' + F.KERN_BASE.toString(16));
    assert.match(s.limits[0], /^complete memory dump/);
    assert.deepEqual(s.processes, [{ pid: 0x1234, name: 'notepad.exe', eprocess: '0x' + F.EPROCESS_VA.toString(16), directoryTableBase: '0x' + m.userDtb.toString(16) }]);
    assert.deepEqual(s.secondaryData, []);
  });

  it('info states the kernel-only and live-dump limits', () => {
    const k = info(files.type6);
    assert.equal(k.dumpType, 6);
    assert.match(k.limits.join('\n'), /only kernel address space is available/);
    assert.doesNotMatch(k.limits.join('\n'), /live kernel dump/);
    const live = info(files.live);
    assert.equal(live.bugcheck.name, 'LIVE_SYSTEM_DUMP');
    assert.match(live.limits.join('\n'), /live kernel dump/);
    const one = info(files.type1);
    assert.equal(one.dumpTypeName, 'DUMP_TYPE_FULL');
    const text = runCli(['info', files.type6]);
    assert.equal(text.status, 0);
    assert.match(text.stdout, /Limits:\n  - kernel memory dump/);
  });

  it('read --va prints a hex dump; a user address in a kernel dump fails with the limit', () => {
    const ok = runCli(['read', files.type6, '--va', '0x' + F.KERN_BASE.toString(16), '--length', '16']);
    assert.equal(ok.status, 0, ok.stderr);
    assert.match(ok.stdout, /^fffff80412600000  4d 5a 90 00/);
    const user = runCli(['read', files.type6, '--va', '0x' + F.USER_VA.toString(16), '--dtb', '0x' + m.userDtb.toString(16)]);
    assert.equal(user.status, 2);
    assert.match(user.stderr, /^dumpkit: LIMIT: only kernel address space is available/);
    assert.equal(user.stderr.trim().split('\n').length, 1);
    const full = runCli(['read', files.type5, '--va', '0x' + F.USER_VA.toString(16), '--dtb', '0x' + m.userDtb.toString(16), '--length', '24', '--raw']);
    assert.equal(full.status, 0, full.stderr);
    assert.equal(full.stdout, 'user page of notepad.exe');
    const noDtb = runCli(['read', files.type5, '--va', '0x' + F.USER_VA.toString(16)]);
    assert.equal(noDtb.status, 2);
    assert.match(noDtb.stderr, /ADDRESS_NOT_MAPPED: .*user addresses belong to a process: translate with its DirectoryTableBase/);
    const kernelNoDtb = runCli(['read', files.type6, '--va', '0x' + F.USER_VA.toString(16)]);
    assert.equal(kernelNoDtb.status, 2);
    assert.match(kernelNoDtb.stderr, /^dumpkit: LIMIT: only kernel address space is available/);
  });

  it('read --pa, missing pages and --ignore-missing-pages', () => {
    const miss = runCli(['read', files.type5, '--pa', '0x301000', '--length', '8']);
    assert.equal(miss.status, 2);
    assert.match(miss.stderr, /ADDRESS_NOT_IN_DUMP/);
    const zero = runCli(['read', files.type5, '--pa', '0x301000', '--length', '8', '--ignore-missing-pages']);
    assert.equal(zero.status, 0);
    assert.match(zero.stdout, /^0000000000301000  00 00 00 00 00 00 00 00/);
    const bad = runCli(['read', files.type5, '--pa', '1', '--va', '2']);
    assert.equal(bad.status, 2);
  });
});

describe('kernel writer through FileSink, reader through FileSource', () => {
  it('streams a type 6 dump to a 0600 file and reads it back', async () => {
    const path = join(dir, 'written6.dmp');
    const pfns = F.presentPfns(m, 'kernel');
    const sink = FileSink.create(path);
    await writeKernelDump(sink, { ...F.specBase(), dumpType: 6, pages: { pageCount: pfns.length, pfns: () => pfns, readPage: (p, into) => into.set(m.pages.get(p)!) } });
    sink.commit();
    assert.equal(statSync(path).mode & 0o777, 0o600);
    const src = FileSource.open(path);
    try {
      const d = await KernelDump.open(src);
      const into = new Uint8Array(4096);
      for (const pfn of pfns) {
        assert.deepEqual(await d.requirePhysical().readPage(pfn), m.pages.get(pfn));
        d.requirePhysical().readPageInto(pfn, into);
        assert.deepEqual(into, m.pages.get(pfn));
      }
      assert.throws(() => d.requirePhysical().readPageInto(F.ABSENT_PFN, into), { code: 'ADDRESS_NOT_IN_DUMP' });
      assert.deepEqual(
        (await d.modules()).map((x) => x.name),
        ['ntoskrnl.exe', 'hal.dll', 'disk.sys'],
      );
    } finally {
      await src.close();
    }
    assert.throws(() => FileSink.create(path), { code: 'REFUSED' });
  });
});
