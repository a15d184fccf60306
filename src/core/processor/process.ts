// processMinidump: walks and symbolizes a minidump's threads into a ProcessState (what
// minidump_stackwalk and rust-minidump's minidump-stackwalk compute), for the JSON and text forms.
import { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { StreamType, type OsName } from '../minidump/constants.js';
import { exceptionAddress, exceptionName, exceptionReason } from '../minidump/exception-name.js';
import type { Minidump } from '../minidump/minidump.js';
import { cpuInfoOf, osVersionOf, type MinidumpSystemInfo } from '../minidump/reader/system-info.js';
import type { SymbolProvider } from '../symbols/types.js';
import { ModuleIndex } from '../unwind/modules.js';
import type { CallStack } from '../unwind/types.js';
import { walkStack } from '../unwind/walker.js';
import { readMinidumpInput, soft } from './minidump-input.js';
import type { ProcessState, ProcessThread } from './process-state.js';

export interface ProcessOptions {
  symbols?: SymbolProvider;
  /** Which threads to walk: all (default), only the crashing one (thread 0 when none crashed), or these thread ids. */
  threads?: 'all' | 'crashing' | number[];
  maxFrames?: number;
  diagnostics?: Diagnostics;
}

const OS_NAMES: Record<OsName, string> = {
  windows: 'Windows NT',
  linux: 'Linux',
  macos: 'Mac OS X',
  ios: 'iOS',
  android: 'Android',
  solaris: 'Solaris',
  fuchsia: 'Fuchsia',
  unknown: 'Unknown',
};

/** The OS version as both tools print it: Windows "5.1.2600 Service Pack 2"; Linux the uname release and version. */
export function osVersionText(si: MinidumpSystemInfo): string {
  const csd = si.csdVersion ?? '';
  if ((si.os === 'linux' || si.os === 'android') && csd.startsWith('Linux ')) {
    const parts = csd.split(' ');
    // "Linux <release> <version…> <machine>": drop the first and the last word.
    if (parts.length > 2) return parts.slice(1, -1).join(' ');
  }
  const v = osVersionOf(si);
  return csd ? `${v} ${csd}` : v;
}

function parseLsbRelease(text: string): Record<string, string> {
  const out: Record<string, string> = {};
  for (const line of text.split('\n')) {
    const m = /^\s*([A-Z_]+)\s*=\s*"?(.*?)"?\s*$/.exec(line);
    if (m) out[m[1]!] = m[2]!;
  }
  return out;
}

/**
 * Walks the selected threads of a minidump with the given symbols. Damage to optional streams
 * becomes diagnostics; a thread whose memory is broken gets a diagnostic and the frames found so far.
 */
export async function processMinidump(dump: Minidump, options: ProcessOptions = {}): Promise<ProcessState> {
  const diagnostics = options.diagnostics ?? new Diagnostics();
  const si = await dump.systemInfo();
  const os = si?.os ?? 'unknown';
  const arch = si?.arch;
  const ex = await dump.exception();
  const threadList = await dump.threads();
  const bp = await soft(diagnostics, 'BreakpadInfo', () => dump.breakpadInfo());

  const crashIndex = ex ? threadList.findIndex((t) => t.threadId === ex.threadId) : -1;
  const sel = options.threads ?? 'all';
  const wanted = (index: number, id: number): boolean => {
    if (sel === 'all') return true;
    if (sel === 'crashing') return index === (crashIndex >= 0 ? crashIndex : 0);
    return sel.includes(id);
  };
  const input = await readMinidumpInput(dump, wanted);
  const modules = new ModuleIndex(input.modules);
  const names = new Map<number, string>();
  const tn = await soft(diagnostics, 'ThreadNames', () => dump.threadNames());
  for (const n of tn ?? []) if (n.name !== undefined && !names.has(n.threadId)) names.set(n.threadId, n.name);

  const threads: ProcessThread[] = [];
  for (const t of input.threads) {
    const name = names.get(t.id);
    const base = { index: t.index, id: t.id, ...(name !== undefined ? { name } : {}) };
    if (!wanted(t.index, t.id)) {
      threads.push({ ...base, stack: { frames: [], end: 'no-context', endReason: 'not selected' }, walked: false, skipped: 'not-selected' });
      continue;
    }
    // The thread that wrote the dump (Breakpad client) has a context inside the dumper: not walked,
    // as Breakpad and rust-minidump do not walk it.
    if (bp?.dumpThreadId !== undefined && bp.dumpThreadId === t.id && t.id !== ex?.threadId) {
      threads.push({ ...base, stack: { frames: [], end: 'no-context', endReason: 'the thread that wrote the dump' }, walked: false, skipped: 'dump-thread' });
      continue;
    }
    let stack: CallStack;
    if (!t.registers || !arch) stack = { frames: [], end: 'no-context', endReason: 'no usable context' };
    else {
      try {
        stack = await walkStack({
          arch,
          registers: t.registers,
          memory: input.memory,
          modules,
          ...(options.symbols ? { symbols: options.symbols } : {}),
          ...(t.stack ? { stack: t.stack } : {}),
          ...(options.maxFrames !== undefined ? { limits: { maxFrames: options.maxFrames } } : {}),
          diagnostics,
          os,
          label: `thread ${t.id}`,
        });
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        diagnostics.add(`thread ${t.id}: ${e.message}`);
        stack = { frames: [], end: 'memory-missing', endReason: e.message };
      }
    }
    threads.push({ ...base, stack, walked: true });
  }

  const misc = await soft(diagnostics, 'MiscInfo', () => dump.miscInfo());
  let pid = misc?.processId;
  if (pid === undefined && dump.stream(StreamType.LinuxProcStatus)) {
    const status = await soft(diagnostics, 'LinuxProcStatus', () => dump.linuxText(StreamType.LinuxProcStatus));
    const m = /^Pid:\s*(\d+)\s*$/m.exec(status ?? '');
    if (m) pid = Number(m[1]);
  }

  const state: ProcessState = {
    timestamp: dump.header.timeDateStamp,
    threads,
    modules: input.modules.map((module) => ({ module, status: options.symbols ? options.symbols.status(module) : 'not-tried' })),
    diagnostics: [],
  };
  if (input.modules.length > 0) state.mainModule = 0;
  if (si) {
    const cpuInfo = cpuInfoOf(si);
    state.system = {
      arch: si.arch,
      os,
      osName: OS_NAMES[os],
      osVersion: osVersionText(si),
      breakpadOsVersion: `${si.majorVersion}.${si.minorVersion}.${si.buildNumber} ${si.csdVersion ?? ''}`,
      ...(cpuInfo !== undefined ? { cpuInfo } : {}),
      cpuCount: si.numberOfProcessors,
    };
  }
  if (ex) {
    state.crash = {
      reason: exceptionName(ex, os),
      reasonText: exceptionReason(ex, os),
      address: exceptionAddress(ex, os, arch),
      parameters: [...ex.exceptionInformation],
      threadId: ex.threadId,
      ...(crashIndex >= 0 ? { threadIndex: crashIndex } : {}),
    };
  }
  if (bp?.requestingThreadId !== undefined && bp.requestingThreadId !== ex?.threadId) state.requestingThreadId = bp.requestingThreadId;
  if (pid !== undefined) state.pid = pid;
  if (misc?.processCreateTime !== undefined && misc.processCreateTime > 0 && dump.header.timeDateStamp >= misc.processCreateTime) {
    state.processUptime = dump.header.timeDateStamp - misc.processCreateTime;
  }
  if (os === 'linux' || os === 'android') {
    const linux: NonNullable<ProcessState['linux']> = {};
    const maps = await soft(diagnostics, 'LinuxMaps', () => dump.linuxMaps());
    if (maps) linux.mapCount = maps.length;
    const lsb = await soft(diagnostics, 'LinuxLsbRelease', () => dump.linuxText(StreamType.LinuxLsbRelease));
    if (lsb !== undefined) linux.lsbRelease = parseLsbRelease(lsb);
    state.linux = linux;
  }
  state.diagnostics = [...dump.diagnostics.list(), ...(dump.diagnostics === diagnostics ? [] : diagnostics.list())];
  return state;
}
