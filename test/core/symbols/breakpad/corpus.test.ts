/**
 * The corpus .sym files (copied from Breakpad's and symbolic's test data) looked up at the addresses
 * of breakpad/minidump2.dmp's stack, against Breakpad's own minidump_stackwalk output for that dump
 * (minidump2.stackwalk.out), and CFI / STACK WIN records checked against the files' raw lines.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../../src/core/diagnostics.js';
import type { CodeModule } from '../../../../src/core/symbols/types.js';
import { openSymbolProvider } from '../../../../src/node/symbols/index.js';
import { corpusFile, corpusSkip, hasCorpus } from '../../../helpers/corpus.js';
import { corpusSummary } from '../../../helpers/minidump-corpus.js';

interface ExpectedFrame {
  index: number;
  module: string;
  function: string;
  file?: string;
  line?: number;
  offset: bigint;
  eip: bigint;
}

/** Frames of thread 0 from Breakpad's human-readable output. */
function expectedFrames(text: string): ExpectedFrame[] {
  const out: ExpectedFrame[] = [];
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const m = /^ ?(\d+) {2}([^!]+)!(.+?)(?: \[(.+) : (\d+) \+ (0x[0-9a-f]+)\]| \+ (0x[0-9a-f]+))$/.exec(lines[i]!);
    if (!m) continue;
    const eip = /eip = (0x[0-9a-f]+)/.exec(lines[i + 1]!)![1]!;
    const f: ExpectedFrame = { index: Number(m[1]), module: m[2]!, function: m[3]!, offset: BigInt(m[6] ?? m[7]!), eip: BigInt(eip) };
    if (m[4]) {
      f.file = m[4];
      f.line = Number(m[5]);
    }
    out.push(f);
  }
  return out;
}

const baseName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

describe('corpus symbols against minidump_stackwalk (minidump2.dmp)', { skip: corpusSkip }, () => {
  test('frames 0–3: function, file, line and offsets as Breakpad prints them', async () => {
    const frames = expectedFrames(readFileSync(corpusFile('minidump/breakpad/expected/minidump2.stackwalk.out'), 'utf8'));
    assert.equal(frames.length, 4);
    const summary = await corpusSummary('breakpad/minidump2.dmp');
    const diagnostics = new Diagnostics();
    const p = openSymbolProvider([corpusFile('symbols')], diagnostics);
    try {
      for (const f of frames) {
        const m = summary.modules.find((x) => baseName(x.path) === f.module);
        assert.ok(m, `module ${f.module} in the dump`);
        const mod: CodeModule = { base: m.base, size: BigInt(m.size), codeFile: m.path, debugFile: m.debugFile, debugId: m.debugId };
        // Breakpad symbolizes a caller frame at its return address minus one.
        const at = f.index === 0 ? f.eip : f.eip - 1n;
        const s = await p.lookup(mod, at);
        assert.ok(s, `frame ${f.index}`);
        assert.equal(s.function, f.function, `frame ${f.index} function`);
        assert.equal(s.source, 'breakpad');
        if (f.file !== undefined) {
          assert.equal(baseName(s.file!), f.file, `frame ${f.index} file`);
          assert.equal(s.line, f.line, `frame ${f.index} line`);
          assert.equal(f.eip - s.lineBase!, f.offset, `frame ${f.index} offset from the line`);
          assert.equal(s.isPublic, undefined);
        } else {
          assert.equal(s.isPublic, true, 'kernel32 has only PUBLIC records here');
          assert.equal(f.eip - s.functionBase, f.offset, `frame ${f.index} offset from the function`);
        }
        assert.equal(p.status(mod), 'loaded');
      }
      assert.deepEqual(diagnostics.list(), []);
    } finally {
      await p.close();
    }
  });
});

