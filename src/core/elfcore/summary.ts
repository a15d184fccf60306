/**
 * What `dumpkit info` says about an ELF core: architecture, process, signal, threads (pc, sp),
 * mappings (named from NT_FILE, and how much of each the core holds), notes and diagnostics.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { Diagnostics } from '../diagnostics.js';
import { hex } from '../hex.js';
import { LinuxSignal } from '../minidump/constants.js';
import { pcSp } from '../minidump/writer/context.js';
import { readElfCore, type ElfCore } from './elf-core.js';
import { coreMappings } from './mappings.js';

export interface ElfCoreSummary {
  format: 'elf-core';
  arch: ElfCore['arch'];
  machine: number;
  process?: { pid: number; ppid: number; name: string; args: string; uid: number; gid: number; state: string };
  signal?: { number: number; name: string; code: number; address?: bigint; threadId: number; senderPid?: number };
  threads: { id: number; pc: bigint; sp: bigint; fpRegisters: boolean }[];
  mappings: { start: bigint; end: bigint; perms: string; offset: bigint; path: string; bytesInCore: bigint }[];
  memory: { segments: number; bytesInCore: bigint; bytesNotDumped: bigint };
  auxvEntries: number;
  otherNotes: Record<string, number>;
  diagnostics: string[];
}

export async function summarizeElfCore(source: ByteSource): Promise<ElfCoreSummary> {
  const diagnostics = new Diagnostics();
  const core = await readElfCore(source, diagnostics);
  return summarize(core, diagnostics);
}

export function summarize(core: ElfCore, diagnostics: Diagnostics): ElfCoreSummary {
  const p = core.process;
  const s = core.signal;
  const inCore = core.segments.reduce((a, x) => a + x.readable, 0n);
  const total = core.segments.reduce((a, x) => a + (x.end - x.start), 0n);
  const bySegment = new Map(core.segments.map((x) => [x.start, x.readable]));
  return {
    format: 'elf-core',
    arch: core.arch,
    machine: core.machine,
    ...(p ? { process: { pid: p.pid, ppid: p.ppid, name: p.name, args: p.args, uid: p.uid, gid: p.gid, state: p.state } } : {}),
    ...(s ? { signal: { number: s.signo, name: LinuxSignal[s.signo] ?? `signal ${s.signo}`, code: s.code, ...(s.address !== undefined ? { address: s.address } : {}), threadId: s.threadId, ...(s.senderPid !== undefined ? { senderPid: s.senderPid } : {}) } } : {}),
    threads: core.threads.map((t) => ({ id: t.id, ...pcSp(core.arch, t.registers), fpRegisters: !!(t.registers.fxsave || t.registers.fsave || t.registers.vregs) })),
    mappings: coreMappings(core).all.map((m) => ({ start: m.start, end: m.end, perms: m.perms, offset: m.offset, path: m.path, bytesInCore: bySegment.get(m.start) ?? 0n })),
    memory: { segments: core.segments.length, bytesInCore: inCore, bytesNotDumped: total - inCore },
    auxvEntries: core.auxvEntries.length,
    otherNotes: core.otherNotes,
    diagnostics: diagnostics.list(),
  };
}

const ARCH_NAME: Record<ElfCore['arch'], string> = { amd64: 'x86_64', x86: 'i386', arm64: 'aarch64' };

export function formatElfCoreSummary(s: ElfCoreSummary): string {
  const lines: string[] = [];
  lines.push(`ELF core (${ARCH_NAME[s.arch]}, e_machine ${s.machine})`);
  const p = s.process;
  lines.push(p ? `Process: pid ${p.pid} "${p.name}" (${p.args}), parent ${p.ppid}, uid ${p.uid} gid ${p.gid}, state ${p.state || '?'}` : 'Process: unknown (no NT_PRPSINFO)');
  const g = s.signal;
  if (g) lines.push(`Signal: ${g.name} (${g.number}), code ${g.code}${g.address !== undefined ? `, address ${hex(g.address)}` : ''}${g.senderPid !== undefined ? `, sent by pid ${g.senderPid}` : ''}, thread ${g.threadId}`);
  else lines.push('Signal: none');
  lines.push(`Memory: ${s.memory.segments} segment(s), ${s.memory.bytesInCore} bytes in the core, ${s.memory.bytesNotDumped} bytes mapped but not dumped`);
  lines.push(`Threads (${s.threads.length}):`);
  for (const t of s.threads) lines.push(`  ${t.id}: pc ${hex(t.pc)} sp ${hex(t.sp)}${t.fpRegisters ? '' : ', no FP registers'}`);
  lines.push(`Mappings (${s.mappings.length}):`);
  for (const m of s.mappings) {
    const held = m.bytesInCore === m.end - m.start ? 'in core' : m.bytesInCore === 0n ? 'not dumped' : `${m.bytesInCore} bytes in core`;
    lines.push(`  ${hex(m.start)}-${hex(m.end)} ${m.perms} ${hex(m.offset)} ${m.path || '(anonymous)'}  [${held}]`);
  }
  const other = Object.entries(s.otherNotes);
  if (other.length) lines.push(`Other notes: ${other.map(([k, n]) => `${k}×${n}`).join(', ')}`);
  if (s.diagnostics.length) {
    lines.push(`Diagnostics (${s.diagnostics.length}):`);
    for (const d of s.diagnostics) lines.push(`  ${d}`);
  }
  return lines.join('\n');
}
