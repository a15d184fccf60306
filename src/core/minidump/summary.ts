import type { ByteSource } from '../bytes/byte-source.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { StreamType, minidumpTypeNames, type CpuArch, type OsName } from './constants.js';
import { exceptionAddress, exceptionName, exceptionReason, targetAddress } from './exception-name.js';
import { Minidump } from './minidump.js';
import { moduleCodeId, moduleDebugFile, moduleDebugId, moduleVersion } from './reader/module-list.js';
import { cpuInfoOf, osVersionOf } from './reader/system-info.js';

/** What `dumpkit info --json` prints for a minidump. Addresses are bigint (rendered "0x…" by toJson). */
export type MinidumpSummary = {
  format: 'minidump';
  flags: string;
  flagNames: string[];
  timestamp: number;
  streams: { type: number; name: string; size: number }[];
  system: { arch: CpuArch; os: OsName; osVersion: string; cpuCount: number; cpuInfo?: string; csd?: string } | undefined;
  process?: { pid?: number; createTime?: number };
  /** CommentStreamW, else CommentStreamA: free text from the dump's writer (dumpkit monitor: the trigger). */
  comment?: string;
  threads: { id: number; pc?: bigint; sp?: bigint; stack: { base: bigint; size: number }; name?: string }[];
  modules: { base: bigint; size: number; path: string; codeId?: string; debugId?: string; debugFile?: string; version?: string }[];
  /** pc/sp: from the exception's own context (where the fault happened), when it has one. */
  exception?: { threadId: number; code: string; name: string; reason: string; address: bigint; pc?: bigint; sp?: bigint };
  memory: { ranges: number; bytes: number };
  diagnostics: string[];
};

/** Runs `f`; a DumpError becomes a diagnostic and `fallback` (optional streams must not sink `info`). */
async function soft<T>(md: Minidump, what: string, f: () => Promise<T>, fallback: T): Promise<T> {
  try {
    return await f();
  } catch (e) {
    if (!(e instanceof DumpError)) throw e;
    md.diagnostics.add(`${what}: ${e.message}`);
    return fallback;
  }
}

/**
 * Reads the header, directory and the small streams of a minidump and summarizes them. Never reads
 * memory contents. Structural damage to ThreadList/ModuleList/SystemInfo/Exception is an error.
 */
export async function summarizeMinidump(source: ByteSource): Promise<MinidumpSummary> {
  const md = await Minidump.open(source);
  const si = await md.systemInfo();
  const os = si?.os ?? 'unknown';
  const arch = si?.arch;
  const threads = await md.threads();
  const modules = await md.modules();
  const ex = await md.exception();
  const memoryTotals = await md.memoryTotals();
  const misc = await soft(md, 'MiscInfo', () => md.miscInfo(), undefined);
  const comment = (await soft(md, 'CommentStreamW', () => md.commentW(), undefined)) ?? (await soft(md, 'CommentStreamA', () => md.commentA(), undefined));
  const names = new Map<number, string>();
  for (const n of (await soft(md, 'ThreadNames', () => md.threadNames(), undefined)) ?? []) {
    if (n.name !== undefined && !names.has(n.threadId)) names.set(n.threadId, n.name);
  }

  const outThreads: MinidumpSummary['threads'] = [];
  for (const t of threads) {
    const ctx = await soft(md, `thread ${t.threadId} context`, () => md.context(t.threadContext, `thread ${t.threadId} context`), undefined);
    const name = names.get(t.threadId);
    outThreads.push({
      id: t.threadId,
      ...(ctx ? { pc: targetAddress(ctx.pc, arch ?? ctx.arch), sp: targetAddress(ctx.sp, arch ?? ctx.arch) } : {}),
      stack: { base: t.stack.startOfMemoryRange, size: t.stack.memory.dataSize },
      ...(name !== undefined ? { name } : {}),
    });
  }

  const summary: MinidumpSummary = {
    format: 'minidump',
    flags: hex(md.header.flags),
    flagNames: minidumpTypeNames(md.header.flags),
    timestamp: md.header.timeDateStamp,
    streams: md.streams.map((e) => ({ type: e.streamType, name: e.name, size: e.location.dataSize })),
    system: si && {
      arch: si.arch,
      os: si.os,
      osVersion: osVersionOf(si),
      cpuCount: si.numberOfProcessors,
      ...(cpuInfoOf(si) !== undefined ? { cpuInfo: cpuInfoOf(si) } : {}),
      ...(si.csdVersion !== undefined ? { csd: si.csdVersion } : {}),
    },
    threads: outThreads,
    modules: modules.map((m) => {
      const row: MinidumpSummary['modules'][number] = { base: m.baseOfImage, size: m.sizeOfImage, path: m.name };
      const codeId = moduleCodeId(m, os);
      const debugId = moduleDebugId(m);
      const debugFile = moduleDebugFile(m);
      const version = moduleVersion(m);
      if (codeId !== undefined) row.codeId = codeId;
      if (debugId !== undefined) row.debugId = debugId;
      if (debugFile !== undefined) row.debugFile = debugFile;
      if (version !== undefined) row.version = version;
      return row;
    }),
    memory: memoryTotals,
    diagnostics: [],
  };
  // The pid comes from MiscInfo; Breakpad Linux writes none, so (like LLDB and rust-minidump) fall back
  // to the "Pid:" line of the LinuxProcStatus copy of /proc/<pid>/status.
  let pid = misc?.processId;
  if (pid === undefined && md.stream(StreamType.LinuxProcStatus)) {
    const status = await soft(md, 'LinuxProcStatus', () => md.linuxText(StreamType.LinuxProcStatus), undefined);
    const m = /^Pid:\s*(\d+)\s*$/m.exec(status ?? '');
    if (m) pid = Number(m[1]);
  }
  if (pid !== undefined || misc?.processCreateTime !== undefined) {
    summary.process = {};
    if (pid !== undefined) summary.process.pid = pid;
    if (misc?.processCreateTime !== undefined) summary.process.createTime = misc.processCreateTime;
  }
  if (comment !== undefined) summary.comment = comment;
  if (ex) {
    summary.exception = {
      threadId: ex.threadId,
      code: hex(ex.exceptionCode),
      name: exceptionName(ex, os),
      reason: exceptionReason(ex, os),
      address: exceptionAddress(ex, os, arch),
    };
    const ctx = await soft(md, 'exception context', () => md.context(ex.threadContext, 'exception context'), undefined);
    if (ctx) {
      summary.exception.pc = targetAddress(ctx.pc, arch ?? ctx.arch);
      summary.exception.sp = targetAddress(ctx.sp, arch ?? ctx.arch);
    }
  }
  // Key order of the JSON: what a reader looks for first, diagnostics last.
  const { format, flags, flagNames, timestamp, system, process, exception, threads: th, modules: mods, memory, streams } = summary;
  const commentField = summary.comment !== undefined ? { comment: summary.comment } : {};
  return {
    format,
    flags,
    flagNames,
    timestamp,
    system,
    ...(process ? { process } : {}),
    ...commentField,
    ...(exception ? { exception } : {}),
    threads: th,
    modules: mods,
    memory,
    streams,
    diagnostics: md.diagnostics.list(),
  };
}

