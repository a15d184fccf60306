import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { POSTFIX_LIMITS, evaluateCfiExpression, evaluateCfiRules, evaluateWinProgram, parseCfiRuleText } from '../../../src/core/unwind/postfix.js';

const mem = new Map<bigint, bigint>([[0x1000n, 0xaaaan], [0x1004n, 0xccccn], [0x1008n, 0xbbbbn], [0xff8n, 0x1234n]]);
const read = async (a: bigint) => mem.get(a);

describe('Breakpad postfix: STACK CFI', () => {
  test('arithmetic, registers with and without $, dereference, .cfa, hex and negative literals', async () => {
    const regs = { rsp: 0x1000n, rbp: 0x2000n };
    assert.deepEqual(await evaluateCfiExpression('rsp 16 +', regs, read, 64), { value: 0x1010n });
    assert.deepEqual(await evaluateCfiExpression('$rsp 0x8 + ^', regs, read, 64), { value: 0xbbbbn });
    assert.deepEqual(await evaluateCfiExpression('.cfa -8 + ^', regs, read, 64, 0x1000n), { value: 0x1234n });
    assert.deepEqual(await evaluateCfiExpression('rbp 16 @', { rbp: 0x1017n }, read, 64), { value: 0x1010n });
    assert.deepEqual(await evaluateCfiExpression('7 2 / 7 2 % *', {}, read, 64), { value: 3n });
    assert.deepEqual(await evaluateCfiExpression('0 1 -', {}, read, 32), { value: 0xffffffffn });
  });

  test('malformed expressions are errors; missing inputs are "unavailable"', async () => {
    for (const [e, msg] of [
      ['+', /needs two operands/],
      ['1 2', /2 values left/],
      ['1 0 /', /division by zero/],
      ['8 3 @', /not a power of two/],
      ['rsp !', /unknown token/],
      ['.cfa', /\.cfa' used in the \.cfa rule/],
      ['', /empty/],
      [Array(POSTFIX_LIMITS.maxTokens + 1).fill('1').join(' '), /tokens, more than/],
      [Array(POSTFIX_LIMITS.maxDepth + 1).fill('1').join(' '), /deeper than/],
    ] as const) {
      const r = await evaluateCfiExpression(e, { rsp: 1n }, read, 64);
      assert.ok('error' in r && msg.test(r.error), `${e.slice(0, 20)}: ${JSON.stringify(r)}`);
    }
    assert.ok('unavailable' in (await evaluateCfiExpression('rbx', { rsp: 1n }, read, 64)));
    assert.ok('unavailable' in (await evaluateCfiExpression('rsp ^', { rsp: 0x5000n }, read, 64)));
    assert.ok('unavailable' in (await evaluateCfiExpression('.undef', {}, read, 64)));
  });

  test('rule sets: .cfa and .ra required, unknown registers cleared, bad rules are errors', async () => {
    const r = await evaluateCfiRules({ '.cfa': 'rsp 8 +', '.ra': '.cfa -8 + ^', $rbx: '.cfa 8 - ^', r12: 'r13' }, { rsp: 0x1000n }, read, 64);
    assert.deepEqual(r, { cfa: 0x1008n, ra: 0xaaaan, registers: { rbx: 0xaaaan }, cleared: ['r12'] });
    assert.deepEqual(await evaluateCfiRules({ '.ra': '1' }, {}, read, 64), { error: 'no .cfa rule' });
    assert.deepEqual(await evaluateCfiRules({ '.cfa': '1' }, {}, read, 64), { error: 'no .ra rule' });
    assert.deepEqual(await evaluateCfiRules({ '.cfa': '1', '.ra': '2', rbx: '+' }, {}, read, 64), { error: "rbx: '+' needs two operands" });
  });

  test('rule text in Breakpad line syntax', () => {
    assert.deepEqual(parseCfiRuleText('.cfa: $rsp 8 + .ra: .cfa -8 + ^ $rbx: .cfa -16 + ^'), { '.cfa': '$rsp 8 +', '.ra': '.cfa -8 + ^', rbx: '.cfa -16 + ^' });
    assert.ok('error' in parseCfiRuleText('rsp 8 + .ra: 1'));
    assert.ok('error' in parseCfiRuleText('.cfa: .ra: 1'));
  });
});

describe('Breakpad postfix: STACK WIN program strings', () => {
  test('assignments with temporaries, glued "=", 32-bit wrap', async () => {
    const vars = new Map([['$ebp', 0x1000n], ['$esp', 0xf00n]]);
    const r = await evaluateWinProgram('$T0 $ebp = $eip $T0 4 + ^ =$ebp $T0 ^ = $esp $T0 8 + = $T1 0 1 - =', vars, read);
    assert.ok('variables' in r);
    assert.equal(r.variables.get('$eip'), 0xccccn);
    assert.equal(r.variables.get('$ebp'), 0xaaaan);
    assert.equal(r.variables.get('$esp'), 0x1008n);
    assert.equal(r.variables.get('$T1'), 0xffffffffn);
    assert.deepEqual([...r.assigned].sort(), ['$T0', '$T1', '$eip', '$ebp', '$esp'].sort());
  });

  test('unset variables and missing memory are unavailable; bad syntax an error', async () => {
    assert.ok('unavailable' in (await evaluateWinProgram('$eip $T9 =', new Map(), read)));
    assert.ok('unavailable' in (await evaluateWinProgram('$eip 4 ^ =', new Map(), read)));
    assert.ok('error' in (await evaluateWinProgram('4 4 =', new Map(), read)));
    assert.ok('error' in (await evaluateWinProgram('$eip 4', new Map(), read)));
    assert.ok('error' in (await evaluateWinProgram('$eip 4 ~ =', new Map(), read)));
    const undef = await evaluateWinProgram('$ebx 1 = $ebx .undef =', new Map(), read);
    assert.ok('variables' in undef && !undef.variables.has('$ebx') && !undef.assigned.has('$ebx'));
  });
});
