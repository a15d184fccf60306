import { DumpError, onlyDumpError } from '../errors.js';
import { hex } from '../hex.js';
import { AMD64_CONTEXT } from '../kernel/context.js';
import { LIMITS } from '../kernel/limits.js';
import { ETHREAD, KDBG_OWNER_TAG, KDDEBUGGER_DATA64 as KDBG, KLDR_DATA_TABLE_ENTRY as LDR } from '../kernel/offsets.js';
import type { TriageDumpSpec } from '../kernel/triage-writer.js';
import type { VirtualReader } from './virtual-reader.js';

/** KDDEBUGGER_DATA64.MmLastUnloadedDriver (address of the u32 count). */
const KDBG_MM_LAST_UNLOADED_DRIVER = 0x228;
const UNLOADED_DRIVER_SIZE = 0x28;
const MAX_UNLOADED = 64;
/** Kernel stacks are 6 pages on x64 (more with a stack expansion): cap what is copied. */
const MAX_STACK = 0x10000;

export interface TriageSource {
  kdDebuggerDataBlock: bigint;
  numberProcessors: number;
  /** The header's CONTEXT: its RSP finds the crashing processor (kdmp-parser-rs does the same). */
  context: Uint8Array;
}

export interface TriageFacts {
  spec: TriageDumpSpec;
  crashCpu: number;
  prcb: bigint;
  thread: bigint;
  process: bigint;
}

/**
 * What a small memory dump holds, found the way a debugger finds it: the KDBG's
 * KiProcessorBlock gives each KPRCB, the crashing one is the CPU whose saved context has the
 * header's RSP; its CurrentThread, that thread's process, its kernel stack from RSP up to
 * StackBase, the loaded drivers from PsLoadedModuleList and the unloaded ones from
 * MmUnloadedDrivers.
 */
export async function triageFromMemory(vm: VirtualReader, src: TriageSource): Promise<TriageFacts> {
  const k = src.kdDebuggerDataBlock;
  const tag = await vm.u32(k + BigInt(KDBG.OwnerTag));
  if (tag !== KDBG_OWNER_TAG) {
    throw new DumpError('LIMIT', `no decrypted KDBG at ${hex(k)} (OwnerTag ${hex(tag)}): cannot find the crashing thread for a small dump`);
  }
  const kdbgSize = Math.min(await vm.u32(k + BigInt(KDBG.Size)), 0x1000);
  const debuggerData = await vm.read(k, kdbgSize);
  const d = new DataView(debuggerData.buffer);
  const f16 = (off: number) => d.getUint16(off, true);
  const sizePrcb = f16(KDBG.SizePrcb);
  const sizeEProcess = f16(KDBG.SizeEProcess);
  const sizeEThread = f16(KDBG.SizeEThread);
  const offCurrentThread = f16(KDBG.OffsetPrcbCurrentThread);
  const offPrcbContext = f16(KDBG.OffsetPrcbContext);
  const offStackBase = d.getUint32(KDBG.OffsetKThreadStackBase, true);
  const ctx = new DataView(src.context.buffer, src.context.byteOffset, src.context.byteLength);
  const rsp = ctx.getBigUint64(AMD64_CONTEXT.Rsp, true);

  const block = d.getBigUint64(KDBG.KiProcessorBlock, true);
  const cpus = Math.min(src.numberProcessors, 2048);
  let crashCpu = -1;
  let prcb = 0n;
  for (let i = 0; i < cpus; i++) {
    const p = await vm.u64(block + BigInt(i * 8));
    if (p === 0n) continue;
    const r = await vm.u64(p + BigInt(offPrcbContext + AMD64_CONTEXT.Rsp)).catch((e) => (onlyDumpError(e), 0n));
    if (r === rsp || (crashCpu < 0 && i === 0)) {
      crashCpu = i;
      prcb = p;
      if (r === rsp) break;
    }
  }
  if (crashCpu < 0) throw new DumpError('LIMIT', 'KiProcessorBlock lists no processor: cannot find the crashing thread');
  const thread = await vm.u64(prcb + BigInt(offCurrentThread));
  const process = await vm.u64(thread + BigInt(ETHREAD.Process));
  const stackBase = await vm.u64(thread + BigInt(offStackBase));
  const stackLen = stackBase > rsp && stackBase - rsp <= BigInt(MAX_STACK) ? Number(stackBase - rsp) : 0x1000 - Number(rsp & 0xfffn);

  // Loaded drivers, kernel image first, with a loop guard.
  const head = d.getBigUint64(KDBG.PsLoadedModuleList, true);
  const drivers: TriageDumpSpec['drivers'] = [];
  const seen = new Set<bigint>();
  for (let e = await vm.u64(head); e !== head && e !== 0n; e = await vm.u64(e)) {
    if (seen.has(e) || drivers.length >= LIMITS.maxModules) throw new DumpError('COUNT_TOO_LARGE', `PsLoadedModuleList at ${hex(head)} loops or exceeds ${LIMITS.maxModules} entries`);
    seen.add(e);
    drivers.push({
      base: await vm.u64(e + BigInt(LDR.DllBase)),
      entryPoint: await vm.u64(e + BigInt(LDR.EntryPoint)),
      size: await vm.u32(e + BigInt(LDR.SizeOfImage)),
      fullName: await vm.unicodeString(e + BigInt(LDR.FullDllName)),
      name: await vm.unicodeString(e + BigInt(LDR.BaseDllName)),
    });
  }

  const unloadedDrivers: NonNullable<TriageDumpSpec['unloadedDrivers']> = [];
  const arrVar = d.getBigUint64(KDBG.MmUnloadedDrivers, true);
  const countVar = kdbgSize >= KDBG_MM_LAST_UNLOADED_DRIVER + 8 ? d.getBigUint64(KDBG_MM_LAST_UNLOADED_DRIVER, true) : 0n;
  if (arrVar !== 0n && countVar !== 0n) {
    const arr = await vm.u64(arrVar).catch((e) => (onlyDumpError(e), 0n));
    const n = Math.min(await vm.u32(countVar).catch((e) => (onlyDumpError(e), 0)), MAX_UNLOADED);
    for (let i = 0; arr !== 0n && i < n; i++) {
      const e = arr + BigInt(i * UNLOADED_DRIVER_SIZE);
      unloadedDrivers.push({ name: await vm.unicodeString(e), start: await vm.u64(e + 0x10n), end: await vm.u64(e + 0x18n) });
    }
  }

  const spec: TriageDumpSpec = {
    stack: { topOfStack: rsp, bytes: await vm.read(rsp, stackLen) },
    drivers,
    unloadedDrivers,
    prcb: await vm.read(prcb, sizePrcb),
    process: await vm.read(process, sizeEProcess),
    thread: await vm.read(thread, sizeEThread),
    debuggerData,
  };
  return { spec, crashCpu, prcb, thread, process };
}
