import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { breakpadRules, CFA_MAX_STEPS, cfaRowAt, dwarfRegisterNames, type CfaRow, type RegisterRule } from '../../../src/core/elf/cfi-rules.js';
import { CfiSection, type CfiKind, type Fde } from '../../../src/core/elf/eh-frame.js';
import { ElfFile } from '../../../src/core/elf/elf-file.js';
import { DumpError } from '../../../src/core/errors.js';
import { compileC, libcPath, openElf, run, SAMPLE_C } from '../../helpers/c-program.js';
import { gccSkip, NO_32_BIT } from '../../helpers/target.js';

interface ObjdumpFde {
  pcBegin: bigint;
  pcEnd: bigint;
  columns: string[];
  rows: { loc: bigint; cells: string[] }[];
}

/** FDEs of one section from `objdump --dwarf=frames-interp`, with their printed rows. */
function objdumpFdes(path: string, kind: CfiKind): ObjdumpFde[] {
  const text = run('objdump', ['--dwarf=frames-interp', path]);
  const start = text.search(new RegExp(`Contents of the \\.${kind} section( \\(loaded from [^)]*\\))?:`));
  assert.ok(start >= 0, `objdump printed no .${kind} section`);
  const next = text.indexOf('Contents of the ', start + 10);
  const lines = text.slice(start, next < 0 ? undefined : next).split('\n');
  const out: ObjdumpFde[] = [];
  let cur: ObjdumpFde | undefined;
  for (const line of lines) {
    const fde = /FDE cie=[0-9a-f]+ pc=([0-9a-f]+)\.\.([0-9a-f]+)/.exec(line);
    if (fde) {
      cur = { pcBegin: BigInt('0x' + fde[1]), pcEnd: BigInt('0x' + fde[2]), columns: [], rows: [] };
      out.push(cur);
      continue;
    }
    if (/ CIE /.test(line)) cur = undefined;
    if (!cur) continue;
    // Cells are whitespace-separated, except a register rule, printed "r9 (r9)".
    const f = line.trim().split(/\s+/).reduce<string[]>((a, t) => (t.startsWith('(') && a.length ? (a[a.length - 1] += ' ' + t, a) : (a.push(t), a)), []);
    if (f[0] === 'LOC') cur.columns = f.slice(2);
    else if (cur.columns.length > 0 && f.length >= 2 && f[1] !== 'ZERO' && /^[0-9a-f]{8,}$/.test(f[0]!)) cur.rows.push({ loc: BigInt('0x' + f[0]), cells: f.slice(1) });
  }
  return out;
}

const signed = (n: bigint) => (n >= 0n ? `+${n}` : `${n}`);

/** A row in objdump's notation: the CFA cell and one cell per register column. */
function objdumpCells(row: CfaRow, raRegister: number, columns: string[], names: readonly string[]): string[] {
  const cfa = row.cfa.kind === 'register' ? `${names[row.cfa.register]}${signed(row.cfa.offset)}` : row.cfa.kind === 'expression' ? 'exp' : '?';
  const cell = (rule: RegisterRule | undefined): string => {
    switch (rule?.kind) {
      case undefined:
      case 'undefined':
        return 'u';
      case 'same':
        return 's';
      case 'offset':
        return `c${signed(rule.offset)}`;
      case 'val_offset':
        return `v${signed(rule.offset)}`;
      case 'register':
        return `r${rule.register} (${names[rule.register]})`;
      case 'expression':
        return 'exp';
      case 'val_expression':
        return 'vexp';
    }
  };
  return [cfa, ...columns.map((c) => cell(row.registers.get(c === 'ra' ? raRegister : names.indexOf(c))))];
}