const linux: CodeModule = {
  base: 0x400000n,
  size: 0x100000n,
  codeFile: '/breakpad/examples/target/crash_linux',
  debugFile: '/breakpad/examples/target/crash_linux',
  debugId: 'D2554CDB926136C4B9766A086583B9B50',
};
const macos: CodeModule = { base: 0x100000000n, size: 0x10000n, codeFile: 'crash_macos', debugFile: 'crash_macos', debugId: '3F58BC3DEABE3361B5FB52A6762985980' };
const testApp: CodeModule = { base: 0x400000n, size: 0x2d000n, codeFile: 'test_app.exe', debugFile: 'test_app.pdb', debugId: '5A9832E5287241C1838ED98914E9B7FF1' };
const kernel32: CodeModule = { base: 0x7c800000n, size: 0xf4000n, codeFile: 'kernel32.dll', debugFile: 'kernel32.pdb', debugId: 'BCE8785C57B44245A669896B6A19B9542' };

describe('STACK CFI in the corpus files', { skip: corpusSkip }, () => {
  const p = hasCorpus ? openSymbolProvider([corpusFile('symbols')], new Diagnostics()) : undefined;
  const rules = async (m: CodeModule, rel: bigint) => {
    const u = await p!.unwindInfo(m, m.base + rel);
    if (!u) return undefined;
    assert.equal(u.kind, 'cfi');
    return u.kind === 'cfi' ? u.rules : undefined;
  };

  test('crash_linux.sym: INIT 207c 157 and its deltas 207d, 2080, 2088, 21d2 (lines 17–21)', async () => {
    const init = { '.cfa': 'rsp 8 +', '.ra': '.cfa -8 + ^' };
    assert.deepEqual(await rules(linux, 0x207cn), init);
    assert.deepEqual(await rules(linux, 0x207dn), { '.cfa': 'rsp 16 +', '.ra': '.cfa -8 + ^', rbp: '.cfa -16 + ^' });
    assert.deepEqual(await rules(linux, 0x2087n), { '.cfa': 'rbp 16 +', '.ra': '.cfa -8 + ^', rbp: '.cfa -16 + ^' });
    const full = { '.cfa': 'rbp 16 +', '.ra': '.cfa -8 + ^', rbp: '.cfa -16 + ^', rbx: '.cfa -24 + ^' };
    assert.deepEqual(await rules(linux, 0x2088n), full);
    assert.deepEqual(await rules(linux, 0x21d1n), full);
    assert.deepEqual(await rules(linux, 0x21d2n), { ...full, '.cfa': 'rsp 8 +' });
    assert.equal(await rules(linux, 0x21d3n), undefined, 'past INIT 207c+157, before INIT 21d4');
    assert.deepEqual(await rules(linux, 0x21d4n), init);
    assert.equal(p!.status(linux), 'loaded');
  });

  test('crash_linux.sym: INIT 1a90 470 with delta 1a96 (lines 2–3)', async () => {
    assert.deepEqual(await rules(linux, 0x1a95n), { '.cfa': 'rsp 16 +', '.ra': '.cfa -8 + ^' });
    assert.deepEqual(await rules(linux, 0x1a96n), { '.cfa': 'rsp 24 +', '.ra': '.cfa -8 + ^' });
    assert.deepEqual(await rules(linux, 0x1effn), { '.cfa': 'rsp 24 +', '.ra': '.cfa -8 + ^' });
  });

  test('crash_macos.sym: INIT records with a register rule (lines 62–63) and an INIT with a delta (lines 3–4)', async () => {
    assert.deepEqual(await rules(macos, 0x3710n), { '.cfa': 'rsp 256 +', '.ra': '.cfa -8 + ^', rbx: '.cfa -16 + ^' });
    assert.deepEqual(await rules(macos, 0x384fn), { '.cfa': 'rsp 256 +', '.ra': '.cfa -8 + ^', rbx: '.cfa -16 + ^' });
    assert.deepEqual(await rules(macos, 0x3850n), { '.cfa': 'rsp 224 +', '.ra': '.cfa -8 + ^', rbx: '.cfa -16 + ^' });
    assert.deepEqual(await rules(macos, 0x1380n), { '.cfa': 'rsp 8 +', '.ra': '.cfa -8 + ^' });
    assert.deepEqual(await rules(macos, 0x1381n), { '.cfa': 'rsp 16 +', '.ra': '.cfa -8 + ^' });
    assert.equal(await rules(macos, 0x1388n), undefined, 'between INIT 1380+8 and INIT 1390');
    // No MODULE line and no FUNC/PUBLIC: nothing to name.
    assert.equal(await p!.lookup(macos, macos.base + 0x3710n), undefined);
  });
});

