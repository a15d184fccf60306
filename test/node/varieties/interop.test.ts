// Dumps made by `machine` and `convert` open in third-party readers where those support the type:
// kdmp-parser and kdmp-parser-rs (types 1, 5, 6), Volatility 3 (types 1 and 5). Env-gated like
// test/core/kernel/interop.test.ts (see docs/interop.md); skips when the tools are not configured.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { Machine } from '../../../src/core/machine/machine.js';
import { variety, type Variety } from '../../../src/core/varieties/rules.js';
import { FileSource } from '../../../src/node/file-source.js';
import { writeFileSafely } from '../../../src/node/varieties/cli-util.js';
import { fromMachine, openVarietySource, writeFromSource } from '../../../src/node/varieties/variety-source.js';
import { kdmpCheckers, kdmpView, readBytes, volCrashinfo, volSkip, volView, type Probe } from '../../helpers/interop-tools.js';

const anyTool = kdmpCheckers.some((c) => !c.skip) || !volSkip;
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-varieties-interop-'));
after(() => rmSync(dir, { recursive: true, force: true }));

const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'server', seed: 31 });
const files: Record<string, { path: string; dumpType: number; pages: number }> = {};

before(async () => {
  if (!anyTool) return;
  const complete = join(dir, 'complete.dmp');
  await writeFileSafely(complete, true, (s) => writeFromSource(fromMachine(m, 'server'), variety('complete'), s));
  const runs1 = join(dir, 'complete-type1.dmp');
  await writeFileSafely(runs1, true, (s) => writeFromSource(fromMachine(m, 'server'), { ...variety('complete'), dumpType: 1 } as Variety, s));
  const src = await openVarietySource(complete);
  try {
    for (const to of ['active', 'kernel', 'live-kernel-stacks'] as const) {
      await writeFileSafely(join(dir, `${to}.dmp`), true, (s) => writeFromSource(src, variety(to), s));
    }
  } finally {
    await src.close();
  }
  for (const name of ['complete', 'complete-type1', 'active', 'kernel', 'live-kernel-stacks']) {
    const path = join(dir, `${name}.dmp`);
    const fs = FileSource.open(path);
    const d = await KernelDump.open(fs);
    files[name] = { path, dumpType: d.dumpType, pages: d.physical!.presentPages };
    await fs.close();
  }
});

const kernelProbe: Probe = { kind: 'v', addr: m.kernBase, len: 2 };

describe('kdmp-parser checkers read machine and converted dumps', { skip: !anyTool && 'no third-party reader configured (see docs/interop.md)' }, () => {
  for (const c of kdmpCheckers) {
    test(`${c.name}: types 5/1/6 open with dumpkit's page counts, header and the MZ kernel image`, { skip: c.skip }, () => {
      for (const [name, f] of Object.entries(files)) {
        const view = kdmpView(c.path!, f.path, [kernelProbe]);
        assert.ok(view.ok, `${name}: ${view.output.slice(-2000)}`);
        assert.equal(view.dumpType, f.dumpType, name);
        if (f.dumpType !== 1) assert.equal(view.pageCount, f.pages, name);
        assert.equal(view.dtb, `0x${m.dtb.toString(16)}`);
        assert.equal(view.bugCheckCode, `0x${(name === 'live-kernel-stacks' ? 0x161 : m.bugCheck.code).toString(16)}`, name);
        assert.deepEqual(readBytes(view.reads?.[0]), Uint8Array.of(0x4d, 0x5a), `${name}: kernel base reads MZ`);
      }
    });
  }
});

describe('Volatility 3 reads the complete and active dumps', { skip: volSkip }, () => {
  test('windows.crashinfo on types 1 and 5', () => {
    for (const name of ['complete', 'complete-type1', 'active']) {
      const f = files[name]!;
      const info = volCrashinfo(f.path);
      assert.match(info.columns.DumpType ?? '', f.dumpType === 1 ? /0x1/ : /0x5/, `${name}: ${info.output.slice(-1500)}`);
      if (f.dumpType === 5) assert.equal(info.columns.BitmapPages, String(f.pages));
      assert.equal(info.columns.DirectoryTableBase, String(m.dtb));
    }
  });
  test('its own DTB scan finds the system PML4 of the model, and the kernel image reads MZ through its layers', () => {
    const view = volView(files.complete!.path, [kernelProbe]);
    assert.ok(view.ok, view.output.slice(-1500));
    assert.equal(view.automagicDtb, `0x${m.dtb.toString(16)}`);
    assert.deepEqual(readBytes(view.reads?.[0]), Uint8Array.of(0x4d, 0x5a));
  });
});
