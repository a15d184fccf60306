// ProcessState as Breakpad's minidump_stackwalk prints it: the human form and the `-m`
// machine-readable (pipe-separated) form. Offsets here are from the return address (Breakpad's
// ReturnAddress()), while symbols were looked up inside the call instruction.
import type { CpuArch } from '../minidump/constants.js';
import type { FrameTrust, StackFrame } from '../unwind/types.js';
import type { ProcessState, ProcessThread } from './process-state.js';
import { TEXT_REGISTERS, addressDigits, baseName } from './registers.js';

/** What Breakpad prints for a module with a debug file but no debug id. */
const NO_DEBUG_ID = '0'.repeat(33);

/** Breakpad's "Found by:" wording per trust. */
export const TRUST_DESCRIPTIONS: Record<FrameTrust, string> = {
  context: 'given as instruction pointer in context',
  prewalked: 'recovered by external stack walker',
  cfi: 'call frame info',
  cfi_scan: 'call frame info with scanning',
  frame_pointer: "previous frame's frame pointer",
  scan: 'stack scanning',
  inline: 'inline record',
  none: 'unknown',
};

const MAX_WIDTH = 80;
const hexs = (v: bigint): string => `0x${v.toString(16)}`;

/** A frame as one or more display rows: its inlined calls (innermost first) then the frame itself. */
interface Row {
  frame: StackFrame;
  inline?: { function: string; file?: string; line?: number };
}

function rows(t: ProcessThread): Row[] {
  const out: Row[] = [];
  for (const f of t.stack.frames) {
    for (const i of f.inlines ?? []) out.push({ frame: f, inline: i });
    out.push({ frame: f });
  }
  return out;
}

/** `module!function [file : line + 0x…]`, `module!function + 0x…`, `module + 0x…` or `0x…`, as Breakpad. */
export function frameTitle(f: StackFrame, inline?: Row['inline']): string {
  const at = f.instruction;
  if (!f.module) return hexs(at);
  const mod = baseName(f.module.codeFile);
  if (inline) return `${mod}!${inline.function}${inline.file ? ` [${baseName(inline.file)} : ${inline.line ?? 0}]` : ''}`;
  const s = f.symbol;
  if (!s) return `${mod} + ${hexs(at - f.module.base)}`;
  if (s.file) return `${mod}!${s.function} [${baseName(s.file)} : ${s.line ?? 0} + ${hexs(at - (s.lineBase ?? s.functionBase))}]`;
  return `${mod}!${s.function} + ${hexs(at - s.functionBase)}`;
}

function registerLines(f: StackFrame, arch: CpuArch): string {
  const digits = addressDigits(arch);
  let line = ' ';
  let col = 0;
  const out: string[] = [];
  const x86All = arch === 'x86' && f.trust === 'context';
  for (const [label, name] of TEXT_REGISTERS[arch] ?? []) {
    if (arch === 'x86' && !x86All && (name === 'eax' || name === 'ecx' || name === 'edx' || name === 'eflags')) continue;
    const v = f.registers[name];
    if (v === undefined) continue;
    const piece = ` ${label.padStart(5)} = 0x${v.toString(16).padStart(digits, '0')}`;
    if (col + piece.length > MAX_WIDTH) {
      out.push(line);
      line = ' ';
      col = 0;
    }
    line += piece;
    col += piece.length;
  }
  out.push(line);
  return out.join('\n');
}

function stackText(t: ProcessThread, arch: CpuArch): string[] {
  const lines: string[] = [];
  const rs = rows(t);
  if (rs.length === 0) lines.push(' <no frames>');
  rs.forEach((r, i) => {
    lines.push(`${String(i).padStart(2)}  ${frameTitle(r.frame, r.inline)}`);
    if (r.inline) lines.push(' ', `    Found by: ${TRUST_DESCRIPTIONS.inline}`);
    else lines.push(registerLines(r.frame, arch), `    Found by: ${TRUST_DESCRIPTIONS[r.frame.trust]}`);
  });
  return lines;
}

/** Threads Breakpad lists: all but the one that wrote the dump (it does not walk that one). */
function listed(state: ProcessState): ProcessThread[] {
  return state.threads.filter((t) => t.skipped !== 'dump-thread');
}

function requestingIndex(state: ProcessState, threads: ProcessThread[]): number {
  const id = state.crash?.threadId ?? state.requestingThreadId;
  return id === undefined ? -1 : threads.findIndex((t) => t.id === id);
}

