/**
 * Kernel facts read through virtual memory: the debugger data block (KDBG), the loaded module list
 * (PsLoadedModuleList → KLDR_DATA_TABLE_ENTRY) and the active process list (EPROCESS). Offsets
 * from offsets.ts (x64, 19041 layout).
 */
import { StructView } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError, onlyDumpError } from '../errors.js';
import { hex } from '../hex.js';
import { LIMITS } from './limits.js';
import { EPROCESS, KDBG_OWNER_TAG, KDDEBUGGER_DATA64, KLDR_DATA_TABLE_ENTRY, UNICODE_STRING64 } from './offsets.js';
import type { VirtualMemory } from './virtual.js';

export interface KernelModule {
  base: bigint;
  size: number;
  name: string;
  fullName?: string;
}

export interface DebuggerData {
  va: bigint;
  size: number;
  kernBase: bigint;
  psLoadedModuleList: bigint;
  psActiveProcessHead: bigint;
  mmPfnDatabase: bigint;
  kiProcessorBlock: bigint | undefined;
  sizeEProcess: number | undefined;
  sizePrcb: number | undefined;
  offsetPrcbContext: number | undefined;
  pteBase: bigint | undefined;
}

/** Parses KDDEBUGGER_DATA64 bytes (honouring Header.Size: later fields are absent when it is smaller). */
export function parseDebuggerData(bytes: Uint8Array, va: bigint, fileOffset = 0): DebuggerData {
  const K = KDDEBUGGER_DATA64;
  const v = new StructView(bytes, fileOffset, 'KDDEBUGGER_DATA64');
  const tag = v.u32(K.OwnerTag);
  if (tag !== KDBG_OWNER_TAG) {
    throw new DumpError('BAD_SIGNATURE', `KDDEBUGGER_DATA64 at ${hex(va)}: OwnerTag is ${hex(tag)}, not 'KDBG' (encoded or not a debugger data block)`, {
      offset: fileOffset + K.OwnerTag,
      length: 4,
    });
  }
  const size = Math.min(v.u32(K.Size), bytes.length);
  const has = (off: number, n: number): boolean => off + n <= size;
  return {
    va,
    size: v.u32(K.Size),
    kernBase: v.u64(K.KernBase),
    psLoadedModuleList: v.u64(K.PsLoadedModuleList),
    psActiveProcessHead: v.u64(K.PsActiveProcessHead),
    mmPfnDatabase: v.u64(K.MmPfnDatabase),
    kiProcessorBlock: has(K.KiProcessorBlock, 8) ? v.u64(K.KiProcessorBlock) : undefined,
    sizeEProcess: has(K.SizeEProcess, 2) ? v.u16(K.SizeEProcess) : undefined,
    sizePrcb: has(K.SizePrcb, 2) ? v.u16(K.SizePrcb) : undefined,
    offsetPrcbContext: has(K.OffsetPrcbContext, 2) ? v.u16(K.OffsetPrcbContext) : undefined,
    pteBase: has(K.PteBase, 8) ? v.u64(K.PteBase) : undefined,
  };
}

export async function readDebuggerData(vm: VirtualMemory, va: bigint): Promise<DebuggerData> {
  const head = await vm.read(va, 0x18);
  const size = new DataView(head.buffer, head.byteOffset).getUint32(0x14, true);
  const len = Math.min(Math.max(size, 0x18), 0x1000);
  return parseDebuggerData(await vm.read(va, len), va);
}

/** Reads a UNICODE_STRING64 at `va` (the descriptor) and its buffer. */
export async function readUnicodeString64(vm: VirtualMemory, va: bigint): Promise<string> {
  const d = await vm.read(va, UNICODE_STRING64.size);
  const v = new DataView(d.buffer, d.byteOffset, d.byteLength);
  const len = v.getUint16(UNICODE_STRING64.Length, true);
  const buf = v.getBigUint64(UNICODE_STRING64.Buffer, true);
  if (len === 0 || buf === 0n) return '';
  const bytes = await vm.read(buf, Math.min(len, LIMITS.maxStringChars * 2) & ~1);
  let s = '';
  for (let i = 0; i + 1 < bytes.length; i += 2) s += String.fromCharCode(bytes[i]! | (bytes[i + 1]! << 8));
  return s;
}

