import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { DumpError } from '../../../src/core/errors.js';
import { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { summarizeKernelDump } from '../../../src/core/kernel/summary.js';
import * as F from '../../fixtures/kernel-fixture.js';

/** Deterministic PRNG so a failure can be replayed. */
function rng(seed: number): () => number {
  let x = seed >>> 0 || 1;
  return () => {
    x ^= x << 13;
    x ^= x >>> 17;
    x ^= x << 5;
    return (x >>> 0) / 2 ** 32;
  };
}

const m = F.buildMachine();
const bases: [string, Uint8Array][] = [
  ['type1', F.buildType1(m)],
  ['type5', F.buildBitmap(m, { dumpType: 5 })],
  ['type6-unaligned', F.buildBitmap(m, { dumpType: 6, aligned: false })],
  ['triage', F.buildTriage(m, [F.dumpBlob([{ guid: new Uint8Array(16).fill(1), data: new Uint8Array(9) }])])],
  ['x86-pae', F.buildX86(true)],
];

/** Interesting places: header fields, sub-headers, the start of page data, and anywhere. */
function mutate(b: Uint8Array, r: () => number): Uint8Array {
  const out = b.slice();
  const hot = [0x4, 0x10, 0x30, 0x80, 0x88, 0x90, 0x98, 0xa0, 0xf98, 0x2000, 0x2004, 0x2020, 0x2028, 0x2030, 0x2038, 0x2034, 0x2018, 0x2028, 0x202c, 0x2030, 0x2038, 0x2078, 0x207c, 0x64, 0x68, 0xf88];
  const n = 1 + Math.floor(r() * 4);
  for (let i = 0; i < n; i++) {
    const at = r() < 0.6 ? hot[Math.floor(r() * hot.length)]! + Math.floor(r() * 8) : Math.floor(r() * out.length);
    const kind = r();
    if (kind < 0.3) out[at] = Math.floor(r() * 256);
    else if (kind < 0.6) new DataView(out.buffer).setUint32(Math.min(at, out.length - 4), [0, 0xffffffff, 0x7fffffff, 0x45474150, 0x1000][Math.floor(r() * 5)]!, true);
    else out[at] ^= 1 << Math.floor(r() * 8);
  }
  if (r() < 0.2) return out.subarray(0, Math.floor(r() * out.length));
  return out;
}

describe('kernel reader on mutated files', () => {
  it('every mutated file either summarizes or fails with a DumpError, quickly', async () => {
    const r = rng(0x4b45524e);
    let ok = 0;
    let rejected = 0;
    const codes = new Map<string, number>();
    for (let i = 0; i < 600; i++) {
      const [name, base] = bases[i % bases.length]!;
      const b = mutate(base, r);
      const t0 = performance.now();
      try {
        const s = await summarizeKernelDump(new MemorySource(b, `${name}#${i}`));
        assert.equal(s.format, 'kernel');
        ok++;
      } catch (e) {
        if (!(e instanceof DumpError)) assert.fail(`${name} mutation #${i}: ${(e as Error).stack}`);
        codes.set(e.code, (codes.get(e.code) ?? 0) + 1);
        rejected++;
      }
      assert.ok(performance.now() - t0 < 2000, `${name} mutation #${i} took too long`);
    }
    assert.ok(ok > 50 && rejected > 50, `ok ${ok}, rejected ${rejected}: ${[...codes].join(' ')}`);
  });
});

/** Runs `f`; returns the DumpError it throws (a different exception fails the test with its stack). */
async function dumpErrorOf(what: string, f: () => Promise<unknown>): Promise<DumpError | undefined> {
  try {
    await f();
    return undefined;
  } catch (e) {
    if (!(e instanceof DumpError)) assert.fail(`${what}: ${(e as Error).stack}`);
    return e;
  }
}

describe('addresses and offsets of 2^53 and more (from the file or the caller)', () => {
  const withU64 = (b: Uint8Array, at: number, v: bigint): Uint8Array => {
    const out = b.slice();
    new DataView(out.buffer).setBigUint64(at, v, true);
    return out;
  };

  it('a header DirectoryTableBase of 2^53 or more: masked to the 52 physical-address bits, with a diagnostic; reads fail with DumpErrors', async () => {
    for (const dtb of [2n ** 53n, 0xfff00000001ad000n, 2n ** 64n - 1n]) {
      const b = withU64(F.buildType1(m), 0x10, dtb);
      const s = await summarizeKernelDump(new MemorySource(b, 'dtb'));
      assert.ok(s.diagnostics.some((d) => /DirectoryTableBase .* physical-address bits/.test(d)), `${dtb.toString(16)}: ${s.diagnostics.join('; ')}`);
      assert.ok(!s.diagnostics.some((d) => /safe integer/.test(d)), s.diagnostics.join('; '));
      const d = await KernelDump.open(new MemorySource(b, 'dtb'));
      assert.ok(d.directoryTableBase < 2n ** 52n);
      await dumpErrorOf(`readVirtual with DTB ${dtb.toString(16)}`, () => d.readVirtual(F.KERN_BASE, 8));
    }
  });

  it('a bitmap FirstPage near 2^53 is refused as OUT_OF_BOUNDS at its byte range', async () => {
    for (const first of [2n ** 53n - 4096n, 2n ** 52n]) {
      const b = withU64(F.buildBitmap(m, { dumpType: 5 }), 0x2000 + 0x20, first);
      const e = await dumpErrorOf('FirstPage', () => summarizeKernelDump(new MemorySource(b, 'first')));
      assert.equal(e?.code, 'OUT_OF_BOUNDS');
      assert.deepEqual(e?.range, { offset: 0x2020, length: 8 });
    }
  });

  it('a physical read at 2^53, 0xfffffffffffff000 or 2^64 is INVALID_ARGUMENT, with or without ignoreMissing', async () => {
    const d = await KernelDump.open(new MemorySource(F.buildBitmap(m, { dumpType: 5 }), 'pa'));
    for (const pa of [2n ** 53n, 0xfffffffffffff000n, 2n ** 64n, 2n ** 52n - 8n, -4096n]) {
      for (const ignoreMissing of [false, true]) {
        const e = await dumpErrorOf(`PA ${pa.toString(16)}`, () => d.requirePhysical().read(pa, 16, { ignoreMissing }));
        assert.equal(e?.code, 'INVALID_ARGUMENT', `PA ${pa.toString(16)}`);
        assert.match(e!.message, /physical address/);
      }
    }
  });
});

describe('only DumpErrors become diagnostics', () => {
  it('an exception that is not a DumpError in the module/process walks surfaces from summarizeKernelDump', async () => {
    const b = F.buildType1(m);
    const inner = new MemorySource(b, 'buggy');
    let armed = false;
    const buggy = {
      name: 'buggy',
      size: inner.size,
      read(offset: number, length: number): Promise<Uint8Array> {
        if (armed) return Promise.reject(new TypeError('a bug in a page source'));
        return inner.read(offset, length);
      },
    };
    const d = await KernelDump.open(buggy);
    armed = true;
    await assert.rejects(d.modules(), TypeError);
    armed = false;
    // page data starts after the 0x2000-byte header: every page read is the bug
    const late = { ...buggy, read: (o: number, l: number) => (o >= 0x2000 ? Promise.reject(new TypeError('a bug in a page source')) : inner.read(o, l)) };
    await assert.rejects(summarizeKernelDump(late), TypeError);
  });
});
