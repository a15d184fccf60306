/** Processes of a modeled machine: EPROCESS objects on PsActiveProcessHead, each with its own address space and threads. */
import { PROCESS_NAMES } from './layout.js';
import type { MachineState } from './builder-state.js';
import type { ModelProcess } from './model-types.js';
import { EPROCESS, MM_SESSION_SPACE } from './nt-layout.js';
import { AddressSpace, PAGE } from './paging.js';
import { createThread } from './threads.js';

/** Builds the profile's processes (System first); returns the user address spaces (all but System's). */
export function buildProcesses(m: MachineState): { proc: ModelProcess; space: AddressSpace }[] {
  const rng = m.rng;
  const p = m.profile;
  const names = ['System', 'Registry', ...PROCESS_NAMES];
  if (p.name === 'hyperv-host') names.push('vmms.exe', 'vmcompute.exe');
  for (let i = 0; i < m.vms; i++) names.push('vmwp.exe', 'vmmem');
  while (names.length < p.processes) names.push(rng.float() < 0.6 ? 'svchost.exe' : rng.pick(PROCESS_NAMES));
  const userSpaces: { proc: ModelProcess; space: AddressSpace }[] = [];
  for (const name of names) {
    const proc = createProcess(m, name, name === 'System' ? 4 : m.newId());
    if (proc.space !== m.system) userSpaces.push({ proc: proc.model, space: proc.space });
  }
  return userSpaces;
}

function createProcess(m: MachineState, name: string, pid: number): { model: ModelProcess; space: AddressSpace } {
  let space: AddressSpace;
  if (pid === 4) space = m.system;
  else {
    // From the top of memory: Volatility's DTB scan (0x150000–0x2A0000, 0x650000–0x6F0000) must meet only the system PML4.
    const [pml4] = m.take('user-private', 1, 'user-page-table', true);
    space = new AddressSpace(pml4!, m, () => m.take('user-private', 1, 'user-page-table', true)[0]!);
  }
  const ep = m.poolAlloc(EPROCESS.size, 64);
  m.writeBytes(ep, Uint8Array.of(3, 0, 0xb8 >> 2, 0)); // DISPATCHER_HEADER Type = ProcessObject
  const dtb = BigInt(space.pml4Pfn * PAGE);
  m.w64(ep + BigInt(EPROCESS.DirectoryTableBase), dtb);
  m.w64(ep + BigInt(EPROCESS.UniqueProcessId), BigInt(pid));
  m.listAppend(m.psActiveProcessHead, ep + BigInt(EPROCESS.ActiveProcessLinks));
  const peb = pid === 4 ? 0n : 0x000000a000000000n + BigInt(m.rng.int(0x100, 0xfff)) * 0x1000n;
  m.w64(ep + BigInt(EPROCESS.Peb), peb);
  const img = new TextEncoder().encode(name.slice(0, 14));
  m.writeBytes(ep + BigInt(EPROCESS.ImageFileName), img);
  m.listInit(ep + BigInt(EPROCESS.ThreadListHead));
  const model: ModelProcess = { pid, name, eprocess: ep, dtb, threads: [], parentPid: parentOf(m, name) };
  const [lo, hi] = m.profile.threads;
  const n = pid === 4 ? m.profile.systemThreads : m.rng.int(lo, hi);
  for (let t = 0; t < n; t++) model.threads.push(createThread(m, model, peb));
  m.w32(ep + BigInt(EPROCESS.ActiveThreads), n);
  m.w64(ep + BigInt(EPROCESS.InheritedFromUniqueProcessId), BigInt(model.parentPid));
  m.w64(ep + BigInt(EPROCESS.CreateTime), 0x01dc000000000000n + BigInt(m.processes.length) * 10_000_000n);
  const session = sessionOf(name);
  if (session !== undefined) {
    model.sessionId = session;
    m.w64(ep + BigInt(EPROCESS.Session), sessionSpace(m, session));
  }
  m.processes.push(model);
  return { model, space };
}

/** Processes outside any session, and those in the interactive session 1; the rest are session 0 services. */
const NO_SESSION = new Set(['System', 'Registry', 'smss.exe']);
const SESSION_1 = new Set(['winlogon.exe', 'explorer.exe', 'dwm.exe', 'fontdrvhost.exe', 'sihost.exe', 'ctfmon.exe', 'taskhostw.exe', 'RuntimeBroker.exe', 'SearchHost.exe', 'conhost.exe']);

function sessionOf(name: string): number | undefined {
  return NO_SESSION.has(name) ? undefined : SESSION_1.has(name) ? 1 : 0;
}

/** Parent processes as Windows starts them (smss → csrss/wininit/winlogon, wininit → services/lsass, services → services' children). */
const PARENT: Record<string, string> = {
  Registry: 'System', 'smss.exe': 'System', 'csrss.exe': 'smss.exe', 'wininit.exe': 'smss.exe', 'winlogon.exe': 'smss.exe',
  'services.exe': 'wininit.exe', 'lsass.exe': 'wininit.exe', 'dwm.exe': 'winlogon.exe', 'fontdrvhost.exe': 'winlogon.exe', 'explorer.exe': 'winlogon.exe',
};

function parentOf(m: MachineState, name: string): number {
  if (name === 'System') return 0;
  const parent = PARENT[name] ?? 'services.exe';
  return m.processes.find((p) => p.name === parent)?.pid ?? 4;
}

const sessionSpaces = new WeakMap<MachineState, Map<number, bigint>>();

/** The MM_SESSION_SPACE of a session (allocated once per machine). */
function sessionSpace(m: MachineState, id: number): bigint {
  let map = sessionSpaces.get(m);
  if (!map) sessionSpaces.set(m, (map = new Map()));
  let at = map.get(id);
  if (at === undefined) {
    at = m.poolAlloc(0x100, 64);
    m.w32(at + BigInt(MM_SESSION_SPACE.SessionId), id);
    map.set(id, at);
  }
  return at;
}