async function compareWithObjdump(path: string, kind: CfiKind, limit = Infinity): Promise<number> {
  const elf = await openElf(path);
  const names = dwarfRegisterNames(elf.machine)!;
  const cfi = (await CfiSection.fromElf(elf, kind))!;
  const bases = { sectionAddr: cfi.sectionAddr, ...cfi.bases };
  let checked = 0;
  const expected = objdumpFdes(path, kind);
  assert.ok(expected.length > 0);
  for (const e of expected.slice(0, limit)) {
    // Every column must be one we can name, or the comparison would be partial.
    const columns = e.columns.filter((c) => c === 'ra' || names.includes(c));
    const fde = cfi.findFde(e.pcBegin);
    assert.ok(fde, `no FDE found for 0x${e.pcBegin.toString(16)}`);
    assert.equal(fde.pcEnd, e.pcEnd, `FDE at 0x${e.pcBegin.toString(16)} end`);
    for (const r of e.rows) {
      const mine = cfaRowAt(fde, r.loc, bases);
      const want = [r.cells[0]!, ...columns.map((c) => r.cells[1 + e.columns.indexOf(c)]!)];
      assert.deepEqual(objdumpCells(mine, fde.cie.raRegister, columns, names), want, `row at 0x${r.loc.toString(16)} (columns ${columns.join(' ')})`);
      // The last byte before the next row has the same rules.
      checked++;
    }
  }
  return checked;
}

describe('CFA rows against objdump --dwarf=frames-interp', { skip: gccSkip }, () => {
  it('.eh_frame of a 64-bit -O2 program (through .eh_frame_hdr)', async () => {
    const n = await compareWithObjdump(compileC('sample', SAMPLE_C, ['-O2', '-g'])!, 'eh_frame');
    assert.ok(n > 10, `${n} rows`);
  });
  it('.eh_frame of a 32-bit -O2 program (realigned main: expression rules)', async (t) => {
    const p = compileC('sample', SAMPLE_C, ['-m32', '-O2', '-g']);
    if (!p) return t.skip(NO_32_BIT);
    assert.ok((await compareWithObjdump(p, 'eh_frame')) > 10);
  });
  it('.debug_frame (-fno-asynchronous-unwind-tables), 64- and 32-bit', async (t) => {
    assert.ok((await compareWithObjdump(compileC('sample', SAMPLE_C, ['-O2', '-g', '-fno-asynchronous-unwind-tables'])!, 'debug_frame')) > 3);
    const p = compileC('sample', SAMPLE_C, ['-m32', '-O2', '-g', '-fno-asynchronous-unwind-tables']);
    if (!p) return t.skip(NO_32_BIT);
    assert.ok((await compareWithObjdump(p, 'debug_frame')) > 3);
  });
  it("libc's .eh_frame (every FDE objdump lists)", async (t) => {
    if (!libcPath) return t.skip('no libc.so.6 found');
    const n = await compareWithObjdump(libcPath, 'eh_frame');
    assert.ok(n > 5000, `${n} rows`);
    // The comparison went through CIEs with a personality (zPLR: indirect pcrel pointer) and a
    // signal frame (zRS: __restore_rt), as objdump --dwarf=frames lists them.
    const cfi = (await CfiSection.fromElf(await openElf(libcPath), 'eh_frame'))!;
    const augs = new Map<string, boolean>();
    for (const f of cfi.fdes()) augs.set(f.cie.augmentation, f.cie.signalFrame);
    const listed = [...run('objdump', ['--dwarf=frames', libcPath]).matchAll(/Augmentation:\s+"(\w*)"/g)].map((m) => m[1]!);
    assert.deepEqual([...augs.keys()].sort(), [...new Set(listed)].sort());
    assert.equal(augs.get('zRS'), true);
    assert.equal(augs.get('zPLR'), false);
  });
});