/** Breakpad's human-readable minidump_stackwalk output. `onlyWalked`: leave out threads not walked. */
export function processStateToText(state: ProcessState): string {
  const arch = state.system?.arch ?? 'unknown';
  const out: string[] = [];
  const cpu = state.system ? arch : '';
  out.push(`Operating system: ${state.system?.osName ?? ''}`, `                  ${state.system?.breakpadOsVersion ?? ''}`);
  out.push(`CPU: ${cpu}`);
  if (state.system?.cpuInfo) out.push(`     ${state.system.cpuInfo}`);
  const n = state.system?.cpuCount ?? 0;
  out.push(`     ${n} CPU${n !== 1 ? 's' : ''}`, '', 'GPU: UNKNOWN', '');
  if (state.crash) {
    out.push(`Crash reason:  ${state.crash.reasonText}`, `Crash address: ${hexs(state.crash.address)}`);
    if (state.crash.parameters.length) {
      out.push('Crash parameters:');
      for (const p of state.crash.parameters) out.push(`    value: 0x${p.toString(16).padStart(16, '0')}  description: `);
    }
  } else out.push('No crash');
  out.push(state.processUptime !== undefined ? `Process uptime: ${state.processUptime} seconds` : 'Process uptime: not available');
  const threads = listed(state);
  const req = requestingIndex(state, threads);
  if (req >= 0) {
    out.push('', `Thread ${req} (${state.crash ? 'crashed' : 'requested dump, did not crash'})`, ...stackText(threads[req]!, arch));
  }
  threads.forEach((t, i) => {
    if (i === req || !t.walked) return;
    out.push('', `Thread ${i}`, ...stackText(t, arch));
  });
  if (state.modules.length) out.push('', 'Loaded modules:');
  const main = state.mainModule !== undefined ? state.modules[state.mainModule]?.module.base : undefined;
  for (const { module: m, status } of byAddress(state)) {
    const issue =
      status === 'missing'
        ? `  (WARNING: No symbols, ${baseName(m.debugFile ?? '')}, ${m.debugId ?? ''})`
        : status === 'corrupt'
          ? `  (WARNING: Corrupt symbols, ${baseName(m.debugFile ?? '')}, ${m.debugId ?? ''})`
          : '';
    out.push(
      `0x${m.base.toString(16).padStart(8, '0')} - 0x${(m.base + m.size - 1n).toString(16).padStart(8, '0')}  ${baseName(m.codeFile)}  ${m.version || '???'}${main !== undefined && m.base === main ? '  (main)' : ''}${issue}`,
    );
  }
  return out.join('\n') + '\n';
}

/** Modules in address order, as Breakpad lists them ("module sequence"). */
function byAddress(state: ProcessState): ProcessState['modules'] {
  return [...state.modules].sort((a, b) => (a.module.base < b.module.base ? -1 : a.module.base > b.module.base ? 1 : 0));
}

const strip = (s: string): string => s.split('|').join('');

function machineFrames(threadIndex: number, t: ProcessThread): string[] {
  return rows(t).map((r, i) => {
    const f = r.frame;
    const at = f.instruction;
    const head = `${threadIndex}|${i}|`;
    if (!f.module) return `${head}||||${hexs(at)}`;
    const mod = strip(baseName(f.module.codeFile));
    if (r.inline) return `${head}${mod}|${strip(r.inline.function)}|${strip(r.inline.file ?? '')}|${r.inline.line ?? ''}|`;
    const s = f.symbol;
    if (!s) return `${head}${mod}||||${hexs(at - f.module.base)}`;
    if (s.file) return `${head}${mod}|${strip(s.function)}|${strip(s.file)}|${s.line ?? 0}|${hexs(at - (s.lineBase ?? s.functionBase))}`;
    return `${head}${mod}|${strip(s.function)}|||${hexs(at - s.functionBase)}`;
  });
}

/** Breakpad's `minidump_stackwalk -m` output. */
export function processStateToMachineText(state: ProcessState): string {
  const out: string[] = [];
  out.push(`OS|${strip(state.system?.osName ?? '')}|${strip(state.system?.breakpadOsVersion ?? '')}`);
  out.push(`CPU|${strip(state.system?.arch ?? '')}|${strip(state.system?.cpuInfo ?? '')}|${state.system?.cpuCount ?? 0}`);
  out.push('GPU|||');
  const threads = listed(state);
  const req = requestingIndex(state, threads);
  const crash = state.crash ? `${strip(state.crash.reasonText)}|${hexs(state.crash.address)}|` : 'No crash||';
  out.push(`Crash|${crash}${req >= 0 ? req : ''}`);
  const main = state.mainModule !== undefined ? state.modules[state.mainModule]?.module.base : undefined;
  for (const { module: m } of byAddress(state)) {
    out.push(
      `Module|${strip(baseName(m.codeFile))}|${strip(m.version ?? '')}|${strip(baseName(m.debugFile ?? ''))}|${strip(m.debugId ?? (m.debugFile ? NO_DEBUG_ID : ''))}|0x${m.base.toString(16).padStart(8, '0')}|0x${(m.base + m.size - 1n).toString(16).padStart(8, '0')}|${main !== undefined && m.base === main ? 1 : 0}`,
    );
  }
  out.push('');
  if (req >= 0) out.push(...machineFrames(req, threads[req]!));
  threads.forEach((t, i) => {
    if (i !== req && t.walked) out.push(...machineFrames(i, t));
  });
  return out.join('\n') + '\n';
}
