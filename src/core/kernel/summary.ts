/** `dumpkit info` for kernel dumps: a JSON-ready summary and its text rendering. */
import type { ByteSource } from '../bytes/byte-source.js';
import { Diagnostics } from '../diagnostics.js';
import { onlyDumpError } from '../errors.js';
import { hex } from '../hex.js';
import { bugCheckName } from './bugcheck.js';
import { DUMP_FILE_ATTRIBUTE_NAMES, PAGE_SIZE } from './header.js';
import { KernelDump } from './kernel-dump.js';
import type { CrashingThread } from './triage.js';

export interface KernelSummary {
  format: 'kernel';
  dumpType: number;
  dumpTypeName: string;
  machine: string;
  processors: number | undefined;
  build: number | undefined;
  bugcheck: { code: number; name: string | undefined; parameters: bigint[] };
  directoryTableBase: bigint;
  kdDebuggerDataBlock: bigint | undefined;
  kernelBase: bigint | undefined;
  systemTime: string | undefined;
  systemUpTimeSeconds: number | undefined;
  attributes: string[];
  comment: string | undefined;
  context: { pc: bigint; sp: bigint } | undefined;
  physicalPages: number;
  physicalBytes: number;
  modules: { base: bigint; size: number; name: string }[];
  /** From PsActiveProcessHead: each process's table base is what `dumpkit read --dtb` takes. */
  processes: { pid: number; name: string; eprocess: bigint; directoryTableBase: bigint }[];
  /** Small dumps: the crashing thread, its stack, unloaded drivers. */
  triage?: {
    processName?: string;
    pid?: number;
    tid?: number;
    stack: { base: bigint; size: number };
    unloadedDrivers: { name: string; start: bigint; end: bigint }[];
    dataBlocks: number;
    /** The data blocks themselves: memory the small dump holds besides the stack, by VA. */
    dataBlockRanges: { va: bigint; size: number }[];
  };
  limits: string[];
  secondaryData: { guid: string; size: number }[];
  diagnostics: string[];
  [key: string]: unknown;
}

function filetimeToIso(ft: bigint): string | undefined {
  const ms = Number(ft / 10000n) - 11644473600000;
  const d = new Date(ms);
  return Number.isFinite(d.getTime()) && ms > 0 ? d.toISOString() : undefined;
}

export async function summarizeKernelDump(source: ByteSource): Promise<KernelSummary> {
  const diag = new Diagnostics();
  const d = await KernelDump.open(source, diag);
  const h = d.header;
  // only DumpErrors become notes: anything else is a bug and surfaces
  const note = (what: string, e: unknown): undefined => {
    diag.add(`${what}: ${onlyDumpError(e).message}`);
    return undefined;
  };
  const modules = await d.modules().catch((e) => note('modules', e) ?? []);
  const processes = d.triage ? [] : await d.processes().catch((e) => note('processes', e) ?? []);
  const kdbg = await d.debuggerData().catch((e) => note('debugger data block', e));
  let context: KernelSummary['context'];
  try {
    const c = d.context();
    context = { pc: c.pc, sp: c.sp };
  } catch (e) {
    note('context', e);
  }
  let triage: KernelSummary['triage'];
  if (d.triage) {
    const t = d.triage;
    const ct: CrashingThread = await t.crashingThread().catch((e): CrashingThread => note('crashing thread', e) ?? {});
    triage = {
      processName: ct.processName,
      pid: ct.pid === undefined ? undefined : Number(ct.pid & 0xffffffffn),
      tid: ct.tid === undefined ? undefined : Number(ct.tid & 0xffffffffn),
      stack: { base: t.header.topOfStack, size: t.header.sizeOfCallStack },
      unloadedDrivers: t.unloadedDrivers,
      dataBlocks: t.regions.filter((r) => r.what === 'data block').length,
      dataBlockRanges: t.regions.filter((r) => r.what === 'data block').map((r) => ({ va: r.va, size: r.size })),
    };
  }
  const attrs = h.attributes ?? 0;
  const pages = d.physical?.presentPages ?? 0;
  return {
    format: 'kernel',
    dumpType: d.dumpType,
    dumpTypeName: d.dumpTypeName,
    machine: d.machine,
    processors: h.numberProcessors,
    build: h.minorVersion,
    bugcheck: { code: h.bugCheckCode ?? 0, name: bugCheckName(h.bugCheckCode ?? 0), parameters: [...h.bugCheckParameters] },
    directoryTableBase: d.directoryTableBase,
    kdDebuggerDataBlock: h.kdDebuggerDataBlock,
    kernelBase: kdbg?.kernBase ?? modules[0]?.base,
    systemTime: h.systemTime === undefined ? undefined : filetimeToIso(h.systemTime),
    systemUpTimeSeconds: h.systemUpTime === undefined ? undefined : Number(h.systemUpTime / 10000000n),
    attributes: DUMP_FILE_ATTRIBUTE_NAMES.filter((_, i) => (attrs & (1 << i)) !== 0),
    comment: h.comment,
    context,
    physicalPages: pages,
    physicalBytes: pages * PAGE_SIZE,
    modules: modules.map((m) => ({ base: m.base, size: m.size, name: m.name })),
    processes: processes.map((p) => ({ pid: Number(p.pid & 0xffffffffn), name: p.name, eprocess: p.eprocess, directoryTableBase: p.directoryTableBase })),
    triage,
    limits: d.limits(),
    secondaryData: (d.secondaryData?.records ?? []).map((r) => ({ guid: r.guid, size: r.size })),
    diagnostics: diag.list(),
  };
}