function utc(seconds: number): string {
  return seconds === 0 ? '0' : new Date(seconds * 1000).toISOString().replace('.000Z', 'Z');
}

/** Human-readable `dumpkit info` text for a minidump summary. */
export function formatMinidumpSummary(summary: Record<string, unknown>): string {
  const s = summary as unknown as MinidumpSummary;
  const lines: string[] = [];
  lines.push(`Minidump (MDMP), written ${utc(s.timestamp)}, flags ${s.flags}${s.flagNames.length ? ` (${s.flagNames.join('|')})` : ''}`);
  if (s.system) {
    const sy = s.system;
    lines.push(`System: ${sy.os} ${sy.osVersion}${sy.csd ? ` (${sy.csd})` : ''}, ${sy.arch}, ${sy.cpuCount} CPU(s)${sy.cpuInfo ? `, ${sy.cpuInfo}` : ''}`);
  } else lines.push('System: unknown (no SystemInfo stream)');
  if (s.process) lines.push(`Process: pid ${s.process.pid ?? '?'}${s.process.createTime ? `, started ${utc(s.process.createTime)}` : ''}`);
  if (s.comment !== undefined) lines.push(`Comment: ${s.comment}`);
  if (s.exception) {
    const e = s.exception;
    lines.push(`Exception: ${e.reason} (code ${e.code}) at ${hex(e.address)} in thread ${e.threadId}${e.pc !== undefined ? `, pc ${hex(e.pc)}` : ''}`);
  } else lines.push('Exception: none');
  lines.push(`Memory: ${s.memory.ranges} range(s), ${s.memory.bytes} bytes`);
  lines.push(`Threads (${s.threads.length}):`);
  for (const t of s.threads) {
    const regs = t.pc !== undefined ? `pc ${hex(t.pc)} sp ${hex(t.sp ?? 0n)}` : 'no context';
    lines.push(`  ${t.id}${t.name ? ` "${t.name}"` : ''}: ${regs}, stack ${hex(t.stack.base)} +${hex(t.stack.size)}`);
  }
  lines.push(`Modules (${s.modules.length}):`);
  for (const m of s.modules) {
    const ids = [m.codeId && `code ${m.codeId}`, m.debugId && `debug ${m.debugId}`, m.version && `v${m.version}`].filter(Boolean).join(', ');
    lines.push(`  ${hex(m.base)} +${hex(m.size)} ${m.path}${ids ? `  (${ids})` : ''}`);
  }
  lines.push(`Streams (${s.streams.length}): ${s.streams.map((x) => `${x.name}[${x.size}]`).join(', ')}`);
  if (s.diagnostics.length) {
    lines.push(`Diagnostics (${s.diagnostics.length}):`);
    for (const d of s.diagnostics) lines.push(`  ${d}`);
  }
  return lines.join('\n');
}
