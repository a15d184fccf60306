import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { DumpError } from '../../../src/core/errors.js';
import { readDsoDebug } from '../../../src/core/linux/dso-debug.js';

/**
 * The r_debug walk on fake process memory. The builder lays out auxv, program headers, the dynamic
 * section, r_debug, link_map nodes and names with the <elf.h>/<link.h> offsets written out here
 * (not taken from dumpkit), so a wrong layout in the reader cannot hide behind the same one here.
 */

/** Field offsets of Elf64/Elf32 program headers, dynamic entries, r_debug and link_map. */
const LAYOUT = {
  8: { phent: 56, pVaddr: 16, pMemsz: 40, dyn: 16, rMap: 8, rBrk: 16, rLdbase: 32, lName: 8, lLd: 16, lNext: 24, lPrev: 32, lSize: 40 },
  4: { phent: 32, pVaddr: 8, pMemsz: 20, dyn: 8, rMap: 4, rBrk: 8, rLdbase: 16, lName: 4, lLd: 8, lNext: 12, lPrev: 16, lSize: 20 },
} as const;

/** Sparse memory: mapped regions; a read must lie inside one of them, like a process's pages. */
class FakeMemory {
  private readonly regions: { start: bigint; bytes: Uint8Array }[] = [];
  readonly reads: { address: bigint; length: number }[] = [];
  constructor(readonly ws: 4 | 8) {}
  map(start: bigint, size: number): void {
    this.regions.push({ start, bytes: new Uint8Array(size) });
  }
  private place(address: bigint, length: number): { bytes: Uint8Array; off: number } | undefined {
    const r = this.regions.find((x) => address >= x.start && address + BigInt(length) <= x.start + BigInt(x.bytes.length));
    return r && { bytes: r.bytes, off: Number(address - r.start) };
  }
  private view(address: bigint, length: number): DataView {
    const p = this.place(address, length);
    if (!p) throw new Error(`builder: 0x${address.toString(16)} is not mapped`);
    return new DataView(p.bytes.buffer, p.off, length);
  }
  u32(address: bigint, v: number): void {
    this.view(address, 4).setUint32(0, v, true);
  }
  word(address: bigint, v: bigint): void {
    if (this.ws === 8) this.view(address, 8).setBigUint64(0, v, true);
    else this.view(address, 4).setUint32(0, Number(v), true);
  }
  cstring(address: bigint, text: string): void {
    const b = new TextEncoder().encode(text + '\0');
    const p = this.place(address, b.length);
    if (!p) throw new Error(`builder: string at 0x${address.toString(16)} is not mapped`);
    p.bytes.set(b, p.off);
  }
  bytes(address: bigint, length: number): Uint8Array {
    const p = this.place(address, length)!;
    return p.bytes.slice(p.off, p.off + length);
  }
  read = (address: bigint, length: number): Uint8Array => {
    this.reads.push({ address, length });
    const p = this.place(address, length);
    if (!p) throw new DumpError('ADDRESS_NOT_MAPPED', `fake: 0x${address.toString(16)}+${length} not mapped`);
    return p.bytes.slice(p.off, p.off + length);
  };
}

interface Options {
  ws: 4 | 8;
  /** Position-independent executable (load bias = base) or fixed-address (bias 0). */
  pie?: boolean;
  /** Extra link_map nodes after the three named ones (no names), for the cap case. */
  extraNodes?: number;
  /** l_next of the last node points back to node `loopTo`. */
  loopTo?: number;
  /** Node `unmapped` lives at an unmapped address. */
  unmapped?: number;
  withoutDynamic?: boolean;
  withoutPhdr?: boolean;
  /** DT_DEBUG's value; 'absent' leaves the entry out. Default: the r_debug address. */
  debugValue?: bigint | 'absent';
}

/**
 * A process image: the executable at `base` (program headers at +0x40, dynamic section at +0x3de0),
 * the dynamic linker's data page with r_debug, link_map nodes, and two pages of names, where
 * libc's name straddles the page boundary and ld.so's ends on the last byte of the mapping.
 */