describe('STACK WIN in the corpus files', { skip: corpusSkip }, () => {
  const p = hasCorpus ? openSymbolProvider([corpusFile('symbols')], new Diagnostics()) : undefined;
  const win = async (m: CodeModule, rel: bigint) => {
    const u = await p!.unwindInfo(m, m.base + rel);
    assert.ok(u && u.kind === 'win', `STACK WIN at 0x${rel.toString(16)}`);
    return u.record;
  };
  const program = '$T0 $ebp = $eip $T0 4 + ^ = $ebp $T0 ^ = $esp $T0 8 + = $L $T0 .cbSavedRegs - = $P $T0 8 + .cbParams + =';

  test('test_app.sym: `STACK WIN 4 41b0 86 13 0 8 0 e0 0 1 …` (main) covers 0x41ff', async () => {
    assert.deepEqual(await win(testApp, 0x41ffn), {
      type: 4,
      rva: 0x41b0n,
      codeSize: 0x86,
      prologSize: 0x13,
      epilogSize: 0,
      parameterSize: 8,
      savedRegisterSize: 0,
      localSize: 0xe0,
      maxStackSize: 0,
      allocatesBasePointer: false,
      programString: program,
    });
  });

  test('test_app.sym: of `STACK WIN 4 1005b a1` and the later `1005c b2` (partial overlap), Breakpad keeps the first', async () => {
    const text = readFileSync(corpusFile('symbols/test_app.pdb/5A9832E5287241C1838ED98914E9B7FF1/test_app.sym'), 'utf8');
    const first = text.indexOf('\nSTACK WIN 4 1005b a1 ');
    const second = text.indexOf('\nSTACK WIN 4 1005c b2 ');
    assert.ok(first > 0 && second > first, 'both records, in this order');
    const r = await win(testApp, 0x1005cn);
    assert.equal(r.rva, 0x1005bn);
    assert.equal(r.codeSize, 0xa1);
    // 0x10100 lies only in the refused record's range.
    const u = await p!.unwindInfo(testApp, testApp.base + 0x10100n);
    assert.ok(!u || u.kind !== 'win' || u.record.rva !== 0x1005cn);
  });

  test('kernel32.sym: FPO records (type 0) and FrameData (type 4) for BaseProcessStart', async () => {
    const r = await win(kernel32, 0x16fd6n);
    assert.equal(r.type, 4);
    assert.equal(r.rva, 0x16fb4n);
    assert.equal(r.codeSize, 0x4f);
    assert.equal(r.parameterSize, 4);
    assert.equal(r.savedRegisterSize, 8);
    assert.equal(r.localSize, 0x1c);
    // b722+20 has both kinds: FrameData (type 4) is preferred over FPO (type 0), as in Breakpad.
    const text = readFileSync(corpusFile('symbols/kernel32.pdb/BCE8785C57B44245A669896B6A19B9542/kernel32.sym'), 'utf8');
    assert.ok(text.includes('\nSTACK WIN 0 b722 20 0 0 0 0 0 0 0 0\n'));
    assert.ok(text.includes('\nSTACK WIN 4 b722 20 0 0 0 0 0 0 1 $T2 $esp .cbLocals + .cbSavedRegs + = $T0 .raSearchStart = $eip $T0 ^ = $esp $T0 4 + =\n'));
    const both = await win(kernel32, 0xb730n);
    assert.equal(both.type, 4);
    assert.equal(both.programString, '$T2 $esp .cbLocals + .cbSavedRegs + = $T0 .raSearchStart = $eip $T0 ^ = $esp $T0 4 + =');
    // `STACK WIN 0 97b6 f 0 0 8 0 0 0 0 0` has no FrameData record over it.
    assert.ok(text.includes('\nSTACK WIN 0 97b6 f 0 0 8 0 0 0 0 0\n'));
    assert.deepEqual(await win(kernel32, 0x97c4n), {
      type: 0,
      rva: 0x97b6n,
      codeSize: 0xf,
      prologSize: 0,
      epilogSize: 0,
      parameterSize: 8,
      savedRegisterSize: 0,
      localSize: 0,
      maxStackSize: 0,
      allocatesBasePointer: false,
    });
  });
});