/**
 * Walks a LIST_ENTRY list from its head: yields entry VAs (Flink targets) until back at the head,
 * stopping (with a diagnostic) at a loop, a read failure or the count limit.
 */
export async function* walkList(vm: VirtualMemory, head: bigint, what: string, diag: Diagnostics, max: number): AsyncGenerator<bigint> {
  const seen = new Set<bigint>();
  let link: bigint;
  try {
    link = await vm.readU64(head);
  } catch (e) {
    diag.add(`${what}: cannot read the list head at ${hex(head)}: ${onlyDumpError(e).message}`);
    return;
  }
  while (link !== head) {
    if (link === 0n) {
      diag.add(`${what}: NULL Flink; list cut short`);
      return;
    }
    if (seen.has(link)) {
      diag.add(`${what}: loop at ${hex(link)}; list cut short`);
      return;
    }
    if (seen.size >= max) {
      diag.add(`${what}: more than ${max} entries; the rest are ignored`);
      return;
    }
    seen.add(link);
    yield link;
    try {
      link = await vm.readU64(link);
    } catch (e) {
      diag.add(`${what}: cannot follow Flink at ${hex(link)}: ${onlyDumpError(e).message}`);
      return;
    }
  }
}

/** Loaded modules in load order (the kernel image first) from PsLoadedModuleList. */
export async function readLoadedModules(vm: VirtualMemory, listHead: bigint, diag: Diagnostics): Promise<KernelModule[]> {
  const K = KLDR_DATA_TABLE_ENTRY;
  const out: KernelModule[] = [];
  for await (const entry of walkList(vm, listHead, 'PsLoadedModuleList', diag, LIMITS.maxModules)) {
    try {
      const b = await vm.read(entry, K.size);
      const v = new DataView(b.buffer, b.byteOffset, b.byteLength);
      const base = v.getBigUint64(K.DllBase, true);
      const size = v.getUint32(K.SizeOfImage, true);
      let name = '';
      let fullName: string | undefined;
      try {
        name = await readUnicodeString64(vm, entry + BigInt(K.BaseDllName));
        fullName = await readUnicodeString64(vm, entry + BigInt(K.FullDllName));
      } catch (e) {
        diag.add(`module at ${hex(base)}: name not readable: ${onlyDumpError(e).message}`);
      }
      out.push({ base, size, name, fullName });
    } catch (e) {
      diag.add(`PsLoadedModuleList entry at ${hex(entry)} not readable: ${onlyDumpError(e).message}`);
      break;
    }
  }
  return out;
}

export interface KernelProcess {
  eprocess: bigint;
  pid: bigint;
  name: string;
  directoryTableBase: bigint;
}

/** Processes from PsActiveProcessHead (EPROCESS.ActiveProcessLinks). */
export async function readProcesses(vm: VirtualMemory, listHead: bigint, diag: Diagnostics): Promise<KernelProcess[]> {
  const out: KernelProcess[] = [];
  for await (const link of walkList(vm, listHead, 'PsActiveProcessHead', diag, LIMITS.maxModules)) {
    const ep = link - BigInt(EPROCESS.ActiveProcessLinks);
    try {
      const b = await vm.read(ep, EPROCESS.size);
      const v = new StructView(b, 0, 'EPROCESS');
      out.push({
        eprocess: ep,
        pid: v.u64(EPROCESS.UniqueProcessId),
        name: v.ascii(EPROCESS.ImageFileName, EPROCESS.ImageFileNameLength),
        directoryTableBase: v.u64(EPROCESS.DirectoryTableBase),
      });
    } catch (e) {
      diag.add(`EPROCESS at ${hex(ep)} not readable: ${onlyDumpError(e).message}`);
    }
  }
  return out;
}
