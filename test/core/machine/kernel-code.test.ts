import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { Machine } from '../../../src/core/machine/machine.js';
import type { ModelModule } from '../../../src/core/machine/model-types.js';
import { mingwSkip } from '../../helpers/mingw.js';
import { readVirt, u64 } from '../../fixtures/x64-walk.js';

// The modeled machine's kernel images and stacks, checked on the bytes it builds: the images with
// binutils' objdump (exports, .pdata, unwind codes, disassembled prologues and calls), the stacks
// against the recorded truth (return addresses after calls to the next function, KSWITCH_FRAMEs).
const m = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'workstation', seed: 21 });
const pages = new Map<number, Uint8Array>();
const read = (pfn: number) => {
  let p = pages.get(pfn);
  if (!p) {
    p = new Uint8Array(4096);
    m.readPage(pfn, p);
    pages.set(pfn, p);
  }
  return p;
};
const bytes = (va: bigint, n: number) => readVirt(read, m.dtb, va, n);
const objdump = 'x86_64-w64-mingw32-objdump';

/** The image as a file: the model's section headers give PointerToRawData = VirtualAddress, so the mapping is the file. */
function imageFile(mod: ModelModule): string {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-model-pe-'));
  const path = join(dir, mod.name);
  writeFileSync(path, bytes(mod.base, mod.size));
  return path;
}

