import assert from 'node:assert/strict';
import { before, test } from 'node:test';
import { readCodeView, peCodeId } from '../../../src/core/pe/debug-directory.js';
import { readExports } from '../../../src/core/pe/exports.js';
import { PeImage } from '../../../src/core/pe/image.js';
import { readRuntimeFunctions } from '../../../src/core/pe/pdata.js';
import { readUnwindChain, x64UnwindRulesAt } from '../../../src/core/pe/unwind-x64.js';
import { PeImageProvider } from '../../../src/core/symbols/pe/pe-provider.js';
import { bytesReader, mapPeFile } from '../../fixtures/pe/map-image.js';
import { buildTestDll, mingwSkip } from '../../helpers/mingw.js';

// A real DLL from the MinGW-w64 toolchain, mapped as the loader would, read through a MemoryReader,
// and compared with what binutils' objdump -x says about the same file.
let image: PeImage;
let dump: string;
let base: bigint;

before(async () => {
  if (mingwSkip) return;
  const built = buildTestDll();
  dump = built.objdump;
  const mapped = mapPeFile(built.bytes);
  base = BigInt('0x' + /ImageBase\s+([0-9a-f]+)/.exec(dump)![1]!);
  image = (await PeImage.open(bytesReader(base, mapped), base))!;
});

test('headers: machine, ImageBase, SizeOfImage, sections as objdump lists them', { skip: mingwSkip }, () => {
  assert.equal(image.headers.machine, 0x8664);
  assert.equal(image.headers.imageBase, base);
  assert.equal(image.headers.sizeOfImage, parseInt(/SizeOfImage\s+([0-9a-f]+)/.exec(dump)![1]!, 16));
  const sections = [...dump.matchAll(/^\s*\d+ (\.\w+)\s+([0-9a-f]{8})\s+([0-9a-f]{16})/gm)].map((m) => ({ name: m[1], size: parseInt(m[2]!, 16), vma: BigInt('0x' + m[3]) }));
  assert.ok(sections.length >= 5);
  for (const s of sections) {
    if (s.name!.length > 8) continue; // long names live in the COFF string table ("/4"), which images do not map
    const mine = image.headers.sections.find((x) => x.name === s.name);
    assert.ok(mine, s.name);
    assert.equal(base + BigInt(mine.virtualAddress), s.vma, s.name);
    assert.equal(mine.virtualSize, s.size, s.name);
  }
});

test('exports: ordinals, RVAs, names and the forwarder equal objdump\'s export table', { skip: mingwSkip }, async () => {
  const table = (await readExports(image))!;
  const ordinalBase = Number(/Ordinal Base (\d+)/.exec(dump)![1]);
  assert.equal(table.ordinalBase, ordinalBase);
  assert.equal(table.dllName, 't.dll');
  const rows = [...dump.matchAll(/\[\s*(\d+)\] \+base\[\s*(\d+)\] ([0-9a-f]+) (Export|Forwarder) RVA(?: -- (\S+))?/g)];
  const names = new Map([...dump.slice(dump.indexOf('[Ordinal/Name Pointer] Table')).matchAll(/\[\s*(\d+)\] (\w+)/g)].map((m) => [Number(m[1]), m[2]!]));
  assert.equal(rows.length, 6);
  assert.equal(table.exports.length, rows.length);
  for (const r of rows) {
    const e = table.exports.find((x) => x.ordinal === Number(r[2]));
    assert.ok(e, `ordinal ${r[2]}`);
    assert.equal(e.name, names.get(Number(r[1])));
    if (r[4] === 'Forwarder') assert.equal(e.forwarder, r[5]);
    else assert.equal(e.rva, parseInt(r[3]!, 16));
  }
  assert.equal(table.exports.find((e) => e.ordinal === 42)?.name, undefined, 'NONAME export has no name');
});

