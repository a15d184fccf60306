/**
 * Breakpad's minidump_stackwalk (DUMPKIT_MINIDUMP_STACKWALK) symbolizes corpus dumps with the corpus
 * symbols; for every frame it prints, dumpkit's BreakpadSymbolProvider must give the same function,
 * file, line and offset at the same address (Breakpad looks up callers at their return address - 1),
 * and where Breakpad found a caller by "call frame info", unwind data at the callee's address.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import type { CodeModule } from '../../../src/core/symbols/types.js';
import { openSymbolProvider } from '../../../src/node/symbols/index.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';
import { minidumpStackwalk, stackwalkSkip } from '../../helpers/interop-tools.js';
import { corpusSummary } from '../../helpers/minidump-corpus.js';

interface Frame {
  thread: number;
  index: number;
  module: string;
  function?: string;
  file?: string;
  line?: number;
  offset: bigint;
  pc: bigint;
  foundBy: string;
}

function frames(out: string): Frame[] {
  const result: Frame[] = [];
  let thread = -1;
  const lines = out.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const t = /^Thread (\d+)/.exec(lines[i]!);
    if (t) thread = Number(t[1]);
    const sym = /^ ?(\d+) {2}([^!\s]+)!(.+?)(?: \[(.+) : (\d+) \+ (0x[0-9a-f]+)\]| \+ (0x[0-9a-f]+))$/.exec(lines[i]!);
    const bare = sym ? undefined : /^ ?(\d+) {2}(\S+) \+ (0x[0-9a-f]+)$/.exec(lines[i]!);
    if (!sym && !bare) continue;
    let pc: bigint | undefined;
    let foundBy = '';
    for (let j = i + 1; j < lines.length && !/^ ?\d+ {2}/.test(lines[j]!) && lines[j]!.trim() !== ''; j++) {
      const r = /\b(?:rip|eip|pc) = (0x[0-9a-f]+)/.exec(lines[j]!);
      if (r) pc = BigInt(r[1]!);
      const b = /Found by: (.*)$/.exec(lines[j]!);
      if (b) foundBy = b[1]!;
    }
    if (pc === undefined) continue;
    if (sym) {
      const f: Frame = { thread, index: Number(sym[1]), module: sym[2]!, function: sym[3]!, offset: BigInt(sym[6] ?? sym[7]!), pc, foundBy };
      if (sym[4]) {
        f.file = sym[4];
        f.line = Number(sym[5]);
      }
      result.push(f);
    } else result.push({ thread, index: Number(bare![1]), module: bare![2]!, offset: BigInt(bare![3]!), pc, foundBy });
  }
  return result;
}

const baseName = (p: string) => p.slice(Math.max(p.lastIndexOf('/'), p.lastIndexOf('\\')) + 1);

describe("dumpkit's symbols beside Breakpad's minidump_stackwalk", { skip: corpusSkip || stackwalkSkip }, () => {
  for (const [dump, minFrames] of [
    ['breakpad/minidump2.dmp', 4],
    ['breakpad/linux_overflow.dmp', 7],
    ['breakpad/linux_null_read_av.dmp', 3],
    ['symbolic/crash_linux.dmp', 0],
    ['symbolic/crash_macos.dmp', 0],
  ] as const) {
    test(dump, async () => {
      const r = spawnSync(minidumpStackwalk!, [corpusFile(`minidump/${dump}`), corpusFile('symbols')], { encoding: 'utf8', maxBuffer: 64 << 20 });
      assert.equal(r.status, 0, r.stderr.slice(-500));
      const expected = frames(r.stdout);
      const summary = await corpusSummary(dump);
      const p = openSymbolProvider([corpusFile('symbols')], new Diagnostics());
      let symbolized = 0;
      let unwound = 0;
      try {
        for (const [k, f] of expected.entries()) {
          const m = summary.modules.find((x) => baseName(x.path) === f.module);
          assert.ok(m, `module ${f.module}`);
          const mod: CodeModule = { base: m.base, size: BigInt(m.size), codeFile: m.path, debugFile: m.debugFile, debugId: m.debugId };
          const where = `thread ${f.thread} frame ${f.index} (${f.module} pc 0x${f.pc.toString(16)})`;
          const at = f.index === 0 ? f.pc : f.pc - 1n;
          const next = expected[k + 1];
          if (next && next.thread === f.thread && next.index === f.index + 1 && next.foundBy === 'call frame info') {
            assert.ok(await p.unwindInfo(mod, at), `${where}: Breakpad unwound its caller with symbol-file unwind data`);
            unwound++;
          }
          const s = await p.lookup(mod, at);
          if (f.function === undefined) {
            assert.equal(s, undefined, `${where}: Breakpad found no symbol`);
            continue;
          }
          symbolized++;
          assert.equal(s?.function, f.function, where);
          if (f.file !== undefined) {
            assert.equal(baseName(s!.file!), f.file, where);
            assert.equal(s!.line, f.line, where);
            assert.equal(f.pc - s!.lineBase!, f.offset, where);
          } else {
            assert.equal(s!.file, undefined, where);
            assert.equal(f.pc - s!.functionBase, f.offset, where);
          }
        }
      } finally {
        await p.close();
      }
      assert.ok(symbolized >= minFrames, `${symbolized} symbolized frames`);
      assert.ok(unwound >= 2, `${unwound} frames unwound by call frame info`);
    });
  }
});