for (const pick of ['hal.dll', 'driver'] as const) {
  test(`objdump reads the modeled ${pick} image: every function exported, in .pdata, with the unwind codes its prologue has`, { skip: mingwSkip }, () => {
    const mod = pick === 'hal.dll' ? m.modules[1]! : m.modules[10]!;
    const file = imageFile(mod);
    const x = spawnSync(objdump, ['-x', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(x.status, 0, x.stderr);
    const out = x.stdout;
    const names = new Map([...out.slice(out.indexOf('[Ordinal/Name Pointer] Table')).matchAll(/\[\s*(\d+)\] (\w+)/g)].map((r) => [Number(r[1]), r[2]!]));
    const rvas = new Map([...out.matchAll(/\[\s*(\d+)\] \+base\[\s*\d+\] ([0-9a-f]+) Export RVA/g)].map((r) => [Number(r[1]), parseInt(r[2]!, 16)]));
    assert.equal(names.size, mod.functions.length);
    for (const f of mod.functions) {
      const idx = [...names].find(([, n]) => n === f.name)?.[0];
      assert.ok(idx !== undefined, `${f.name} exported`);
      assert.equal(rvas.get(idx), f.rva, f.name);
    }
    const base = mod.base;
    const pdata = [...out.slice(out.indexOf('The Function Table')).matchAll(/^ [0-9a-f]{16}:\s+([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16})$/gm)];
    assert.deepEqual(
      pdata.map((r) => [BigInt('0x' + r[1]) - base, BigInt('0x' + r[2]) - base]),
      mod.functions.map((f) => [BigInt(f.rva), BigInt(f.rva + f.size)]),
    );
    // objdump's decoded UNWIND_INFO agrees with each shape's prologue.
    const xdata = out.slice(out.indexOf('Dump of .'));
    for (const f of mod.functions) {
      const at = xdata.indexOf(`${(base + BigInt(f.rva)).toString(16).padStart(16, '0')} - `);
      assert.ok(at >= 0, `unwind info of ${f.name}`);
      const block = xdata.slice(at, xdata.indexOf('\n 0', at + 1) > 0 ? xdata.indexOf('\n 0', at + 1) : undefined);
      assert.match(block, new RegExp(`Prologue size: 0x${f.prologSize.toString(16).padStart(2, '0')}`), f.name);
      for (const s of f.shape.steps) {
        if (s.op === 'push') assert.match(block, new RegExp(`push ${s.reg}`), `${f.name} push ${s.reg}`);
        if (s.op === 'alloc') assert.match(block, new RegExp(`rsp = rsp - 0x${s.size.toString(16)}`), `${f.name} alloc`);
        if (s.op === 'save') assert.match(block, new RegExp(`save ${s.reg} at rsp \\+ 0x${s.offset.toString(16)}`), `${f.name} save ${s.reg}`);
        if (s.op === 'setfp') assert.match(block, /FPReg: rbp = rsp \+ 0x20/, `${f.name} frame register`);
      }
    }
    // objdump's disassembly: each function starts with the prologue's instructions and its calls go where the model says.
    const d = spawnSync(objdump, ['-d', file], { encoding: 'utf8', maxBuffer: 64 << 20 });
    assert.equal(d.status, 0, d.stderr);
    for (const f of mod.functions) {
      const start = d.stdout.indexOf(`${(base + BigInt(f.rva)).toString(16)}:`);
      assert.ok(start >= 0, f.name);
      const lines = d.stdout.slice(start).split('\n').slice(0, 4).join('\n');
      const first = f.shape.steps[0]!;
      if (first.op === 'push') assert.match(lines, new RegExp(`push\\s+%${first.reg}`), `${f.name} first instruction`);
      else if (first.op === 'alloc') assert.match(lines, /sub\s+\$0x/);
      for (const c of f.calls) {
        const line = d.stdout.split('\n').find((l) => l.trimStart().startsWith(`${(base + BigInt(c.callRva)).toString(16)}:`));
        assert.ok(line && /\bcall\b/.test(line), `${f.name}: call at +${(c.callRva - f.rva).toString(16)} (${line})`);
      }
    }
  });
}

test('every thread\'s truth is a chain of calls: each return address follows a call to the next inner function', () => {
  const starts = new Map<string, bigint>();
  for (const mod of m.modules) for (const f of mod.functions) starts.set(`${mod.name}!${f.name}`, mod.base + BigInt(f.rva));
  let threads = 0;
  for (const p of m.processes) {
    for (const t of p.threads) {
      const frames = t.stack.frames;
      assert.ok(frames.length >= 3, `thread ${t.tid}`);
      for (let i = 1; i < frames.length; i++) {
        const f = frames[i]!;
        if (f.module === '') {
          assert.ok(f.instruction < 0x800000000000n && i === frames.length - 1, 'the user frame is the last one');
          continue;
        }
        const before = bytes(f.instruction - 5n, 5);
        const inner = starts.get(`${frames[i - 1]!.module}!${frames[i - 1]!.function}`)!;
        if (before[0] === 0xe8) {
          const rel = BigInt(new DataView(before.buffer, before.byteOffset + 1, 4).getInt32(0, true));
          assert.equal(f.instruction + rel, inner, `thread ${t.tid} frame ${i}: call target`);
        } else assert.deepEqual([...before.subarray(3)], [0xff, 0xd0], `thread ${t.tid} frame ${i}: an indirect call`);
      }
      if (t.state === 5) {
        // Waiting: KSWITCH_FRAME at KernelStack holds frame 0's return address and rbp; KernelStack is in the ETHREAD.
        assert.equal(u64(read, m.dtb, t.ethread + 0x58n), t.kernelStack);
        assert.equal(u64(read, m.dtb, t.kernelStack + 0x38n), frames[0]!.instruction);
        assert.equal(u64(read, m.dtb, t.kernelStack + 0x30n), t.stack.registers.rbp);
        assert.equal(t.stack.registers.rsp, t.kernelStack + 0x40n);
      }
      assert.equal(bytes(t.ethread + 0x184n, 1)[0], t.state, 'KTHREAD.State');
      threads++;
    }
  }
  assert.equal(threads, m.processes.reduce((n, p) => n + p.threads.length, 0));
  // The crashing thread runs KeBugCheckEx with the header context; other processors run their idle threads.
  assert.equal(m.crashThread.stack.frames[0]!.function, 'KeBugCheckEx');
  assert.equal(m.crashThread.state, 2);
  const ctx = new DataView(m.crashContext.buffer, m.crashContext.byteOffset);
  assert.equal(ctx.getBigUint64(0xf8, true), m.crashThread.stack.frames[0]!.instruction);
  assert.equal(ctx.getBigUint64(0x98, true), m.crashThread.stack.registers.rsp);
  const idle = m.processors.filter((c) => c.index !== m.crashCpu);
  for (const c of idle) {
    const t = m.processes[0]!.threads.find((x) => x.ethread === c.currentThread)!;
    assert.deepEqual(t.stack.frames.map((f) => f.function), ['HalProcessorIdle', 'PoIdle', 'KiIdleLoop']);
  }
});

test('the same seed builds the same stacks', () => {
  const again = new Machine({ ramBytes: 256 * 1024 * 1024, profile: 'workstation', seed: 21 });
  assert.deepEqual(
    again.processes.map((p) => p.threads.map((t) => t.stack)),
    m.processes.map((p) => p.threads.map((t) => t.stack)),
  );
});
