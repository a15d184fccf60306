import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { parseElfForFuzz } from '../../../src/core/elf/fuzz.js';
import { compileC, SAMPLE_C } from '../../helpers/c-program.js';
import { gccSkip } from '../../helpers/target.js';

describe('parseElfForFuzz', { skip: gccSkip }, () => {
  it('a real program: sections, symbols, FDEs and line rows, no errors', async () => {
    const s = await parseElfForFuzz(new Uint8Array(readFileSync(compileC('sample', SAMPLE_C, ['-O2', '-g'])!)));
    assert.deepEqual(s.errors, []);
    assert.ok(s.sections > 20 && s.symbols >= 4 && s.fdes >= 5 && s.lineRows > 20, JSON.stringify(s));
  });
  it('400 mutated programs (bytes flipped anywhere, and in the headers): DumpErrors only', async () => {
    const good = new Uint8Array(readFileSync(compileC('sample', SAMPLE_C, ['-O2', '-g', '-gz=zlib'])!));
    let seed = 99;
    const rnd = (n: number) => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 8) % n;
    const codes = new Set<string>();
    for (let round = 0; round < 400; round++) {
      const b = good.slice();
      const headerOnly = round % 2 === 0;
      for (let i = 0; i < 1 + rnd(6); i++) {
        const at = headerOnly ? rnd(64) : rnd(b.length);
        b[at] = rnd(256);
      }
      for (const c of (await parseElfForFuzz(b)).errors) codes.add(c);
    }
    assert.ok(codes.size > 0, 'some mutations are reported as DumpErrors');
  });
});