test('debug directory: RSDS GUID, age and PDB name as objdump decodes them → Breakpad debug id', { skip: mingwSkip }, async () => {
  const m = /format RSDS signature ([0-9a-f]{32}) age (\d+) pdb (\S+)\)/.exec(dump)!;
  const cv = (await readCodeView(image))!;
  assert.equal(cv.pdbFileName, m[3]);
  // objdump prints the GUID with Data1..3 as numbers (as Breakpad does), then the age.
  assert.equal(cv.debugId, m[1]!.toUpperCase() + Number(m[2]).toString(16).toUpperCase());
  assert.match(peCodeId(image), /^[0-9A-F]{8}[0-9a-f]+$/);
});

interface ObjdumpUnwind {
  begin: bigint;
  prolog: number;
  frameReg?: string;
  frameOffset: number;
  codes: { at: number; text: string }[];
}

function objdumpUnwinds(): ObjdumpUnwind[] {
  const xdata = dump.slice(dump.indexOf('Dump of .xdata'));
  const blocks = xdata.split(/\n (?=[0-9a-f]{16} \(rva)/).slice(1);
  return blocks.map((blk) => {
    const begin = BigInt('0x' + /: ([0-9a-f]{16}) - /.exec(blk)![1]);
    const h = /Prologue size: 0x([0-9a-f]+), Frame offset: 0x([0-9a-f]+), Frame reg: (\w+)/.exec(blk)!;
    const codes = [...blk.matchAll(/pc\+0x([0-9a-f]+): (.*)/g)].map((c) => ({ at: parseInt(c[1]!, 16), text: c[2]! }));
    return { begin, prolog: parseInt(h[1]!, 16), frameOffset: parseInt(h[2]!, 16), frameReg: h[3] === 'none' ? undefined : h[3], codes };
  });
}

test('.pdata: every RUNTIME_FUNCTION equals objdump\'s function table', { skip: mingwSkip }, async () => {
  const table = await readRuntimeFunctions(image);
  const rows = [...dump.slice(dump.indexOf('The Function Table')).matchAll(/^ [0-9a-f]{16}:\s+([0-9a-f]{16}) ([0-9a-f]{16}) ([0-9a-f]{16})$/gm)];
  assert.ok(rows.length > 10);
  assert.equal(table.length, rows.length);
  rows.forEach((r, i) => {
    assert.equal(base + BigInt(table[i]!.beginAddress), BigInt('0x' + r[1]));
    assert.equal(base + BigInt(table[i]!.endAddress), BigInt('0x' + r[2]));
    assert.equal(base + BigInt(table[i]!.unwindData), BigInt('0x' + r[3]));
  });
});

test('UNWIND_INFO: codes decode as objdump decodes them, and CFI rules follow them at every prolog offset', { skip: mingwSkip }, async () => {
  const table = await readRuntimeFunctions(image);
  let checked = 0;
  for (const u of objdumpUnwinds()) {
    const fn = table.find((f) => base + BigInt(f.beginAddress) === u.begin)!;
    const [info] = (await readUnwindChain(image, table, fn))!;
    assert.equal(info!.sizeOfProlog, u.prolog);
    assert.equal(info!.codes.length, u.codes.length);
    info!.codes.forEach((c, i) => assert.equal(c.codeOffset, u.codes[i]!.at));
    // Expected rules from objdump's words, at the end of the prolog and at each code boundary.
    for (let offset = 0; offset <= u.prolog; offset++) {
      let depth = 0; // bytes below the return address
      const saved: Record<string, number> = {};
      let fp: { reg: string; at: number } | undefined;
      for (const c of [...u.codes].reverse()) {
        if (c.at > offset) break;
        let m;
        if ((m = /^push (\w+)/.exec(c.text))) {
          depth += 8;
          saved[m[1]!] = depth;
        } else if ((m = /alloc (?:small|large) area: rsp = rsp - 0x([0-9a-f]+)/.exec(c.text))) depth += parseInt(m[1]!, 16);
        else if ((m = /FPReg: (\w+) = rsp \+ 0x([0-9a-f]+)/.exec(c.text))) fp = { reg: m[1]!, at: depth - parseInt(m[2]!, 16) };
        else assert.fail(`unexpected objdump unwind text ${c.text}`);
      }
      const rules = (await x64UnwindRulesAt(image, table, u.begin + BigInt(offset)))!;
      // `below`: bytes under the CFA (the caller's RSP); the return address is 8 below it.
      const expr = (below: number) => (fp ? `${fp.reg} ${fp.at + 8 - below} +` : `rsp ${depth + 8 - below} +`).replace(/ 0 \+$/, '');
      assert.equal(rules['.cfa'], expr(0), `${u.begin.toString(16)}+${offset}`);
      assert.equal(rules['.ra'], '.cfa 8 - ^');
      for (const [reg, d] of Object.entries(saved)) assert.equal(rules[reg], `${expr(d + 8)} ^`, `${reg} at ${u.begin.toString(16)}+${offset}`);
      checked++;
    }
  }
  assert.ok(checked > 20);
});

test('epilog: after big_alloc\'s `add rsp` the rules are the leaf\'s; before it, the body\'s', { skip: mingwSkip }, async () => {
  const table = await readRuntimeFunctions(image);
  const exp = (await readExports(image))!.exports.find((e) => e.name === 'big_alloc')!;
  const fn = table.find((f) => f.beginAddress === exp.rva)!;
  // Find the `ret` (c3) at the end of the function and the `add rsp, imm32` before it.
  const code = (await image.readRva(fn.beginAddress, fn.endAddress - fn.beginAddress, 'code'))!;
  const ret = code.lastIndexOf(0xc3);
  assert.deepEqual([...code.subarray(ret - 7, ret - 4)], [0x48, 0x81, 0xc4]);
  const alloc = new DataView(code.buffer, code.byteOffset + ret - 4, 4).getUint32(0, true);
  const at = (off: number) => x64UnwindRulesAt(image, table, base + BigInt(fn.beginAddress + off));
  assert.equal((await at(ret))!['.cfa'], 'rsp 8 +');
  assert.equal((await at(ret - 7))!['.cfa'], `rsp ${alloc + 8} +`);
  assert.equal((await at(ret - 8))!['.cfa'], `rsp ${alloc + 8} +`);
});

test('PeImageProvider: exports as public symbols with .pdata extents; .pdata as CFI', { skip: mingwSkip }, async () => {
  const mapped = (await image.readRva(0, image.sizeOfImage, 'image'))!;
  const provider = new PeImageProvider({ memory: bytesReader(base, mapped) });
  const module = { base, size: BigInt(image.sizeOfImage), codeFile: 't.dll', format: 'pe' as const };
  const exp = (await readExports(image))!.exports.find((e) => e.name === 'big_alloc')!;
  const sym = (await provider.lookup(module, base + BigInt(exp.rva! + 0x20)))!;
  assert.equal(sym.function, 'big_alloc');
  assert.equal(sym.functionBase, base + BigInt(exp.rva!));
  assert.equal(sym.source, 'pe-export');
  assert.equal(sym.isPublic, true);
  assert.ok(sym.functionSize! > 0x20n);
  assert.equal(provider.status(module), 'loaded');
  const unwind = await provider.unwindInfo(module, base + BigInt(exp.rva! + 0x20));
  assert.equal(unwind?.kind, 'cfi');
  assert.equal(unwind?.kind === 'cfi' && unwind.source, 'pe-pdata');
  assert.equal(await provider.lookup(module, base - 1n), undefined);
  // An image whose header page is missing is 'missing', not an error.
  const gone = new PeImageProvider({ memory: bytesReader(base, mapped, (a) => a < base + 0x1000n) });
  assert.equal(await gone.lookup(module, base + 0x2000n), undefined);
  assert.equal(gone.status(module), 'missing');
});
