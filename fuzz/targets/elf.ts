/**
 * ELF files as the stack walker reads them (src/core/elf through parseElfForFuzz): headers, build
 * id, .symtab/.dynsym, .eh_frame (+ .eh_frame_hdr) and .debug_frame with CFA rows and Breakpad
 * rules at the start and middle of every FDE, .debug_line. Seeds: small C programs compiled with gcc
 * at start (64- and 32-bit, DWARF 4 and 5, compressed debug sections, .debug_frame), and
 * /usr/bin/true; without gcc, /usr/bin/true only (said in the notes).
 */
import { existsSync, readFileSync } from 'node:fs';
import { parseElfForFuzz } from '../../src/core/elf/fuzz.js';
import { compileC, SAMPLE_C } from '../../test/helpers/c-program.js';
import { gccPath } from '../../test/helpers/target.js';
import { layout, Peek } from '../drive.js';
import type { Field, FuzzTarget, Seed, SeedSet } from '../types.js';

// ---- layouts (literal offsets: System V gABI Elf64_Ehdr/Elf32_Ehdr and Elf64_Shdr/Elf32_Shdr) ----

const EHDR64 = { e_type: [16, 2], e_machine: [18, 2], e_phoff: [32, 8], e_shoff: [40, 8], e_phentsize: [54, 2], e_phnum: [56, 2], e_shentsize: [58, 2], e_shnum: [60, 2], e_shstrndx: [62, 2] } as const;
const EHDR32 = { e_type: [16, 2], e_machine: [18, 2], e_phoff: [28, 4], e_shoff: [32, 4], e_phentsize: [42, 2], e_phnum: [44, 2], e_shentsize: [46, 2], e_shnum: [48, 2], e_shstrndx: [50, 2] } as const;
const SHDR64 = { sh_type: [4, 4], sh_flags: [8, 8], sh_addr: [16, 8], sh_offset: [24, 8], sh_size: [32, 8], sh_link: [40, 4], sh_entsize: [56, 8] } as const;
const SHDR32 = { sh_type: [4, 4], sh_flags: [8, 4], sh_addr: [12, 4], sh_offset: [16, 4], sh_size: [20, 4], sh_link: [24, 4], sh_entsize: [36, 4] } as const;

/** Header fields, and the section header fields of every section (at most 64). */
export function elfFields(b: Uint8Array): Field[] {
  const p = new Peek(b);
  const is64 = b[4] === 2;
  const f = layout(is64 ? 'Elf64_Ehdr' : 'Elf32_Ehdr', 0, is64 ? EHDR64 : EHDR32);
  const shoff = is64 ? Number(p.u64(40)) : p.u32(32);
  const shnum = Math.min((is64 ? p.u32(60) : p.u32(48)) & 0xffff, 64);
  const size = is64 ? 64 : 40;
  for (let i = 0; i < shnum; i++) {
    const at = shoff + i * size;
    if (at + size > b.length) break;
    f.push(...layout(`Shdr[${i}]`, at, is64 ? SHDR64 : SHDR32));
  }
  return f.filter((x) => x.offset + x.size <= b.length);
}

async function seeds(): Promise<SeedSet> {
  const notes: string[] = [];
  const out: Seed[] = [];
  const add = (name: string, path: string | undefined) => {
    if (!path || !existsSync(path)) return;
    const bytes = new Uint8Array(readFileSync(path));
    out.push({ name, bytes, fields: elfFields(bytes) });
  };
  if (gccPath) {
    for (const flags of [['-O2', '-g'], ['-m32', '-O2', '-g'], ['-O2', '-gdwarf-4'], ['-O2', '-g', '-gz=zlib'], ['-O2', '-g', '-fno-asynchronous-unwind-tables'], ['-m32', '-O2', '-g', '-no-pie']]) {
      try {
        add(`generated:gcc ${flags.join(' ')}`, compileC('sample', SAMPLE_C, flags));
      } catch (e) {
        notes.push(`gcc ${flags.join(' ')} failed: ${(e as Error).message.split('\n')[0]}`);
      }
    }
  } else notes.push('gcc not found: /usr/bin/true is the only seed');
  add('/usr/bin/true', '/usr/bin/true');
  return { seeds: out, notes };
}

export const target: FuzzTarget = {
  name: 'elf',
  description: 'ELF files: headers, build id, symbols, .eh_frame/.eh_frame_hdr/.debug_frame CFI rows and Breakpad rules, .debug_line',
  seeds,
  run: async (input) => ({ accessorErrors: (await parseElfForFuzz(input, { throwOnOpen: true })).errors }),
};
