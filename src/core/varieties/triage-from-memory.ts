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
/** A small dump stays within 1 MiB, data blocks included (Windows' own stay well under it). */
export const SMALL_DUMP_BUDGET = 1024 * 1024;
/** Room kept for what follows the triage body (the secondary data: dumpkit's page-class counts). */
const AFTER_BODY_RESERVE = 0x4000;
/** Candidate pages looked at for data blocks (bounds the time on a hostile stack). */
const MAX_CANDIDATE_PAGES = 4096;
const KERNEL_SPACE = 0xffff800000000000n;
const PAGE = 0x1000n;
/** CONTEXT offsets of Rax..R15 (16 registers, 8 bytes apart) and Rip. */
const GPR_FIRST = AMD64_CONTEXT.Rax;
const GPR_COUNT = 16;

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
  const objects = [
    { va: thread, size: sizeEThread },
    { va: process, size: sizeEProcess },
    { va: prcb, size: sizePrcb },
  ];
  spec.dataBlocks = await referencedPages(vm, ctx, spec, objects, SMALL_DUMP_BUDGET - bodyBytesWithoutBlocks(spec) - AFTER_BODY_RESERVE);
  return { spec, crashCpu, prcb, thread, process };
}

/** An upper estimate of the small dump without data blocks: header, triage structures, copies, stack, driver lists. */
function bodyBytesWithoutBlocks(s: TriageDumpSpec): number {
  const names = s.drivers.reduce((n, d) => n + 8 + 2 * (d.name.length + 1), 0);
  return (
    0x2000 + 0x1000 + (s.prcb?.length ?? 0) + (s.process?.length ?? 0) + (s.thread?.length ?? 0) + s.stack.bytes.length + (s.debuggerData?.length ?? 0) +
    s.drivers.length * 0x90 + names + (s.unloadedDrivers?.length ?? 0) * 0x38 + 8 * 0x10 // alignment slack
  );
}

/**
 * Data blocks as Windows adds them to a small dump: the memory the crashing context references —
 * the thread, process and KPRCB objects (readable by VA), then the pages the registers point into,
 * then the pages the stack's values point into, nearest the stack pointer first. Kernel pages only,
 * whole 4 KiB pages, none that the stack copy already holds, pages the source lacks skipped, until
 * `budget` bytes (with the 16-byte TRIAGE_DATA_BLOCK entry of each block) are used. Adjacent pages
 * become one block.
 */
async function referencedPages(
  vm: VirtualReader,
  ctx: DataView,
  spec: TriageDumpSpec,
  objects: { va: bigint; size: number }[],
  budget: number,
): Promise<{ va: bigint; bytes: Uint8Array }[]> {
  const stackLo = spec.stack.topOfStack & ~(PAGE - 1n);
  const stackHi = spec.stack.topOfStack + BigInt(spec.stack.bytes.length);
  const candidates: bigint[] = [];
  const seen = new Set<bigint>();
  const consider = (va: bigint): void => {
    const page = va & ~(PAGE - 1n);
    if (va < KERNEL_SPACE || seen.has(page) || candidates.length >= MAX_CANDIDATE_PAGES) return;
    seen.add(page);
    if (page + PAGE > stackLo && page < stackHi) return; // the stack copy holds it
    candidates.push(page);
  };
  for (const o of objects) for (let p = o.va & ~(PAGE - 1n); p < o.va + BigInt(o.size); p += PAGE) consider(p);
  for (let i = 0; i < GPR_COUNT; i++) consider(ctx.getBigUint64(GPR_FIRST + 8 * i, true));
  consider(ctx.getBigUint64(AMD64_CONTEXT.Rip, true));
  const stack = new DataView(spec.stack.bytes.buffer, spec.stack.bytes.byteOffset, spec.stack.bytes.byteLength);
  for (let off = 0; off + 8 <= stack.byteLength; off += 8) consider(stack.getBigUint64(off, true));

  const pages: { va: bigint; bytes: Uint8Array }[] = [];
  let used = 0;
  for (const va of candidates) {
    if (used + 0x1000 + 0x10 > budget) break;
    let bytes: Uint8Array;
    try {
      bytes = await vm.read(va, 0x1000);
    } catch (e) {
      onlyDumpError(e); // not mapped, or not in the source: Windows would not have it either
      continue;
    }
    pages.push({ va, bytes });
    used += 0x1000 + 0x10;
  }
  // one block per run of adjacent pages
  pages.sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
  const blocks: { va: bigint; bytes: Uint8Array }[] = [];
  for (const p of pages) {
    const last = blocks[blocks.length - 1];
    if (last && last.va + BigInt(last.bytes.length) === p.va) {
      const joined = new Uint8Array(last.bytes.length + p.bytes.length);
      joined.set(last.bytes);
      joined.set(p.bytes, last.bytes.length);
      last.bytes = joined;
    } else blocks.push({ ...p });
  }
  return blocks;
}
