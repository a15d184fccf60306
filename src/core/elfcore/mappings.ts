/**
 * The process's mappings as /proc/PID/maps would list them, rebuilt from a core: one per PT_LOAD
 * segment (the kernel and gdb write one per mapping), named from NT_FILE (path and file offset),
 * the vDSO from auxv's AT_SYSINFO_EHDR, the main thread's stack from its stack pointer. Cores
 * record neither device nor inode, nor whether a mapping was shared; permissions come from p_flags.
 */
import { AuxvType, findAuxv } from '../linux/auxv.js';
import { findMapping, type Mapping } from '../linux/maps.js';
import { pcSp } from '../minidump/writer/context.js';
import type { ElfCore } from './elf-core.js';
import { PF_R, PF_W, PF_X } from './header.js';

/** NT_FILE records no inode: mappings of a named file get this one, so isFileBacked() sees them as files. */
export const CORE_FILE_INODE = 1;
const VSYSCALL_AMD64 = 0xffffffffff600000n;

export interface CoreMappings {
  /** Every mapping (for the LinuxMaps and MemoryInfoList streams). */
  all: Mapping[];
  /** The same, split where the core stops holding bytes, with unreadable parts marked "-" for read (for planMemory). */
  readable: Mapping[];
}

export function coreMappings(core: ElfCore): CoreMappings {
  const files = [...core.files].sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  const vdso = findAuxv(core.auxvEntries, AuxvType.AT_SYSINFO_EHDR);
  const mainThread = core.threads.find((t) => t.id === core.process?.pid) ?? core.threads[0];
  const mainSp = mainThread ? pcSp(core.arch, mainThread.registers).sp : undefined;
  const all: Mapping[] = [];
  const readable: Mapping[] = [];
  for (const s of core.segments) {
    const perms = `${s.flags & PF_R ? 'r' : '-'}${s.flags & PF_W ? 'w' : '-'}${s.flags & PF_X ? 'x' : '-'}p`;
    const f = findMapping(files, s.start);
    let path = '';
    if (f) path = f.path;
    else if (vdso !== undefined && s.start === vdso) path = '[vdso]';
    else if (core.arch === 'amd64' && s.start === VSYSCALL_AMD64) path = '[vsyscall]';
    else if (mainSp !== undefined && mainSp >= s.start && mainSp < s.end) path = '[stack]';
    const m: Mapping = { start: s.start, end: s.end, perms, offset: f ? f.fileOffset + (s.start - f.start) : 0n, dev: '00:00', inode: f ? CORE_FILE_INODE : 0, path };
    all.push(m);
    const cut = s.start + s.readable;
    if (cut > s.start) readable.push({ ...m, end: cut });
    if (cut < s.end) readable.push({ ...m, start: cut, end: s.end, perms: '-' + perms.slice(1), offset: m.offset + (cut - s.start) });
  }
  return { all, readable };
}

/** /proc/PID/maps text for the mappings (inode 0: a core does not record it). */
export function mapsText(mappings: Mapping[]): string {
  const hex = (v: bigint, w: number): string => v.toString(16).padStart(w, '0');
  return mappings
    .map((m) => {
      const head = `${hex(m.start, 8)}-${hex(m.end, 8)} ${m.perms} ${hex(m.offset, 8)} ${m.dev} 0`;
      return m.path ? `${head.padEnd(72)} ${m.path}` : head;
    })
    .map((l) => l + '\n')
    .join('');
}
