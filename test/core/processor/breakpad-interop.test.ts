/**
 * Every corpus minidump through Breakpad's own minidump_stackwalk (built outside the repo,
 * docs/interop.md; DUMPKIT_MINIDUMP_STACKWALK=/path/to/minidump_stackwalk) and through dumpkit, both
 * with the corpus symbols, `-m` form: every frame line equal (module, function, file, line, offset),
 * and every Module line equal but for the debug id's case (Breakpad prints the age in lower-case hex,
 * dumpkit the id as `dumpkit info` shows it, upper-case). The dumps Breakpad refuses are counted.
 * Other known header differences (not compared): the crash reason's wording for Linux/macOS signals
 * (dumpkit keeps the older Breakpad wording symbolic's tests pin), ARM cpu_info.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { DumpError } from '../../../src/core/errors.js';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { processMinidump } from '../../../src/core/processor/process.js';
import { processStateToMachineText } from '../../../src/core/processor/text.js';
import { FileSource } from '../../../src/node/file-source.js';
import { openSymbolProvider } from '../../../src/node/symbols/index.js';
import { corpusFile, corpusSkip } from '../../helpers/corpus.js';

const stackwalk = process.env.DUMPKIT_MINIDUMP_STACKWALK || undefined;
const skip = corpusSkip || (stackwalk && existsSync(stackwalk) ? false : 'set DUMPKIT_MINIDUMP_STACKWALK=/path/to/minidump_stackwalk (Breakpad, see docs/interop.md) to run');

async function dumpkitMachine(path: string, symbols: string): Promise<string | undefined> {
  const src = FileSource.open(path);
  const diagnostics = new Diagnostics();
  const provider = openSymbolProvider([symbols], diagnostics);
  try {
    const md = await Minidump.open(src, { diagnostics });
    return processStateToMachineText(await processMinidump(md, { threads: 'all', diagnostics, symbols: provider }));
  } catch (e) {
    if (e instanceof DumpError) return undefined;
    throw e;
  } finally {
    await provider.close();
    await src.close();
  }
}

describe('dumpkit vs Breakpad minidump_stackwalk -m on every corpus minidump', { skip }, () => {
  test('frame lines equal; module lines equal but for the debug id case', async () => {
    const root = corpusFile('minidump');
    const symbols = corpusFile('symbols');
    let compared = 0;
    let refusedByBreakpad = 0;
    for (const dir of readdirSync(root).sort()) {
      if (!statSync(join(root, dir)).isDirectory()) continue;
      for (const f of readdirSync(join(root, dir)).filter((x) => x.endsWith('.dmp')).sort()) {
        const path = join(root, dir, f);
        const bp = spawnSync(stackwalk!, ['-m', path, symbols], { encoding: 'utf8', maxBuffer: 1 << 26 });
        if (bp.status !== 0) {
          refusedByBreakpad++;
          continue;
        }
        const ours = await dumpkitMachine(path, symbols);
        assert.ok(ours !== undefined, `${dir}/${f}: Breakpad reads it, dumpkit refused it`);
        const pick = (text: string, re: RegExp) => text.split('\n').filter((l) => re.test(l));
        assert.deepEqual(pick(ours, /^\d+\|\d+\|/), pick(bp.stdout, /^\d+\|\d+\|/), `${dir}/${f} frames`);
        const upper = (lines: string[]) => lines.map((l) => l.toUpperCase());
        assert.deepEqual(upper(pick(ours, /^Module\|/)), upper(pick(bp.stdout, /^Module\|/)), `${dir}/${f} modules`);
        compared++;
      }
    }
    // 85 corpus dumps: Breakpad refuses 22 (the LLDB synthetic ones and the two malformed ones).
    assert.equal(compared + refusedByBreakpad, 85);
    assert.equal(compared, 63);
  });
});
