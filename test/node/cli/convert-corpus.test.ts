import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { FileSource } from '../../../src/node/file-source.js';
import { runCli } from '../../helpers/cli.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';
import { lldbBatch, parseImageList, parseThreadList } from '../../helpers/lldb.js';
import { lldbSkip } from '../../helpers/target.js';

/**
 * `dumpkit convert` on real minidumps from other writers: the result opens in dumpkit's reader with
 * the same threads, registers and modules, and in LLDB with the same threads and module bases.
 */
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-convert-corpus-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const FILES = ['node-minidump/linux.dmp', 'symbolic/crash_linux.dmp', 'lldb/linux-x86_64.dmp', 'breakpad/minidump2.dmp'];

async function facts(path: string) {
  const source = FileSource.open(path);
  try {
    const md = await Minidump.open(source);
    const threads = [];
    for (const t of await md.threads()) {
      const ctx = await md.context(t.threadContext);
      threads.push({ id: t.threadId, pc: ctx?.pc, sp: ctx?.sp, stack: (await md.readMemory(ctx!.sp, 16).catch(() => undefined))?.join(',') });
    }
    const modules = (await md.modules()).map((m) => ({ base: m.baseOfImage, size: m.sizeOfImage, name: m.name }));
    const d = await md.linuxDsoDebug();
    // The rendezvous as the reader gives it, without the RVA (which differs between the files).
    const dso = d && { ...d, mapRva: undefined, dynamicSection: Buffer.from(d.dynamicSection).toString('hex') };
    return { threads, modules, dso };
  } finally {
    await source.close();
  }
}

describe('convert real corpus minidumps', { skip: corpusSkip }, () => {
  for (const rel of FILES) {
    test(`${rel} → mini: dumpkit reads the same threads, registers, stack tops and modules`, async () => {
      const out = join(dir, rel.replace(/\//g, '_') + '-mini.dmp');
      const r = runCli(['convert', corpusFile(`minidump/${rel}`), '--to', 'mini', '-o', out]);
      assert.equal(r.status, 0, r.stderr);
      // The Linux dumps shrink: mini keeps only stacks and small windows, and the exception stream
      // shares the crashing thread's context. (minidump2.dmp, from dbghelp, is already a mini dump
      // whose exception context differs from the thread's: it stays about the same size.)
      if (!rel.startsWith('breakpad/')) assert.ok(statSync(out).size < statSync(corpusFile(`minidump/${rel}`)).size, 'converted dump is smaller');
      const [a, b] = [await facts(corpusFile(`minidump/${rel}`)), await facts(out)];
      assert.deepEqual(b.modules, a.modules);
      if (!rel.startsWith('breakpad/')) assert.ok(a.dso && a.dso.linkMap.length > 0, 'the Linux source has a LinuxDsoDebug stream');
      assert.deepEqual(b.dso, a.dso, 'LinuxDsoDebug carried over');
      assert.deepEqual(
        b.threads.map((t) => [t.id, t.pc, t.sp]),
        a.threads.map((t) => [t.id, t.pc, t.sp]),
      );
      for (const [i, t] of a.threads.entries()) if (t.stack) assert.equal(b.threads[i]!.stack, t.stack, `thread ${t.id}: stack top kept`);
    });
  }

  test('converted Linux dumps open in LLDB with the same threads and modules', { skip: lldbSkip }, async () => {
    for (const rel of FILES.filter((f) => !f.startsWith('breakpad/'))) {
      const out = join(dir, rel.replace(/\//g, '_') + '-mini.dmp');
      const original = lldbBatch(corpusFile(`minidump/${rel}`), ['thread list', 'image list']);
      const converted = lldbBatch(out, ['thread list', 'image list']);
      const tids = (s: string) => parseThreadList(s).map((t) => t.tid);
      assert.ok(tids(original).length > 0, `LLDB lists threads of the original ${rel}`);
      assert.deepEqual(tids(converted), tids(original), `${rel}: threads`);
      assert.deepEqual(parseImageList(converted), parseImageList(original), `${rel}: modules`);
    }
  });

  test('refuses to grow: mini → miniplus exits 2 with REFUSED', () => {
    const out = join(dir, 'grow.dmp');
    const mini = join(dir, 'node-minidump_linux.dmp-mini.dmp');
    const r = runCli(['convert', mini, '--to', 'miniplus', '-o', out]);
    assert.equal(r.status, 2);
    assert.match(r.stderr, /REFUSED: .*grow/);
  });
});
