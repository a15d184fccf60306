import assert from 'node:assert/strict';
import { test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { PeImage, parsePeHeaders } from '../../../src/core/pe/image.js';
import { endsCall, matchX64Epilog, parseUnwindInfoX64, readUnwindChain, x64RulesFromUnwindInfo, x64UnwindRulesAt } from '../../../src/core/pe/unwind-x64.js';
import { bytesReader } from '../../fixtures/pe/map-image.js';

// UNWIND_INFO written as literal bytes (Microsoft's "x64 exception handling" layout):
// [Version|Flags<<3] [SizeOfProlog] [CountOfCodes] [FrameRegister|FrameOffset<<4] then u16 codes
// [CodeOffset] [UnwindOp|OpInfo<<4] ... in reverse prolog order.
const u = (...b: number[]) => Uint8Array.from(b);

/** A tiny Breakpad postfix evaluator over registers and a memory map, to check what rules recover. */
function evaluate(expr: string, regs: Record<string, bigint>, mem: Map<bigint, bigint>, cfa?: bigint): bigint {
  const st: bigint[] = [];
  for (const tok of expr.split(' ')) {
    if (tok === '+' || tok === '-') {
      const b = st.pop()!;
      const a = st.pop()!;
      st.push(tok === '+' ? a + b : a - b);
    } else if (tok === '^') {
      const a = st.pop()!;
      assert.ok(mem.has(a), `read of ${a.toString(16)}`);
      st.push(mem.get(a)!);
    } else if (tok === '.cfa') st.push(cfa!);
    else if (/^-?\d+$/.test(tok)) st.push(BigInt(tok));
    else st.push(regs[tok]!);
  }
  assert.equal(st.length, 1, expr);
  return st[0]!;
}

test('PUSH_NONVOL, ALLOC_SMALL, SET_FPREG with an offset, SAVE_NONVOL: rules at every prolog offset recover the caller', () => {
  // push rbp (1) ; sub rsp,0x40 (5) ; lea rbp,[rsp+0x20] (10) ; mov [rsp+0x30],rbx (15)
  // SAVE_NONVOL offsets are from the frame base (RBP - 0x20 = RSP after the allocation).
  const bytes = u(0x01, 15, 5, 0x25, /* rbp, offset 2 (×16) */ 15, 0x34, 0x06, 0x00, /* SAVE_NONVOL rbx, 6×8 */ 10, 0x03, /* SET_FPREG */ 5, 0x72, /* ALLOC_SMALL 7 → 0x40 */ 1, 0x50 /* PUSH rbp */);
  const info = parseUnwindInfoX64(bytes, 0x3000);
  assert.equal(info.codes.length, 4);
  assert.deepEqual(info.codes.map((c) => [c.op, c.operand]), [[4, 0x30], [3, undefined], [2, 0x40], [0, undefined]]);
  // Simulate the prolog on a stack, then check each offset's rules recover RA, RSP, RBP, RBX.
  const callerRsp = 0x10000n;
  const ra = 0xdead0000n;
  const mem = new Map<bigint, bigint>([[callerRsp - 8n, ra]]);
  const callerRbp = 0x5555n;
  const callerRbx = 0x7777n;
  const states: { at: number; regs: Record<string, bigint> }[] = [];
  let rsp = callerRsp - 8n;
  states.push({ at: 0, regs: { rsp, rbp: callerRbp, rbx: callerRbx } });
  rsp -= 8n;
  mem.set(rsp, callerRbp);
  states.push({ at: 1, regs: { rsp, rbp: callerRbp, rbx: callerRbx } });
  rsp -= 0x40n;
  states.push({ at: 5, regs: { rsp, rbp: callerRbp, rbx: callerRbx } });
  const rbp = rsp + 0x20n;
  states.push({ at: 10, regs: { rsp, rbp, rbx: callerRbx } });
  mem.set(rsp + 0x30n, callerRbx);
  states.push({ at: 15, regs: { rsp: rsp - 0x100n /* the body moved RSP (alloca) */, rbp, rbx: 0x1n } });
  for (const s of states) {
    const rules = x64RulesFromUnwindInfo([info], s.at);
    const cfa = evaluate(rules['.cfa']!, s.regs, mem);
    assert.equal(cfa, callerRsp, `CFA at +${s.at}: ${rules['.cfa']}`);
    assert.equal(evaluate(rules['.ra']!, s.regs, mem, cfa), ra);
    const rbpRule = rules.rbp ?? 'rbp';
    assert.equal(evaluate(rbpRule, s.regs, mem, cfa), callerRbp, `rbp at +${s.at}`);
    assert.equal(evaluate(rules.rbx ?? 'rbx', s.regs, mem, cfa), callerRbx, `rbx at +${s.at}`);
  }
  assert.deepEqual(x64RulesFromUnwindInfo([info], 15), { rbx: 'rbp 16 + ^', rbp: 'rbp 32 + ^', '.cfa': 'rbp 48 +', '.ra': '.cfa 8 - ^' });
});

test('ALLOC_LARGE (both forms) and SAVE_NONVOL_FAR decode their operands', () => {
  const a = parseUnwindInfoX64(u(0x01, 8, 2, 0x00, 8, 0x01, 0x20, 0x03), 0); // info 0: 0x320 × 8
  assert.equal(a.codes[0]!.operand, 0x1900);
  assert.deepEqual(x64RulesFromUnwindInfo([a], 8), { '.cfa': 'rsp 6408 +', '.ra': '.cfa 8 - ^' });
  const b = parseUnwindInfoX64(u(0x01, 11, 3, 0x00, 11, 0x11, 0x00, 0x00, 0x02, 0x00), 0); // info 1: u32 0x20000
  assert.equal(b.codes[0]!.operand, 0x20000);
  assert.equal(x64RulesFromUnwindInfo([b], 11)['.cfa'], 'rsp 131080 +');
  // sub rsp,0x18 then mov [rsp+0x12345],r12: SAVE_NONVOL_FAR r12 (unscaled u32 offset)
  const c = parseUnwindInfoX64(u(0x01, 12, 4, 0x00, 12, 0xc5, 0x45, 0x23, 0x01, 0x00, 4, 0x22), 0);
  assert.deepEqual(x64RulesFromUnwindInfo([c], 12), { r12: 'rsp 74565 + ^', '.cfa': 'rsp 32 +', '.ra': '.cfa 8 - ^' });
  // Before the save executed, r12 has no rule.
  assert.equal(x64RulesFromUnwindInfo([c], 4).r12, undefined);
  // XMM saves (8, 9) and a version-2 epilog code (6) take their slots and do not move RSP.
  const d = parseUnwindInfoX64(u(0x02, 8, 7, 0x00, 1, 0x06, 0, 0, 8, 0x68, 2, 0, 8, 0x79, 0, 0, 0, 0), 0);
  assert.deepEqual(d.codes.map((x) => x.op), [6, 8, 9]);
  assert.equal(x64RulesFromUnwindInfo([d], 8)['.cfa'], 'rsp 8 +');
});

test('PUSH_MACHFRAME (with and without an error code): RIP and RSP come from the machine frame', () => {
  const noErr = parseUnwindInfoX64(u(0x01, 0, 1, 0x00, 0, 0x0a), 0);
  assert.deepEqual(x64RulesFromUnwindInfo([noErr], 0), { '.ra': 'rsp ^', '.cfa': 'rsp 24 + ^' });
  // sub rsp,0x28 after an interrupt with an error code.
  const err = parseUnwindInfoX64(u(0x01, 4, 2, 0x00, 4, 0x42, 0, 0x1a), 0);
  const rules = x64RulesFromUnwindInfo([err], 4);
  assert.deepEqual(rules, { '.ra': 'rsp 48 + ^', '.cfa': 'rsp 72 + ^' });
  const mem = new Map<bigint, bigint>([[0x1000n + 0x28n + 8n, 0xfeedn], [0x1000n + 0x28n + 8n + 24n, 0x9000n]]);
  assert.equal(evaluate(rules['.ra']!, { rsp: 0x1000n }, mem), 0xfeedn);
  assert.equal(evaluate(rules['.cfa']!, { rsp: 0x1000n }, mem), 0x9000n);
});

test('chained UNWIND_INFO: the parent\'s codes all apply after the child\'s executed ones', () => {
  // Child: push rsi (at 1), flags CHAININFO, then the parent RUNTIME_FUNCTION {0x1000, 0x1100, 0x2000}.
  const child = parseUnwindInfoX64(u(0x01 | (4 << 3), 1, 1, 0x00, 1, 0x60, 0, 0, 0x00, 0x10, 0, 0, 0x00, 0x11, 0, 0, 0x00, 0x20, 0, 0), 0x2100);
  assert.deepEqual(child.chained, { beginAddress: 0x1000, endAddress: 0x1100, unwindData: 0x2000 });
  // Parent: push rbx (1), sub rsp,0x20 (5).
  const parent = parseUnwindInfoX64(u(0x01, 5, 2, 0x00, 5, 0x32, 1, 0x30), 0x2000);
  assert.deepEqual(x64RulesFromUnwindInfo([child, parent], 0), { rbx: 'rsp 32 + ^', '.cfa': 'rsp 48 +', '.ra': '.cfa 8 - ^' });
  assert.deepEqual(x64RulesFromUnwindInfo([child, parent], 1), { rsi: 'rsp ^', rbx: 'rsp 40 + ^', '.cfa': 'rsp 56 +', '.ra': '.cfa 8 - ^' });
});

test('epilogs: add rsp + pops + ret, pops + jmp; a call\'s last byte is never an epilog', () => {
  assert.deepEqual(matchX64Epilog(u(0x48, 0x83, 0xc4, 0x28, 0x5b, 0x41, 0x5e, 0xc3)), { stackAdjust: 0x28, pops: ['rbx', 'r14'] });
  assert.deepEqual(matchX64Epilog(u(0x5d, 0xe9, 0, 0, 0, 0)), { stackAdjust: 0, pops: ['rbp'] });
  assert.deepEqual(matchX64Epilog(u(0xc3)), { stackAdjust: 0, pops: [] });
  assert.equal(matchX64Epilog(u(0x48, 0x89, 0xc3)), undefined);
  assert.equal(matchX64Epilog(u(0xe9, 0, 0, 0, 0)), undefined, 'a bare jmp is not an epilog');
  assert.deepEqual(x64RulesFromUnwindInfo([], 99, { stackAdjust: 0x28, pops: ['rbx', 'r14'] }), { rbx: 'rsp 40 + ^', r14: 'rsp 48 + ^', '.cfa': 'rsp 64 +', '.ra': '.cfa 8 - ^' });
  assert.equal(endsCall(u(0, 0, 0, 0, 0xe8, 1, 2, 3, 0xc3)), true);
  assert.equal(endsCall(u(0, 0, 0, 0xff, 0x15, 1, 2, 3, 4)), true);
  assert.equal(endsCall(u(0, 0, 0, 0, 0, 0, 0, 0xff, 0xd0)), true);
  assert.equal(endsCall(u(0, 0, 0, 0, 0, 0, 0, 0x90, 0xc3)), false);
});

test('hostile UNWIND_INFO: bad version, truncated codes, unknown op, an endless chain', async () => {
  assert.throws(() => parseUnwindInfoX64(u(0x03, 0, 0, 0), 0), (e: unknown) => e instanceof DumpError && e.code === 'BAD_VERSION');
  assert.throws(() => parseUnwindInfoX64(u(0x01, 4, 2, 0, 4, 0x01), 0), (e: unknown) => e instanceof DumpError && e.code === 'TRUNCATED');
  assert.throws(() => parseUnwindInfoX64(u(0x01, 4, 2, 0, 4, 0x11, 0, 0), 0).codes, (e: unknown) => e instanceof DumpError && e.code === 'TRUNCATED');
  assert.throws(() => parseUnwindInfoX64(u(0x01, 4, 1, 0, 4, 0x0b), 0), (e: unknown) => e instanceof DumpError && e.code === 'UNSUPPORTED');
  // An image whose chained entry points back at itself.
  const img = new Uint8Array(0x3000);
  img.set(u(0x4d, 0x5a));
  const dv = new DataView(img.buffer);
  dv.setUint32(0x3c, 0x80, true);
  dv.setUint32(0x80, 0x4550, true);
  dv.setUint16(0x84, 0x8664, true);
  dv.setUint16(0x86, 1, true);
  dv.setUint16(0x94, 0xf0, true);
  dv.setUint16(0x98, 0x20b, true);
  dv.setUint32(0x98 + 56, 0x3000, true);
  dv.setUint32(0x98 + 108, 16, true);
  img.set(new TextEncoder().encode('.text'), 0x98 + 0xf0);
  dv.setUint32(0x98 + 0xf0 + 8, 0x2000, true);
  dv.setUint32(0x98 + 0xf0 + 12, 0x1000, true);
  dv.setUint32(0x98 + 0xf0 + 36, 0x60000020, true);
  img.set(u(0x01 | (4 << 3), 0, 0, 0, 0x00, 0x10, 0, 0, 0x00, 0x11, 0, 0, 0x00, 0x20, 0, 0), 0x2000);
  const image = (await PeImage.open(bytesReader(0x10000n, img), 0x10000n))!;
  assert.equal(parsePeHeaders(img).sections[0]!.name, '.text');
  const fn = { beginAddress: 0x1000, endAddress: 0x1100, unwindData: 0x2000 };
  await assert.rejects(readUnwindChain(image, [fn], fn), (e: unknown) => e instanceof DumpError && e.code === 'COUNT_TOO_LARGE');
  // No .pdata entry in an executable section: a leaf (return address at RSP); outside code: nothing.
  assert.deepEqual(await x64UnwindRulesAt(image, [], 0x11200n), { '.cfa': 'rsp 8 +', '.ra': '.cfa 8 - ^' });
  assert.equal(await x64UnwindRulesAt(image, [], 0x10010n), undefined);
});
