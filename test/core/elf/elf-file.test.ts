import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, it } from 'node:test';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { ElfFile, ELF_LIMITS, PT_LOAD } from '../../../src/core/elf/elf-file.js';
import { DumpError } from '../../../src/core/errors.js';
import { join } from 'node:path';
import { compileC, libcDebugFile, openElf, run, SAMPLE_C, tempDir } from '../../helpers/c-program.js';
import { gccSkip, NO_32_BIT } from '../../helpers/target.js';

/** Sections as `readelf -SW` lists them: name → [type, addr, offset, size]. */
function readelfSections(path: string): Map<string, { type: string; addr: bigint; offset: number; size: number }> {
  const out = new Map<string, { type: string; addr: bigint; offset: number; size: number }>();
  for (const line of run('readelf', ['-SW', path]).split('\n')) {
    const m = /^\s*\[\s*(\d+)\]\s+(\S*)\s+(\S+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s+([0-9a-f]+)\s/.exec(line);
    if (!m || m[1] === '0') continue;
    out.set(m[2]!, { type: m[3]!, addr: BigInt('0x' + m[4]), offset: parseInt(m[5]!, 16), size: parseInt(m[6]!, 16) });
  }
  return out;
}

async function compareWithReadelf(path: string): Promise<void> {
  const elf = await openElf(path);
  const expected = readelfSections(path);
  assert.ok(expected.size > 10, `readelf listed ${expected.size} sections`);
  for (const [name, s] of expected) {
    // readelf truncates long names in -W? It does not; but it may print names it shortened with [...].
    if (name.endsWith('[...]')) continue;
    const mine = elf.section(name);
    assert.ok(mine, `section ${name} missing`);
    assert.equal(mine.addr, s.addr, `${name} sh_addr`);
    assert.equal(mine.offset, s.offset, `${name} sh_offset`);
    assert.equal(mine.size, s.size, `${name} sh_size`);
  }
  const id = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', path]))?.[1];
  const mine = await elf.buildId();
  assert.equal(mine ? Buffer.from(mine).toString('hex') : undefined, id);
  const loads = run('readelf', ['-lW', path])
    .split('\n')
    .filter((l) => /^\s*LOAD\s/.test(l))
    .map((l) => l.trim().split(/\s+/));
  assert.deepEqual(
    elf.segments.filter((p) => p.type === PT_LOAD).map((p) => [p.offset, p.vaddr, p.fileSize]),
    loads.map((f) => [parseInt(f[1]!, 16), BigInt(f[2]!), parseInt(f[4]!, 16)]),
  );
}

describe('ElfFile against readelf', { skip: gccSkip }, () => {
  it('64-bit PIE: sections, PT_LOADs, build id; first PT_LOAD at 0', async () => {
    const p = compileC('sample', SAMPLE_C, ['-O2', '-g'])!;
    await compareWithReadelf(p);
    const elf = await openElf(p);
    assert.equal(elf.is64, true);
    assert.equal(elf.machine, 62);
    assert.equal(elf.firstLoadVaddr(), 0n);
  });
  it('32-bit non-PIE: first PT_LOAD at 0x8048000', async (t) => {
    const p = compileC('sample', SAMPLE_C, ['-m32', '-O2', '-g', '-no-pie']);
    if (!p) return t.skip(NO_32_BIT);
    await compareWithReadelf(p);
    const elf = await openElf(p);
    assert.equal(elf.is64, false);
    assert.equal(elf.machine, 3);
    assert.equal(elf.firstLoadVaddr(), 0x8048000n);
  });
  it('compressed debug sections (SHF_COMPRESSED) decompress to the bytes objcopy --decompress-debug-sections writes', async () => {
    const p = compileC('sample', SAMPLE_C, ['-O2', '-g', '-gz=zlib'])!;
    const elf = await openElf(p);
    const info = elf.section('.debug_info')!;
    assert.ok(info.flags & 0x800n, '.debug_info is compressed');
    const plainPath = join(tempDir(), 'sample-decompressed');
    run('objcopy', ['--decompress-debug-sections', p, plainPath]);
    const plain = await openElf(plainPath);
    assert.deepEqual(await elf.sectionData(info), await plain.sectionData(plain.section('.debug_info')!));
  });
  it("libc's separate debug file (libc6-dbg), when installed", async (t) => {
    const p = libcDebugFile();
    if (!p) return t.skip('libc6-dbg not installed');
    await compareWithReadelf(p);
  });
});

describe('ElfFile on hostile input', { skip: gccSkip }, () => {
  const good = () => new Uint8Array(readFileSync(compileC('sample', SAMPLE_C, ['-O2', '-g'])!));
  const open = (b: Uint8Array) => ElfFile.open(new MemorySource(b, 'hostile'));
  const rejects = (b: Uint8Array, code: string) => assert.rejects(open(b), (e: unknown) => e instanceof DumpError && e.code === code);

  it('not ELF, truncated header, big-endian', async () => {
    await rejects(new Uint8Array(64), 'BAD_SIGNATURE');
    await rejects(good().subarray(0, 40), 'TRUNCATED');
    const b = good();
    b[5] = 2;
    await rejects(b, 'UNSUPPORTED');
  });
  it('section header table past the end of the file', async () => {
    const b = good();
    new DataView(b.buffer).setBigUint64(40, BigInt(b.length - 10), true);
    await rejects(b, 'TRUNCATED');
  });
  it('absurd section count through extended numbering (section 0 sh_size)', async () => {
    const b = good();
    const dv = new DataView(b.buffer);
    const shoff = Number(dv.getBigUint64(40, true));
    dv.setUint16(60, 0, true); // e_shnum = 0 → real count in section 0
    dv.setBigUint64(shoff + 32, 0xffffffn, true);
    await assert.rejects(open(b), (e: unknown) => e instanceof DumpError && e.code === 'COUNT_TOO_LARGE' && e.message.includes(String(ELF_LIMITS.maxSections)));
  });
  it('a section whose bytes run past the end: sectionData fails with the range, headers still open', async () => {
    const b = good();
    const elf0 = await open(b);
    const text = elf0.section('.text')!;
    const dv = new DataView(b.buffer);
    const shoff = Number(dv.getBigUint64(40, true));
    dv.setBigUint64(shoff + text.index * 64 + 32, BigInt(b.length), true);
    const elf = await open(b);
    await assert.rejects(elf.sectionData(elf.section('.text')!), (e: unknown) => e instanceof DumpError && e.code === 'TRUNCATED' && e.range?.offset === text.offset);
  });
  it('corrupt zlib data in a compressed section is a DumpError', async () => {
    const b = new Uint8Array(readFileSync(compileC('sample', SAMPLE_C, ['-O2', '-g', '-gz=zlib'])!));
    const elf0 = await open(b);
    const info = elf0.section('.debug_info')!;
    b.fill(0x55, info.offset + 24 + 2, info.offset + info.size);
    const elf = await open(b);
    await assert.rejects(elf.sectionData(elf.section('.debug_info')!), (e: unknown) => e instanceof DumpError && e.code === 'BAD_SIZE');
  });
});
