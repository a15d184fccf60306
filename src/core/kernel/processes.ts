/**
 * Processes of a kernel dump from PsActiveProcessHead: EPROCESS → pid, parent pid, image name,
 * DirectoryTableBase, active thread count, session id, create/exit time. Offsets: offsets.ts
 * (x64 build 19041; other builds get a diagnostic, see kernelLayoutNote).
 */
import { StructView } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { walkList } from './kernel-facts.js';
import { LIMITS } from './limits.js';
import { EPROCESS, MM_SESSION_SPACE } from './offsets.js';
import type { VirtualMemory } from './virtual.js';

/** The builds whose EPROCESS/ETHREAD offsets dumpkit carries (offsets.ts). */
export const SUPPORTED_LAYOUT_BUILDS = [19041] as const;

/** A diagnostic when the dump's build is not one whose offsets dumpkit knows, else undefined. */
export function kernelLayoutNote(buildNumber: number | undefined): string | undefined {
  if (buildNumber !== undefined && (SUPPORTED_LAYOUT_BUILDS as readonly number[]).includes(buildNumber)) return undefined;
  return `EPROCESS/ETHREAD offsets are those of x64 build 19041; this dump's build ${buildNumber ?? 'unknown'} may lay them out differently, so process and thread fields may be wrong`;
}

export interface KernelProcessInfo {
  eprocess: bigint;
  pid: number;
  parentPid: number;
  name: string;
  /** DirectoryTableBase as stored (PCID bits included). */
  directoryTableBase: bigint;
  /** EPROCESS.ActiveThreads. */
  threadCount: number;
  /** MM_SESSION_SPACE.SessionId; undefined for processes outside any session. */
  sessionId?: number;
  peb: bigint;
  /** FILETIME values (0 when unset). */
  createTime: bigint;
  exitTime: bigint;
  /** True when the process has exited (ExitTime set) but its object is still on the list. */
  exited: boolean;
  exitStatus?: number;
}

/** Decodes one EPROCESS (bytes from its start) without following pointers. */
export function parseEprocess(bytes: Uint8Array, eprocess: bigint): Omit<KernelProcessInfo, 'sessionId'> & { session: bigint } {
  const v = new StructView(bytes, 0, `EPROCESS at ${hex(eprocess)}`);
  const exitTime = v.u64(EPROCESS.ExitTime);
  const out = {
    eprocess,
    pid: Number(v.u64(EPROCESS.UniqueProcessId) & 0xffffffffn),
    parentPid: Number(v.u64(EPROCESS.InheritedFromUniqueProcessId) & 0xffffffffn),
    name: v.ascii(EPROCESS.ImageFileName, EPROCESS.ImageFileNameLength),
    directoryTableBase: v.u64(EPROCESS.DirectoryTableBase),
    threadCount: v.u32(EPROCESS.ActiveThreads),
    peb: v.u64(EPROCESS.Peb),
    createTime: v.u64(EPROCESS.CreateTime),
    exitTime,
    exited: exitTime !== 0n,
    session: v.u64(EPROCESS.Session),
  };
  return exitTime !== 0n ? { ...out, exitStatus: v.u32(EPROCESS.ExitStatus) } : out;
}

/** Every process on PsActiveProcessHead, in list order. Unreadable entries become diagnostics. */
export async function listProcesses(vm: VirtualMemory, listHead: bigint, diag: Diagnostics): Promise<KernelProcessInfo[]> {
  const out: KernelProcessInfo[] = [];
  for await (const link of walkList(vm, listHead, 'PsActiveProcessHead', diag, LIMITS.maxModules)) {
    const ep = link - BigInt(EPROCESS.ActiveProcessLinks);
    try {
      const { session, ...p } = parseEprocess(await vm.read(ep, EPROCESS.size), ep);
      const info: KernelProcessInfo = p;
      if (session !== 0n) {
        try {
          const s = await vm.read(session + BigInt(MM_SESSION_SPACE.SessionId), 4);
          info.sessionId = new DataView(s.buffer, s.byteOffset, 4).getUint32(0, true);
        } catch (e) {
          if (!(e instanceof DumpError)) throw e;
          diag.add(`${p.name} (pid ${p.pid}): session at ${hex(session)} not readable: ${e.message}`);
        }
      }
      out.push(info);
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      diag.add(`EPROCESS at ${hex(ep)} not readable: ${e.message}`);
    }
  }
  return out;
}
