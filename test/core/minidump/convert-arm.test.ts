// convert on ARM64 and ARM minidumps: the writer's ARM contexts mirror the readers' layouts
// (checked by reading back), and an ARM64 result opens in LLDB with the same registers.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { MemorySink } from '../../../src/core/bytes/byte-sink.js';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { parseArmContext } from '../../../src/core/minidump/context/arm.js';
import { parseArm64Context } from '../../../src/core/minidump/context/arm64.js';
import { convertMinidump } from '../../../src/core/minidump/convert.js';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { encodeContextArm } from '../../../src/core/minidump/writer/context-arm.js';
import { encodeContextArm64 } from '../../../src/core/minidump/writer/context-arm64.js';
import { lldbBatch } from '../../helpers/lldb.js';
import { lldbSkip } from '../../helpers/target.js';
import { arm64Context, arm64OldContext, le, MinidumpBuilder, systemInfo, thread } from '../../fixtures/minidump-builder.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-convert-arm-'));
after(() => rmSync(dir, { recursive: true, force: true }));

test('ARM64 writer context reads back register for register (Windows layout, 912 bytes)', () => {
  const gpr: Record<string, bigint> = { sp: 0x7fffe000n, pc: 0x400200n, fp: 0x7ffff000n, lr: 0x400100n, cpsr: 0x60000000n, fpcr: 0x3000000n, fpsr: 0x10n };
  for (let i = 0; i < 29; i++) gpr[`x${i}`] = 0x1111111100000000n + BigInt(i);
  const vregs = new Uint8Array(512).map((_, i) => i & 0xff);
  const bytes = encodeContextArm64({ gpr, vregs });
  assert.equal(bytes.length, 912);
  const ctx = parseArm64Context(bytes);
  assert.equal(ctx.contextFlags, 0x400007);
  for (const [k, v] of Object.entries(gpr)) assert.equal(ctx.registers[k], v, k);
  assert.equal(ctx.registers.x29, gpr.fp);
  assert.equal(ctx.registers.x30, gpr.lr);
  assert.deepEqual(bytes.subarray(0x110, 0x310), vregs);
});

test('ARM writer context reads back register for register (Breakpad layout, 368 bytes)', () => {
  const gpr: Record<string, bigint> = { cpsr: 0x600f0010n, fpscr: 0x123456789n };
  for (let i = 0; i < 16; i++) gpr[`r${i}`] = 0xa0000000n + BigInt(i);
  const vregs = new Uint8Array(256).map((_, i) => (i * 7) & 0xff);
  const bytes = encodeContextArm({ gpr, vregs });
  assert.equal(bytes.length, 368);
  const ctx = parseArmContext(bytes);
  assert.equal(ctx.contextFlags, 0x40000006);
  for (const [k, v] of Object.entries(gpr)) assert.equal(ctx.registers[k], v, k);
  assert.equal(ctx.sp, gpr.r13);
  assert.equal(ctx.pc, gpr.r15);
  assert.equal(ctx.registers.d1, new DataView(vregs.buffer).getBigUint64(8, true));
});

/** A Linux minidump of one thread with its stack in a MemoryList, for `arch` with the given context. */
function armDump(arch: number, context: Uint8Array, sp: bigint): Uint8Array {
  const b = new MinidumpBuilder({ capacity: 8 });
  const csd = b.string('Linux 6.1.0 #1 SMP aarch64');
  b.stream(7, systemInfo({ arch, platform: 0x8201, ncpu: 4, csdRva: csd, level: 8, revision: 0 }));
  const stackBytes = new Uint8Array(0x100).map((_, i) => i);
  const stack = b.loc(stackBytes, 16);
  const ctx = b.loc(context, 16);
  const tl = le().u32(1);
  thread(tl, { id: 4242, stackStart: sp, stack, context: ctx });
  b.stream(3, tl.toBytes());
  b.stream(5, le().u32(1).u64(sp).u32(stack.size).u32(stack.rva).toBytes());
  return b.build();
}

/** Breakpad ARM context written with literal offsets: flags @0, r0..r15 @4, cpsr @0x44 (368 bytes). */
const armContext = (pc: number, sp: number): Uint8Array => {
  const b = new Uint8Array(368);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x40000002, true);
  v.setUint32(0x04, 7, true); // r0
  v.setUint32(0x30, 0x7eff0010, true); // r11
  v.setUint32(0x38, sp, true); // r13
  v.setUint32(0x3c, 0x10100, true); // r14
  v.setUint32(0x40, pc, true); // r15
  v.setUint32(0x44, 0x10, true); // cpsr
  return b;
};

describe('convert → mini on ARM64 and ARM dumps', () => {
  const cases = [
    { name: 'ARM64 (Windows layout, architecture 12)', arch: 12, context: arm64Context({ x: [7n, 8n], fp: 0x7fffe080n, lr: 0x400100n, sp: 0x7fffe000n, pc: 0x400200n }), sp: 0x7fffe000n, pc: 0x400200n },
    { name: 'ARM64 (Breakpad old layout, architecture 0x8003)', arch: 0x8003, context: arm64OldContext({ x0: 7n, fp: 0x7fffe080n, lr: 0x400100n, sp: 0x7fffe000n, pc: 0x400200n, cpsr: 0x60000000 }), sp: 0x7fffe000n, pc: 0x400200n },
    { name: 'ARM (architecture 5)', arch: 5, context: armContext(0x10200, 0x7eff0000), sp: 0x7eff0000n, pc: 0x10200n },
  ];
  for (const c of cases) {
    test(`${c.name}: the converted dump reads back with the same registers and stack`, async () => {
      const src = await Minidump.open(new MemorySource(armDump(c.arch, c.context, c.sp), 'arm.dmp'));
      const sink = new MemorySink();
      await convertMinidump(src, sink, 'mini', new Diagnostics());
      const out = await Minidump.open(new MemorySource(sink.toBytes(), 'arm-mini.dmp'));
      const si = await out.systemInfo();
      assert.equal(si?.processorArchitecture, c.arch === 5 ? 5 : 12);
      const [a, b] = [await src.context((await src.threads())[0]!.threadContext), await out.context((await out.threads())[0]!.threadContext)];
      assert.equal(b?.arch, a?.arch);
      assert.equal(b?.layout, c.arch === 5 ? 'arm' : 'arm64');
      assert.equal(b?.pc, c.pc);
      assert.equal(b?.sp, c.sp);
      for (const k of ['x0', 'x29', 'x30', 'fp', 'lr', 'cpsr', 'r0', 'r11', 'r14']) assert.equal(b?.registers[k], a?.registers[k], k);
      assert.deepEqual(await out.readMemory(c.sp, 16), await src.readMemory(c.sp, 16));
      if (c.arch !== 5) writeFileSync(join(dir, `arm64-${c.arch}.dmp`), sink.toBytes());
    });
  }

  test('LLDB opens the converted ARM64 dumps with the same pc, sp, fp and lr', { skip: lldbSkip }, () => {
    for (const arch of [12, 0x8003]) {
      const out = lldbBatch(join(dir, `arm64-${arch}.dmp`), ['register read pc sp fp lr']);
      const reg = (name: string) => new RegExp(`^\\s*${name} = (0x[0-9a-f]+)`, 'm').exec(out)?.[1];
      assert.equal(reg('pc'), '0x0000000000400200', out);
      assert.equal(reg('sp'), '0x000000007fffe000', out);
      assert.equal(reg('fp'), '0x000000007fffe080', out);
      assert.equal(reg('lr'), '0x0000000000400100', out);
    }
  });
});