describe('Breakpad rules from CFA rows', { skip: gccSkip }, () => {
  it('x86_64 prologue: .cfa moves with pushes, .ra at .cfa-8, pushed registers saved', async () => {
    const p = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    const elf = await openElf(p);
    const cfi = (await CfiSection.fromElf(elf, 'eh_frame'))!;
    const rows = objdumpFdes(p, 'eh_frame').flatMap((f) => f.rows.map((r) => ({ f, r })));
    let sawSaved = false;
    for (const { r } of rows) {
      const fde = cfi.findFde(r.loc)!;
      const row = cfaRowAt(fde, r.loc);
      const rules = breakpadRules(row, fde.cie, elf.machine);
      const m = /^(r[a-z0-9]+)([+-]\d+)$/.exec(r.cells[0]!);
      if (!m) {
        // PLT: the binutils expression, translated exactly; else no rules at all.
        if (rules) assert.match(rules['.cfa']!, /^rsp 8 \+ rip 16 % \d+ \+ 16 \/ 8 \* \+$/);
        continue;
      }
      assert.ok(rules);
      assert.equal(rules['.cfa'], `${m[1]} ${BigInt(m[2]!)} +`);
      assert.equal(rules['.ra'], '.cfa -8 + ^');
      for (const [reg, rule] of row.registers) {
        if (rule.kind !== 'offset' || reg === fde.cie.raRegister) continue;
        assert.equal(rules[dwarfRegisterNames(elf.machine)![reg]!], `.cfa ${rule.offset} + ^`);
        sawSaved = true;
      }
    }
    assert.ok(sawSaved, 'some row saves a callee-saved register');
  });
  it('_start: the undefined return address becomes .ra 0 (outermost frame)', async () => {
    const p = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    const elf = await openElf(p);
    const cfi = (await CfiSection.fromElf(elf, 'eh_frame'))!;
    const fde = cfi.findFde(elf.entry)!;
    assert.deepEqual(breakpadRules(cfaRowAt(fde, elf.entry), fde.cie, elf.machine), { '.cfa': 'rsp 8 +', '.ra': '0' });
  });
  it('i386 realigned main: DW_OP_bregN K; DW_OP_deref becomes "reg K + ^", as objdump --dwarf=frames decodes it', async (t) => {
    const p = compileC('sample', SAMPLE_C, ['-m32', '-O2', '-g']);
    if (!p) return t.skip(NO_32_BIT);
    const elf = await openElf(p);
    const cfi = (await CfiSection.fromElf(elf, 'eh_frame'))!;
    // The raw program of the FDE whose CFA becomes an expression.
    const raw = run('objdump', ['--dwarf=frames', p]).split('\n\n').find((b) => /DW_CFA_def_cfa_expression \(DW_OP_breg\d+ \(\w+\): -?\d+; DW_OP_deref\)/.test(b));
    assert.ok(raw, 'objdump shows a DW_CFA_def_cfa_expression (realigned main)');
    const lines = raw.split('\n');
    const exprLine = lines.findIndex((l) => l.includes('DW_CFA_def_cfa_expression (DW_OP_breg'));
    const m = /DW_OP_breg\d+ \((\w+)\): (-?\d+); DW_OP_deref\)/.exec(lines[exprLine]!)!;
    const at = BigInt('0x' + /to ([0-9a-f]+)/.exec(lines.slice(0, exprLine).reverse().find((l) => l.includes('DW_CFA_advance_loc'))!)![1]);
    const fde = cfi.findFde(at)!;
    const rules = breakpadRules(cfaRowAt(fde, at), fde.cie, elf.machine)!;
    assert.equal(rules['.cfa'], `${m[1]} ${m[2]} + ^`);
    assert.equal(rules['.ra'], '.cfa -4 + ^');
    const ebp = /DW_CFA_expression: r5 \(ebp\) \(DW_OP_breg5 \(ebp\): (-?\d+)\)/.exec(raw);
    assert.ok(ebp);
    assert.equal(rules.ebp, `ebp ${ebp[1]} + ^`);
  });
});