function buildProcess(o: Options) {
  const ws = o.ws;
  const L = LAYOUT[ws];
  const m = new FakeMemory(ws);
  const base = ws === 8 ? (o.pie === false ? 0x400000n : 0x555555554000n) : o.pie === false ? 0x8048000n : 0x56622000n;
  const vaddrBase = o.pie === false ? base : 0n;
  const ldData = ws === 8 ? 0x7ffff7ffd000n : 0xf7f5a000n;
  const names = ws === 8 ? 0x7ffff7fc0000n : 0xf7f40000n;
  const nodes = ws === 8 ? 0x7ffff0000000n : 0xf0000000n;
  const rDebug = ldData + 0x118n;
  const brk = ws === 8 ? 0x7ffff7fd5060n : 0xf7f28120n;
  const ldbase = ws === 8 ? 0x7ffff7fc3000n : 0xf7f26000n;
  m.map(base, 0x4000);
  m.map(ldData, 0x1000);
  m.map(names, 0x2000);

  // Program headers: PT_PHDR, PT_INTERP, PT_LOAD, PT_DYNAMIC (types 6, 3, 1, 2).
  const phdr = base + 0x40n;
  const headers: [number, bigint, bigint][] = [
    [6, vaddrBase + 0x40n, BigInt(4 * L.phent)],
    [3, vaddrBase + 0x318n, 0x1cn],
    [1, vaddrBase, 0x4000n],
    [2, vaddrBase + 0x3de0n, BigInt(6 * L.dyn)],
  ].filter(([type]) => !(o.withoutDynamic && type === 2) && !(o.withoutPhdr && type === 6)) as [number, bigint, bigint][];
  headers.forEach(([type, vaddr, memsz], i) => {
    const at = phdr + BigInt(i * L.phent);
    m.u32(at, type);
    m.word(at + BigInt(L.pVaddr), vaddr);
    m.word(at + BigInt(L.pMemsz), memsz);
  });

  // Dynamic section: DT_NEEDED, DT_DEBUG, DT_NULL, then entries past the terminator (PT_DYNAMIC's size covers six).
  const dynamic = base + 0x3de0n;
  const entries: [bigint, bigint][] = [[1n, 0x10n]];
  if (o.debugValue !== 'absent') entries.push([21n, o.debugValue ?? rDebug]);
  entries.push([0n, 0n], [0x6ffffef5n, 0x3a0n], [0x6ffffffbn, 0x8000000n]);
  entries.forEach(([tag, value], i) => {
    m.word(dynamic + BigInt(i * L.dyn), tag);
    m.word(dynamic + BigInt(i * L.dyn + ws), value);
  });
  const dynamicLength = (o.debugValue === 'absent' ? 2 : 3) * L.dyn;

  // Names: the executable's is "", libc's crosses the page boundary, ld.so's NUL is the last mapped byte.
  const libcName = ws === 8 ? '/lib/x86_64-linux-gnu/libc.so.6' : '/lib/i386-linux-gnu/libc.so.6';
  const ldName = ws === 8 ? '/lib64/ld-linux-x86-64.so.2' : '/lib/ld-linux.so.2';
  const emptyAt = names;
  const libcAt = names + 0x1000n - 10n;
  const ldAt = names + 0x2000n - BigInt(ldName.length + 1);
  m.cstring(emptyAt, '');
  m.cstring(libcAt, libcName);
  m.cstring(ldAt, ldName);
  const libBase = ws === 8 ? 0x7ffff7dd0000n : 0xf7cea000n;
  const named = [
    { addr: base - vaddrBase, name: '', nameAt: emptyAt, ld: dynamic },
    { addr: libBase, name: libcName, nameAt: libcAt, ld: libBase + 0x1d2b60n },
    { addr: ldbase, name: ldName, nameAt: ldAt, ld: ldbase + 0x32e40n },
  ];
  const list = [...named, ...Array.from({ length: o.extraNodes ?? 0 }, (_, i) => ({ addr: BigInt(i + 1) << 12n, name: '', nameAt: 0n, ld: 0n }))];

  // link_map nodes, one after the other; node `unmapped` is placed where nothing is mapped.
  m.map(nodes, list.length * L.lSize);
  const nodeAt = (i: number): bigint => (i === o.unmapped ? 0x1000n : nodes + BigInt(i * L.lSize));
  list.forEach((e, i) => {
    if (i === o.unmapped) return;
    const at = nodeAt(i);
    const last = i === list.length - 1;
    m.word(at, e.addr);
    m.word(at + BigInt(L.lName), e.nameAt);
    m.word(at + BigInt(L.lLd), e.ld);
    m.word(at + BigInt(L.lNext), last ? (o.loopTo === undefined ? 0n : nodeAt(o.loopTo)) : nodeAt(i + 1));
    m.word(at + BigInt(L.lPrev), i === 0 ? 0n : nodeAt(i - 1));
  });

  // struct r_debug: r_version 1, r_map, r_brk, r_state (RT_CONSISTENT), r_ldbase.
  m.u32(rDebug, 1);
  m.word(rDebug + BigInt(L.rMap), nodeAt(0));
  m.word(rDebug + BigInt(L.rBrk), brk);
  m.word(rDebug + BigInt(L.rLdbase), ldbase);

  // auxv: AT_PHDR (3), AT_PHENT (4), AT_PHNUM (5), AT_NULL, as native-word pairs.
  const pairs: [bigint, bigint][] = [
    [33n, 0x7ffff7fc1000n & (ws === 8 ? -1n : 0xffffffffn)], // AT_SYSINFO_EHDR, ignored
    [3n, phdr],
    [4n, BigInt(L.phent)],
    [5n, BigInt(headers.length)],
    [0n, 0n],
  ];
  const auxv = new Uint8Array(pairs.length * 2 * ws);
  const av = new DataView(auxv.buffer);
  pairs.forEach(([type, value], i) => {
    if (ws === 8) {
      av.setBigUint64(i * 16, type, true);
      av.setBigUint64(i * 16 + 8, value, true);
    } else {
      av.setUint32(i * 8, Number(type), true);
      av.setUint32(i * 8 + 4, Number(value), true);
    }
  });
  return { memory: m, auxv, dynamic, dynamicBytes: m.bytes(dynamic, dynamicLength), brk, ldbase, list };
}

