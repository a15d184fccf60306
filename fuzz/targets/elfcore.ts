/**
 * ELF core files as `info` and `convert` read them (src/core/elfcore through parseElfCoreForFuzz):
 * header, program headers (PN_XNUM), every note kind, PT_LOAD memory, the summary and a minidump
 * of each variety. Seeds: cores of the three architectures built by test/fixtures/elf-core-builder.ts
 * (threads with FP state, psinfo, auxv, NT_FILE, siginfo, a module image with a build id, dumped
 * and undumped segments), one with extended numbering.
 */
import { parseElfCoreForFuzz } from '../../src/core/elfcore/fuzz.js';
import { buildElfCore, patternBytes, type FixtureArch, type FixtureCore } from '../../test/fixtures/elf-core-builder.js';
import { layout, Peek } from '../drive.js';
import type { Field, FuzzTarget, Seed, SeedSet } from '../types.js';

// ---- layouts (literal offsets: gABI Elf64/Elf32 headers and program headers, Elf_Nhdr) ----
const EHDR64 = { e_type: [16, 2], e_machine: [18, 2], e_phoff: [32, 8], e_shoff: [40, 8], e_phentsize: [54, 2], e_phnum: [56, 2] } as const;
const EHDR32 = { e_type: [16, 2], e_machine: [18, 2], e_phoff: [28, 4], e_shoff: [32, 4], e_phentsize: [42, 2], e_phnum: [44, 2] } as const;
const PHDR64 = { p_type: [0, 4], p_flags: [4, 4], p_offset: [8, 8], p_vaddr: [16, 8], p_filesz: [32, 8], p_memsz: [40, 8], p_align: [48, 8] } as const;
const PHDR32 = { p_type: [0, 4], p_offset: [4, 4], p_vaddr: [8, 4], p_filesz: [16, 4], p_memsz: [20, 4], p_flags: [24, 4] } as const;
const NHDR = { n_namesz: [0, 4], n_descsz: [4, 4], n_type: [8, 4] } as const;

/** Header fields, the first 64 program headers, and the headers of the first 64 notes. */
export function coreFields(b: Uint8Array): Field[] {
  const p = new Peek(b);
  const is64 = b[4] === 2;
  const f = layout(is64 ? 'Elf64_Ehdr' : 'Elf32_Ehdr', 0, is64 ? EHDR64 : EHDR32);
  const phoff = is64 ? Number(p.u64(32)) : p.u32(28);
  const phnum = Math.min((is64 ? p.u32(56) : p.u32(44)) & 0xffff, 64);
  const size = is64 ? 56 : 32;
  for (let i = 0; i < phnum; i++) {
    const at = phoff + i * size;
    if (at + size > b.length) break;
    f.push(...layout(`Phdr[${i}]`, at, is64 ? PHDR64 : PHDR32));
    if (p.u32(at) !== 4) continue; // PT_NOTE: its notes' headers
    let o = is64 ? Number(p.u64(at + 8)) : p.u32(at + 4);
    const end = o + (is64 ? Number(p.u64(at + 32)) : p.u32(at + 16));
    for (let n = 0; n < 64 && o + 12 <= Math.min(end, b.length); n++) {
      f.push(...layout(`Nhdr@${o}`, o, NHDR));
      o += 12 + ((p.u32(o) + 3) & ~3) + ((p.u32(o + 4) + 3) & ~3);
    }
  }
  return f.filter((x) => x.offset + x.size <= b.length);
}

function fixture(arch: FixtureArch, extended: boolean): FixtureCore {
  const is64 = arch !== 'i386';
  const base = is64 ? 0x555555554000n : 0x56555000n;
  const stack = is64 ? 0x7ffd00000000n : 0xff800000n;
  const image = new Uint8Array(4096);
  image.set([0x7f, 0x45, 0x4c, 0x46, is64 ? 2 : 1, 1, 1]);
  const pc = arch === 'x86_64' ? 'rip' : arch === 'i386' ? 'eip' : 'pc';
  const sp = arch === 'x86_64' ? 'rsp' : arch === 'i386' ? 'esp' : 'sp';
  return {
    arch,
    extendedNumbering: extended,
    threads: [
      { tid: 10, regs: { [pc]: base + 0x1100n, [sp]: stack + 0x1f00n }, cursig: 11, siginfo: { signo: 11, code: 1, addr: 0x10n }, fxsave: new Uint8Array(512), fsave: new Uint8Array(108), vregs: new Uint8Array(512), tls: 0x1000n },
      { tid: 11, regs: { [pc]: base + 0x1200n, [sp]: stack + 0x800n }, xstate: new Uint8Array(832) },
    ],
    psinfo: { pid: 10, ppid: 1, uid: 0, gid: 0, name: 'seed', args: 'seed --fuzz' },
    auxv: [[3n, base + 64n], [5n, 1n], [33n, 0n]],
    files: [{ start: base, end: base + 0x2000n, pageOffset: 0n, path: '/bin/seed' }],
    segments: [
      { vaddr: base, flags: 4, memsz: 0x1000n, data: image },
      { vaddr: base + 0x1000n, flags: 5, memsz: 0x1000n },
      { vaddr: stack, flags: 6, memsz: 0x2000n, data: patternBytes(stack, 0x2000) },
    ],
  };
}

async function seeds(): Promise<SeedSet> {
  const out: Seed[] = [];
  for (const arch of ['x86_64', 'i386', 'aarch64'] as const) {
    for (const extended of [false, true]) {
      if (extended && arch === 'aarch64') continue;
      const bytes = buildElfCore(fixture(arch, extended));
      out.push({ name: `generated:${arch} core${extended ? ' (PN_XNUM)' : ''}`, bytes, fields: coreFields(bytes) });
    }
  }
  return { seeds: out, notes: [] };
}

export const target: FuzzTarget = {
  name: 'elfcore',
  description: 'ELF cores: header, program headers, notes (prstatus, prpsinfo, auxv, NT_FILE, siginfo, FP/XSTATE/TLS), PT_LOAD memory, summary, a minidump of each variety',
  seeds,
  run: async (input) => ({ accessorErrors: (await parseElfCoreForFuzz(input)).errors }),
};