describe('hostile CFI', { skip: gccSkip }, () => {
  /** The sample's .eh_frame bytes with `edit` applied, parsed from the section alone (no header table). */
  async function hostile(edit: (b: Uint8Array, fde: Fde) => void): Promise<{ cfi: CfiSection; pc: bigint; fde: Fde }> {
    const p = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    const elf = await ElfFile.open(new MemorySource(new Uint8Array(readFileSync(p)), p));
    const good = (await CfiSection.fromElf(elf, 'eh_frame'))!;
    const pc = elf.entry;
    const fde = good.findFde(pc)!;
    const data = good.data.slice();
    edit(data, fde);
    return { cfi: new CfiSection('eh_frame', data, good.sectionAddr, good.fileOffset, 8, good.bases), pc, fde };
  }

  it('an FDE length past the section end: DumpError TRUNCATED with its byte range (directly, and as a problem of the index)', async () => {
    const { cfi, pc, fde } = await hostile((b, f) => new DataView(b.buffer).setUint32(f.offset, 0x7ffffff0, true));
    assert.throws(() => cfi.parseEntry(fde.offset), (e: unknown) => e instanceof DumpError && e.code === 'TRUNCATED' && e.range?.offset === cfi.fileOffset + fde.offset);
    assert.equal(cfi.findFde(pc), undefined);
    assert.match(cfi.problems.join('\n'), /runs past the section's end/);
  });
  it('a CIE pointer outside the section: DumpError OUT_OF_BOUNDS', async () => {
    const { cfi, fde } = await hostile((b, f) => new DataView(b.buffer).setUint32(f.offset + 4, 0x7fffffff, true));
    assert.throws(() => cfi.parseEntry(fde.offset), (e: unknown) => e instanceof DumpError && e.code === 'OUT_OF_BOUNDS');
  });
  it('a huge CFA program (all DW_CFA_nop… then advance): bounded by CFA_MAX_STEPS', async () => {
    const { fde, pc } = await hostile(() => {});
    const program = new Uint8Array(CFA_MAX_STEPS + 10); // nops
    const big: Fde = { ...fde, instructions: program };
    assert.throws(() => cfaRowAt(big, pc + 1n), (e: unknown) => e instanceof DumpError && e.code === 'COUNT_TOO_LARGE');
  });
  it('remember_state nested without end, restore_state without remember: DumpErrors', async () => {
    const { fde, pc } = await hostile(() => {});
    assert.throws(() => cfaRowAt({ ...fde, instructions: new Uint8Array(100).fill(0x0a) }, pc), (e: unknown) => e instanceof DumpError && e.code === 'COUNT_TOO_LARGE');
    assert.throws(() => cfaRowAt({ ...fde, instructions: new Uint8Array([0x0b]) }, pc), (e: unknown) => e instanceof DumpError && e.code === 'BAD_SIZE');
  });
  it('an unknown opcode and a truncated operand: DumpErrors naming the offset', async () => {
    const { fde, pc } = await hostile(() => {});
    assert.throws(() => cfaRowAt({ ...fde, instructions: new Uint8Array([0x3f]) }, pc), (e: unknown) => e instanceof DumpError && e.code === 'UNSUPPORTED' && e.range?.offset === fde.instructionsOffset);
    assert.throws(() => cfaRowAt({ ...fde, instructions: new Uint8Array([0x0c, 0x87]) }, pc), (e: unknown) => e instanceof DumpError && e.code === 'TRUNCATED');
  });
  it('an unrecognised CFA expression gives no rules (never a guess)', async () => {
    const { fde, pc } = await hostile(() => {});
    // DW_CFA_def_cfa_expression { DW_OP_call_frame_cfa }
    const row = cfaRowAt({ ...fde, instructions: new Uint8Array([0x0f, 0x01, 0x9c]) }, pc);
    assert.equal(breakpadRules(row, fde.cie, 62), undefined);
  });
  it('random bytes in place of .eh_frame: only DumpErrors, bounded', async () => {
    let seed = 12345;
    const rnd = () => ((seed = (seed * 1103515245 + 12345) >>> 0) >>> 16) & 0xff;
    for (let round = 0; round < 200; round++) {
      const { cfi, pc } = await hostile((b) => {
        for (let i = 0; i < 8; i++) b[rnd() % b.length] = rnd();
      });
      try {
        const fde = cfi.findFde(pc);
        if (fde) breakpadRules(cfaRowAt(fde, pc), fde.cie, 62);
        for (const f of cfi.fdes()) cfaRowAt(f, f.pcBegin);
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
      }
    }
  });
});