export function formatKernelSummary(summary: Record<string, unknown>): string {
  const s = summary as KernelSummary;
  const lines: string[] = [];
  lines.push(`Windows kernel dump: DumpType ${s.dumpType} (${s.dumpTypeName}), ${s.machine}, ${s.processors ?? '?'} processor(s), build ${s.build ?? '?'}`);
  lines.push(`Bug check: ${hex(s.bugcheck.code)}${s.bugcheck.name ? ` ${s.bugcheck.name}` : ''} (${s.bugcheck.parameters.map((p) => hex(p)).join(', ')})`);
  if (s.systemTime) lines.push(`System time: ${s.systemTime}${s.systemUpTimeSeconds !== undefined ? `, up ${s.systemUpTimeSeconds} s` : ''}`);
  if (s.attributes.length) lines.push(`Attributes: ${s.attributes.join(', ')}`);
  if (s.comment) lines.push(`Comment: ${s.comment}`);
  lines.push(`DirectoryTableBase: ${hex(s.directoryTableBase)}${s.kernelBase !== undefined ? `, kernel base ${hex(s.kernelBase)}` : ''}`);
  if (s.context) lines.push(`Context: pc ${hex(s.context.pc)}, sp ${hex(s.context.sp)}`);
  lines.push(`Physical memory in file: ${s.physicalPages} pages (${(s.physicalBytes / 1048576).toFixed(1)} MiB)`);
  // What the dump can answer comes before the long lists, as the debugger says it on load.
  lines.push('Limits:');
  for (const l of s.limits) lines.push(`  - ${l}`);
  lines.push(`Modules (${s.modules.length}):`);
  for (const m of s.modules.slice(0, 50)) lines.push(`  ${hex(m.base)} ${hex(m.size).padStart(10)}  ${m.name}`);
  if (s.modules.length > 50) lines.push(`  … ${s.modules.length - 50} more (use --json)`);
  if (s.triage) {
    const t = s.triage;
    lines.push(`Crashing thread: ${t.processName ?? '?'} (pid ${t.pid ?? '?'}, tid ${t.tid ?? '?'}), stack ${hex(t.stack.base)} + ${hex(t.stack.size)}`);
    if (t.unloadedDrivers.length) lines.push(`Unloaded drivers: ${t.unloadedDrivers.map((u) => u.name).join(', ')}`);
    const blockBytes = t.dataBlockRanges.reduce((n, b) => n + b.size, 0);
    lines.push(`Data blocks (${t.dataBlockRanges.length}, ${blockBytes} bytes):`);
    for (const b of t.dataBlockRanges.slice(0, 50)) lines.push(`  ${hex(b.va)} + ${hex(b.size)}`);
    if (t.dataBlockRanges.length > 50) lines.push(`  … ${t.dataBlockRanges.length - 50} more (use --json)`);
  }
  if (s.processes.length) {
    lines.push(`Processes (${s.processes.length}):`);
    for (const p of s.processes.slice(0, 50)) lines.push(`  ${String(p.pid).padStart(6)}  ${p.name.padEnd(15)}  EPROCESS ${hex(p.eprocess)}  DirectoryTableBase ${hex(p.directoryTableBase)}`);
    if (s.processes.length > 50) lines.push(`  … ${s.processes.length - 50} more (use --json)`);
  }
  if (s.secondaryData.length) lines.push(`Secondary data: ${s.secondaryData.length} records`);
  if (s.diagnostics.length) {
    lines.push('Diagnostics:');
    for (const x of s.diagnostics) lines.push(`  ! ${x}`);
  }
  return lines.join('\n');
}
