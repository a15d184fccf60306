/**
 * Every record of every corpus .sym file, checked against the file's own lines: each FUNC answers at
 * its first and last byte, each PUBLIC outside the FUNCs answers at its address, each STACK CFI delta's
 * rules are in force at its address and each INIT's rules at its start. The oracle is read from the
 * raw text with plain regular expressions here, not with the reader's parsers.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../../src/core/diagnostics.js';
import { indexBreakpadSym } from '../../../../src/core/symbols/breakpad/sym-file.js';
import { FileSource } from '../../../../src/node/file-source.js';
import { corpusFile, corpusSkip, hasCorpus } from '../../../helpers/corpus.js';

const files: string[] = [];
if (hasCorpus) {
  const root = corpusFile('symbols/');
  for (const d of readdirSync(root).sort()) {
    if (d.endsWith('.md')) continue;
    for (const id of readdirSync(root + d)) for (const f of readdirSync(`${root}${d}/${id}`)) files.push(`${root}${d}/${id}/${f}`);
  }
}

/** `name: expr name: expr` → {name: expr}, `$` dropped, as the contract spells them. */
function pairs(rules: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const m of rules.matchAll(/(\S+):\s+(.*?)(?=\s+\S+:\s|\s*$)/g)) out[m[1]!.replace(/^\$/, '')] = m[2]!.replace(/\$(\w)/g, '$1');
  return out;
}

describe('corpus .sym files, record by record', { skip: corpusSkip }, () => {
  test('9 files', () => assert.equal(files.length, 9));
  for (const path of files) {
    test(path.slice(path.lastIndexOf('/') + 1), async () => {
      const text = readFileSync(path, 'utf8');
      const diagnostics = new Diagnostics();
      const src = FileSource.open(path);
      const sym = await indexBreakpadSym(src, diagnostics);
      try {
        assert.deepEqual(diagnostics.list(), []);
        const funcs = [...text.matchAll(/^FUNC (?:m )?([0-9a-f]+) ([0-9a-f]+) [0-9a-f]+ (.*)$/gm)].map((m) => ({ a: parseInt(m[1]!, 16), size: parseInt(m[2]!, 16), name: m[3]! }));
        for (const f of funcs) {
          assert.equal((await sym.lookup(f.a))?.name, f.name, `FUNC at 0x${f.a.toString(16)}`);
          assert.equal((await sym.lookup(f.a + f.size - 1))?.name, f.name, `FUNC end 0x${(f.a + f.size - 1).toString(16)}`);
        }
        const seen = new Set<number>();
        for (const m of text.matchAll(/^PUBLIC (?:m )?([0-9a-f]+) [0-9a-f]+ (.*)$/gm)) {
          const a = parseInt(m[1]!, 16);
          if (a === 0 || seen.has(a) || funcs.some((f) => f.a <= a && a < f.a + f.size)) continue;
          seen.add(a);
          const s = await sym.lookup(a);
          assert.equal(s?.name, m[2], `PUBLIC at 0x${a.toString(16)}`);
          assert.equal(s?.isPublic, true);
        }
        const lastDelta = new Map<number, string>();
        for (const m of text.matchAll(/^STACK CFI ([0-9a-f]+) (.*)$/gm)) lastDelta.set(parseInt(m[1]!, 16), m[2]!);
        for (const [a, rules] of lastDelta) {
          const got = await sym.cfiRules(a);
          assert.ok(got, `CFI at 0x${a.toString(16)}`);
          for (const [k, v] of Object.entries(pairs(rules))) assert.equal(got[k], v, `${k} at 0x${a.toString(16)}`);
        }
        for (const m of text.matchAll(/^STACK CFI INIT ([0-9a-f]+) [0-9a-f]+ (.*)$/gm)) {
          const a = parseInt(m[1]!, 16);
          if (lastDelta.has(a)) continue;
          assert.deepEqual(await sym.cfiRules(a), pairs(m[2]!), `INIT at 0x${a.toString(16)}`);
        }
      } finally {
        await src.close();
      }
    });
  }
});