function run(o: Options) {
  const p = buildProcess(o);
  const diagnostics = new Diagnostics();
  const debug = readDsoDebug(p.memory.read, p.auxv, o.ws, diagnostics);
  return { p, debug, diagnostics: diagnostics.list() };
}

for (const ws of [8, 4] as const) {
  describe(`readDsoDebug, ${ws * 8}-bit`, () => {
    test('PIE executable: r_debug fields, the dynamic section up to DT_NULL, three link_map entries with names', () => {
      const { p, debug, diagnostics } = run({ ws });
      assert.deepEqual(diagnostics, []);
      assert.ok(debug);
      assert.equal(debug.version, 1);
      assert.equal(debug.brk, p.brk);
      assert.equal(debug.ldbase, p.ldbase);
      assert.equal(debug.dynamic, p.dynamic);
      assert.deepEqual(debug.dynamicSection, p.dynamicBytes);
      assert.equal(debug.dynamicSection.length, 3 * 2 * ws);
      assert.deepEqual(
        debug.linkMap,
        p.list.map((e) => ({ addr: e.addr, name: e.name, ld: e.ld })),
      );
      assert.equal(debug.linkMap[0]!.addr, ws === 8 ? 0x555555554000n : 0x56622000n, 'the executable is listed with its load bias');
      // Names are read a page at a time: no read of the name pages crosses a page boundary.
      for (const r of p.memory.reads.filter((x) => x.address >= (ws === 8 ? 0x7ffff7fc0000n : 0xf7f40000n) && x.address < (ws === 8 ? 0x7ffff7fc2000n : 0xf7f42000n))) {
        assert.ok((r.address % 4096n) + BigInt(r.length) <= 4096n, `read 0x${r.address.toString(16)}+${r.length} crosses a page`);
      }
    });

    test('the process exiting mid-read is an error, not a missing stream', () => {
      const { p } = run({ ws });
      const exited = (): Uint8Array => {
        throw new DumpError('PROCESS_EXITED', 'process 1 exited during the capture');
      };
      assert.throws(() => readDsoDebug(exited, p.auxv, ws, new Diagnostics()), (e: unknown) => e instanceof DumpError && e.code === 'PROCESS_EXITED');
    });

    test('fixed-address executable: load bias 0', () => {
      const { debug, diagnostics } = run({ ws, pie: false });
      assert.deepEqual(diagnostics, []);
      assert.equal(debug?.dynamic, (ws === 8 ? 0x400000n : 0x8048000n) + 0x3de0n);
      assert.equal(debug?.linkMap[0]?.addr, 0n);
    });

    test('a list that loops back is cut where it repeats, with a diagnostic', () => {
      const { debug, diagnostics } = run({ ws, loopTo: 1 });
      assert.equal(debug?.linkMap.length, 3);
      assert.equal(diagnostics.length, 1);
      assert.match(diagnostics[0]!, /loops back .* after 3 entries/);
    });

    test('a list longer than 4096 entries is cut at 4096, with a diagnostic', () => {
      const { debug, diagnostics } = run({ ws, extraNodes: 4100 - 3 });
      assert.equal(debug?.linkMap.length, 4096);
      assert.equal(debug?.linkMap[4095]?.addr, BigInt(4096 - 3) << 12n);
      assert.deepEqual(diagnostics, ['LinuxDsoDebug: link_map list cut at 4096 entries']);
    });

    test('exactly 4096 entries: all kept, no diagnostic', () => {
      const { debug, diagnostics } = run({ ws, extraNodes: 4096 - 3 });
      assert.equal(debug?.linkMap.length, 4096);
      assert.deepEqual(diagnostics, []);
    });

    test('an unreadable link_map node cuts the list after the nodes before it', () => {
      const { debug, diagnostics } = run({ ws, unmapped: 2 });
      assert.equal(debug?.linkMap.length, 2);
      assert.match(diagnostics.join('\n'), /link_map entry at 0x1000 unreadable .* cut after 2 entries/);
    });

    test('static executable (no PT_DYNAMIC), no DT_DEBUG, DT_DEBUG 0, no PT_PHDR: no stream, a diagnostic why', () => {
      const cases: [Options, RegExp][] = [
        [{ ws, withoutDynamic: true }, /no PT_DYNAMIC/],
        [{ ws, debugValue: 'absent' }, /no DT_DEBUG/],
        [{ ws, debugValue: 0n }, /DT_DEBUG is 0/],
        [{ ws, withoutPhdr: true }, /no PT_PHDR/],
        [{ ws, debugValue: 0xdead0000n }, /r_debug at 0xdead0000/],
      ];
      for (const [o, why] of cases) {
        const { debug, diagnostics } = run(o);
        assert.equal(debug, undefined);
        assert.equal(diagnostics.length, 1);
        assert.match(diagnostics[0]!, /^LinuxDsoDebug not written: /);
        assert.match(diagnostics[0]!, why);
      }
    });

    test('auxv without AT_PHDR: no stream', () => {
      const p = buildProcess({ ws });
      const diagnostics = new Diagnostics();
      assert.equal(readDsoDebug(p.memory.read, p.auxv.subarray(4 * 2 * ws), ws, diagnostics), undefined, 'only AT_NULL left');
      assert.match(diagnostics.list()[0]!, /no AT_PHDR/);
    });
  });
}
