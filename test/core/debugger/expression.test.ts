import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { evaluate, evaluatePrefix, parseNumber, type ExpressionContext } from '../../../src/core/debugger/expression.js';

/** A context with a few registers, one module and 64 bytes of memory at 0x1000 (byte i = i). */
function context(): ExpressionContext {
  const regs: Record<string, bigint> = { rip: 0x7ff612341000n, rsp: 0x1000n, rax: 0xffffffffffffffffn, eax: 5n };
  const mem = Uint8Array.from({ length: 64 }, (_, i) => i);
  return {
    pointerSize: 8,
    register: async (n) => regs[n],
    symbol: async (n) => (n.toLowerCase() === 'ntdll' ? 0x7ffa00000000n : n === 'ntdll!NtClose' ? 0x7ffa00001230n : undefined),
    readNumber: async (a, size) => {
      if (a < 0x1000n || a + BigInt(size) > 0x1040n) throw new DumpError('ADDRESS_NOT_IN_DUMP', `address ${a.toString(16)} is not in any captured memory range`);
      let v = 0n;
      for (let i = size - 1; i >= 0; i--) v = (v << 8n) | BigInt(mem[Number(a - 0x1000n) + i]!);
      return v;
    },
  };
}

describe('MASM expressions', () => {
  test('numbers: hex by default, 0x, 0n, 0t, 0y prefixes, backtick separators, trailing h', () => {
    assert.equal(parseNumber('10'), 0x10n);
    assert.equal(parseNumber('0n10'), 10n);
    assert.equal(parseNumber('0x1F'), 0x1fn);
    assert.equal(parseNumber('0t17'), 15n);
    assert.equal(parseNumber('0y101'), 5n);
    assert.equal(parseNumber('fffff800`00000000'), 0xfffff80000000000n);
    assert.equal(parseNumber('0ffh'), 0xffn);
    assert.equal(parseNumber('rip'), undefined);
    assert.equal(parseNumber('0n1a'), undefined);
  });

  test('operators follow MASM precedence and 64-bit wrap-around', async () => {
    const c = context();
    assert.equal(await evaluate('1+2*3', c), 7n);
    assert.equal(await evaluate('(1+2)*3', c), 9n);
    assert.equal(await evaluate('1 << 4 + 1', c), 0x20n, '+ binds tighter than <<');
    assert.equal(await evaluate('6 & 3 | 8', c), 0xan);
    assert.equal(await evaluate('0n10 % 3', c), 1n);
    assert.equal(await evaluate('0n10 mod 3', c), 1n);
    assert.equal(await evaluate('5 xor 1', c), 4n);
    assert.equal(await evaluate('0 - 1', c), 0xffffffffffffffffn);
    assert.equal(await evaluate('-1 / 2', c), 0n, 'signed division');
    assert.equal(await evaluate('-8 >> 1', c), 0xfffffffffffffffcn, '>> is arithmetic');
    assert.equal(await evaluate('-8 >>> 3c', c), 0xfn, '>>> is logical');
    assert.equal(await evaluate('3 == 3', c), 1n);
    assert.equal(await evaluate('~0', c), 0xffffffffffffffffn);
    assert.equal(await evaluate('!5', c), 0n);
  });

  test('registers (@rip, bare rsp), module names, module!symbol, poi() and friends', async () => {
    const c = context();
    assert.equal(await evaluate('@rip', c), 0x7ff612341000n);
    assert.equal(await evaluate('rsp+8', c), 0x1008n);
    assert.equal(await evaluate('poi(rsp)', c), 0x0706050403020100n);
    assert.equal(await evaluate('dwo(rsp+4)', c), 0x07060504n);
    assert.equal(await evaluate('by(@rsp+3f)', c), 0x3fn);
    assert.equal(await evaluate('wo(1002)', c), 0x0302n);
    assert.equal(await evaluate('hi(12345678)', c), 0x1234n);
    assert.equal(await evaluate('low(12345678)', c), 0x5678n);
    assert.equal(await evaluate('ntdll + 10', c), 0x7ffa00000010n);
    assert.equal(await evaluate('ntdll!NtClose - ntdll', c), 0x1230n);
  });

  test('errors say where, as WinDbg does', async () => {
    const c = context();
    await assert.rejects(evaluate('nosuchthing', c), /Couldn't resolve error at 'nosuchthing'/);
    await assert.rejects(evaluate('@nosuch', c), /Bad register error at '@nosuch'/);
    await assert.rejects(evaluate('1/0', c), /Divide by zero/);
    await assert.rejects(evaluate('(1+2', c), /Syntax error/);
    await assert.rejects(evaluate('poi(10)', c), (e: unknown) => e instanceof DumpError && e.code === 'ADDRESS_NOT_IN_DUMP');
  });

  test('a prefix stops where the next argument begins (L counts, strings)', async () => {
    const c = context();
    const text = 'rsp + 10 L4';
    const r = await evaluatePrefix(text, c);
    assert.equal(r.value, 0x1010n);
    assert.equal(text.slice(r.end), 'L4');
    const s = 'rsp "abc"';
    const q = await evaluatePrefix(s, c);
    assert.equal(s.slice(q.end), '"abc"');
  });
});
