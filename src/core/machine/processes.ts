/** Processes of a modeled machine: EPROCESS objects on PsActiveProcessHead, each with its own address space and threads. */
import { PROCESS_NAMES } from './layout.js';
import type { Machine } from './machine.js';
import type { ModelProcess } from './model-types.js';
import { EPROCESS } from './nt-layout.js';
import { AddressSpace, PAGE } from './paging.js';
import { createThread } from './threads.js';

/** Builds the profile's processes (System first); returns the user address spaces (all but System's). */
export function buildProcesses(m: Machine): { proc: ModelProcess; space: AddressSpace }[] {
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

function createProcess(m: Machine, name: string, pid: number): { model: ModelProcess; space: AddressSpace } {
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
  const model: ModelProcess = { pid, name, eprocess: ep, dtb, threads: [] };
  const [lo, hi] = m.profile.threads;
  const n = pid === 4 ? m.profile.systemThreads : m.rng.int(lo, hi);
  for (let t = 0; t < n; t++) model.threads.push(createThread(m, model, peb));
  m.processes.push(model);
  return { model, space };
}
