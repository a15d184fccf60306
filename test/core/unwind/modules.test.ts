import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { SymbolChain } from '../../../src/core/symbols/chain.js';
import type { CodeModule, SymbolProvider, SymbolStatus } from '../../../src/core/symbols/types.js';
import { ModuleIndex } from '../../../src/core/unwind/modules.js';
import { module } from '../../fixtures/stack-fixture.js';

describe('ModuleIndex', () => {
  test('sorted by base, found by binary search, ends exclusive', () => {
    const a = module('a', 0x1000n, 0x1000n);
    const b = module('b', 0x5000n, 0x100n);
    const c = module('c', 0x3000n, 0x1000n);
    const idx = new ModuleIndex([b, a, c]);
    assert.deepEqual(idx.all.map((m) => m.codeFile), ['a', 'c', 'b']);
    assert.equal(idx.at(0xfffn), undefined);
    assert.equal(idx.at(0x1000n), a);
    assert.equal(idx.at(0x1fffn), a);
    assert.equal(idx.at(0x2000n), undefined);
    assert.equal(idx.at(0x3abcn), c);
    assert.equal(idx.at(0x50ffn), b);
    assert.equal(idx.at(0x5100n), undefined);
    assert.equal(idx.end, 0x5100n);
    assert.equal(new ModuleIndex([]).at(0n), undefined);
  });

  test('overlaps: a module inside a larger one wins inside it; the larger one is found past it', () => {
    const big = module('big', 0x10000n, 0x10000n);
    const inner = module('inner', 0x12000n, 0x1000n);
    const dup = module('dup', 0x10000n, 0x800n);
    const idx = new ModuleIndex([big, inner, dup]);
    assert.equal(idx.at(0x12800n), inner);
    assert.equal(idx.at(0x14000n), big);
    assert.equal(idx.at(0x10100n), dup);
    assert.equal(idx.at(0x10900n), big);
  });
});

function fake(name: string, status: SymbolStatus, knows: boolean): SymbolProvider & { calls: number } {
  return {
    calls: 0,
    async lookup(_m: CodeModule, a: bigint) {
      this.calls++;
      return knows ? { function: name, functionBase: a, source: 'model' as const } : undefined;
    },
    async unwindInfo() {
      return knows ? { kind: 'cfi' as const, source: 'model' as const, rules: { '.cfa': name, '.ra': '0' } } : undefined;
    },
    status: () => status,
  };
}

describe('SymbolChain', () => {
  test('first answer wins; status is the best of them', async () => {
    const m = module('m', 0n, 1n);
    const first = fake('first', 'missing', false);
    const second = fake('second', 'loaded', true);
    const third = fake('third', 'corrupt', true);
    const chain = new SymbolChain([first, second, third]);
    assert.equal((await chain.lookup(m, 5n))?.function, 'second');
    assert.deepEqual(await chain.unwindInfo(m, 5n), { kind: 'cfi', source: 'model', rules: { '.cfa': 'second', '.ra': '0' } });
    assert.equal(third.calls, 0);
    assert.equal(chain.status(m), 'loaded');
    assert.equal(new SymbolChain([fake('a', 'missing', false), fake('b', 'corrupt', false)]).status(m), 'corrupt');
    assert.equal(new SymbolChain([]).status(m), 'not-tried');
    assert.equal(await new SymbolChain([]).lookup(m, 1n), undefined);
  });
});
