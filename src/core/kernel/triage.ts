/**
 * DumpType 4, the small memory ("triage") dump: TRIAGE_DUMP64 at 0x2000 (TRIAGE_DUMP32 at
 * 0x1000) with absolute file offsets to the crashing thread's stack, copies of its PRCB, process
 * and thread, the driver list with a string pool, unloaded drivers, the debugger data block and
 * data blocks of virtual memory. Notes: kernel-dump-format.md §3.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { readStruct, StructView } from '../bytes/struct-view.js';
import type { Diagnostics } from '../diagnostics.js';
import { DumpError, onlyDumpError } from '../errors.js';
import { hex } from '../hex.js';
import { LIMITS, readPieces } from './limits.js';
import { EPROCESS, ETHREAD } from './offsets.js';

export const TRIAGE_DUMP64 = {
  size: 0x80,
  ServicePackBuild: 0x0,
  SizeOfDump: 0x4,
  ValidOffset: 0x8,
  ContextOffset: 0xc,
  ExceptionOffset: 0x10,
  MmOffset: 0x14,
  UnloadedDriversOffset: 0x18,
  PrcbOffset: 0x1c,
  ProcessOffset: 0x20,
  ThreadOffset: 0x24,
  CallStackOffset: 0x28,
  SizeOfCallStack: 0x2c,
  DriverListOffset: 0x30,
  DriverCount: 0x34,
  StringPoolOffset: 0x38,
  StringPoolSize: 0x3c,
  BrokenDriverOffset: 0x40,
  TriageOptions: 0x44,
  TopOfStack: 0x48,
  BStoreOffset: 0x50,
  SizeOfBStore: 0x54,
  LimitOfBStore: 0x58,
  DataPageAddress: 0x60,
  DataPageOffset: 0x68,
  DataPageSize: 0x6c,
  DebuggerDataOffset: 0x70,
  DebuggerDataSize: 0x74,
  DataBlocksOffset: 0x78,
  DataBlocksCount: 0x7c,
} as const;

/** TRIAGE_DUMP32: the same u32 fields up to TriageOptions, then u32 fields from 0x48. */
export const TRIAGE_DUMP32 = {
  size: 0x68,
  TopOfStack: 0x48,
  DataPageAddress: 0x4c,
  DataPageOffset: 0x50,
  DataPageSize: 0x54,
  DebuggerDataOffset: 0x58,
  DebuggerDataSize: 0x5c,
  DataBlocksOffset: 0x60,
  DataBlocksCount: 0x64,
} as const;

/** 'TRGD' at ValidOffset. */
export const TRIAGE_VALID = 0x44475254;
export const DUMP_DRIVER_ENTRY64 = { size: 0x90, DriverNameOffset: 0x0, Ldr: 0x8, DllBase: 0x38, EntryPoint: 0x40, SizeOfImage: 0x48, FullDllName: 0x50, BaseDllName: 0x60, CheckSum: 0x80, TimeDateStamp: 0x88 } as const;
export const DUMP_UNLOADED_DRIVERS64 = { size: 0x38, NameLength: 0x0, NameMaximumLength: 0x2, NameBuffer: 0x8, DriverName: 0x10, DriverNameChars: 12, StartAddress: 0x28, EndAddress: 0x30 } as const;
export const TRIAGE_DATA_BLOCK64 = { size: 0x10, Address: 0x0, Offset: 0x8, Size: 0xc } as const;
export const DUMP_MM_STORAGE64 = { size: 0x50 } as const;

export const TRIAGE_DUMP_FIELDS: Record<number, string> = {
  0x1: 'CONTEXT',
  0x2: 'EXCEPTION',
  0x4: 'PRCB',
  0x8: 'PROCESS',
  0x10: 'THREAD',
  0x20: 'STACK',
  0x40: 'DRIVER_LIST',
  0x80: 'BROKEN_DRIVER',
  0x100: 'MMINFO',
  0x200: 'DATAPAGE',
  0x400: 'DEBUGGER_DATA',
  0x800: 'DATA_BLOCKS',
};

export interface TriageDriverEntry {
  base: bigint;
  size: number;
  name: string;
  entryPoint: bigint;
  checkSum: number;
  timeDateStamp: number;
}

export interface TriageRegion {
  va: bigint;
  offset: number;
  size: number;
  what: 'stack' | 'data block' | 'debugger data' | 'data page';
}

export interface TriageHeader {
  sizeOfDump: number;
  validOffset: number;
  contextOffset: number;
  exceptionOffset: number;
  mmOffset: number;
  unloadedDriversOffset: number;
  prcbOffset: number;
  processOffset: number;
  threadOffset: number;
  callStackOffset: number;
  sizeOfCallStack: number;
  driverListOffset: number;
  driverCount: number;
  stringPoolOffset: number;
  stringPoolSize: number;
  triageOptions: number;
  topOfStack: bigint;
  dataPageAddress: bigint;
  dataPageOffset: number;
  dataPageSize: number;
  debuggerDataOffset: number;
  debuggerDataSize: number;
  dataBlocksOffset: number;
  dataBlocksCount: number;
}

export function parseTriageHeader(v: StructView, is64: boolean): TriageHeader {
  const T = TRIAGE_DUMP64;
  const T32 = TRIAGE_DUMP32;
  const common = {
    sizeOfDump: v.u32(T.SizeOfDump),
    validOffset: v.u32(T.ValidOffset),
    contextOffset: v.u32(T.ContextOffset),
    exceptionOffset: v.u32(T.ExceptionOffset),
    mmOffset: v.u32(T.MmOffset),
    unloadedDriversOffset: v.u32(T.UnloadedDriversOffset),
    prcbOffset: v.u32(T.PrcbOffset),
    processOffset: v.u32(T.ProcessOffset),
    threadOffset: v.u32(T.ThreadOffset),
    callStackOffset: v.u32(T.CallStackOffset),
    sizeOfCallStack: v.u32(T.SizeOfCallStack),
    driverListOffset: v.u32(T.DriverListOffset),
    driverCount: v.u32(T.DriverCount),
    stringPoolOffset: v.u32(T.StringPoolOffset),
    stringPoolSize: v.u32(T.StringPoolSize),
    triageOptions: v.u32(T.TriageOptions),
  };
  if (is64) {
    return {
      ...common,
      topOfStack: v.u64(T.TopOfStack),
      dataPageAddress: v.u64(T.DataPageAddress),
      dataPageOffset: v.u32(T.DataPageOffset),
      dataPageSize: v.u32(T.DataPageSize),
      debuggerDataOffset: v.u32(T.DebuggerDataOffset),
      debuggerDataSize: v.u32(T.DebuggerDataSize),
      dataBlocksOffset: v.u32(T.DataBlocksOffset),
      dataBlocksCount: v.u32(T.DataBlocksCount),
    };
  }
  return {
    ...common,
    topOfStack: BigInt(v.u32(T32.TopOfStack)),
    dataPageAddress: BigInt(v.u32(T32.DataPageAddress)),
    dataPageOffset: v.u32(T32.DataPageOffset),
    dataPageSize: v.u32(T32.DataPageSize),
    debuggerDataOffset: v.u32(T32.DebuggerDataOffset),
    debuggerDataSize: v.u32(T32.DebuggerDataSize),
    dataBlocksOffset: v.u32(T32.DataBlocksOffset),
    dataBlocksCount: v.u32(T32.DataBlocksCount),
  };
}

/** A DUMP_STRING: u32 length in UTF-16 units, text, NUL. */
async function readDumpString(source: ByteSource, off: number): Promise<string> {
  const n = (await readStruct(source, off, 4, 'DUMP_STRING')).u32(0);
  if (n === 0 || n === 0xffffffff) return '';
  if (n > LIMITS.maxStringChars) throw new DumpError('COUNT_TOO_LARGE', `DUMP_STRING length ${n} exceeds ${LIMITS.maxStringChars}`, { offset: off, length: 4 });
  return (await readStruct(source, off + 4, n * 2, 'DUMP_STRING')).utf16(0, n * 2);
}

function inFile(source: ByteSource, off: number, len: number, what: string, at: number): void {
  if (off + len > source.size) {
    throw new DumpError('OUT_OF_BOUNDS', `${what} at ${hex(off)} (${len} bytes) lies outside the file (${hex(source.size)} bytes)`, { offset: at, length: 4 });
  }
}

export interface CrashingThread {
  processName?: string;
  pid?: bigint;
  tid?: bigint;
}

export class TriageDump {
  private constructor(
    private readonly source: ByteSource,
    readonly header: TriageHeader,
    readonly is64: boolean,
    readonly drivers: TriageDriverEntry[],
    readonly unloadedDrivers: { name: string; start: bigint; end: bigint }[],
    /** Virtual memory held by the file, sorted by VA. */
    readonly regions: TriageRegion[],
  ) {}

  static async open(source: ByteSource, headerSize: number, is64: boolean, kdDebuggerDataBlock: bigint | undefined, diag: Diagnostics): Promise<TriageDump> {
    const at = headerSize;
    const size = is64 ? TRIAGE_DUMP64.size : TRIAGE_DUMP32.size;
    const h = parseTriageHeader(await readStruct(source, at, size, is64 ? 'TRIAGE_DUMP64' : 'TRIAGE_DUMP32'), is64);
    if (h.validOffset + 4 <= source.size) {
      const valid = (await readStruct(source, h.validOffset, 4, 'TRIAGE_DUMP valid marker')).u32(0);
      if (valid !== TRIAGE_VALID) diag.add(`TRIAGE_DUMP ValidOffset ${hex(h.validOffset)} does not hold 'TRGD'`);
    } else diag.add(`TRIAGE_DUMP ValidOffset ${hex(h.validOffset)} is past the end of the file (truncated dump?)`);

    const drivers: TriageDriverEntry[] = [];
    if (h.driverCount > LIMITS.maxTriageDrivers) throw new DumpError('COUNT_TOO_LARGE', `DriverCount ${h.driverCount} exceeds ${LIMITS.maxTriageDrivers}`, { offset: at + 0x34, length: 4 });
    if (h.driverCount > 0 && is64) {
      const D = DUMP_DRIVER_ENTRY64;
      inFile(source, h.driverListOffset, h.driverCount * D.size, 'driver list', at + 0x30);
      const list = await readStruct(source, h.driverListOffset, h.driverCount * D.size, 'DUMP_DRIVER_ENTRY64[]');
      for (let i = 0; i < h.driverCount; i++) {
        const e = list.sub(i * D.size, D.size);
        let name = '';
        try {
          name = await readDumpString(source, e.u32(D.DriverNameOffset));
        } catch (err) {
          diag.add(`driver ${i}: name not readable: ${onlyDumpError(err).message}`);
        }
        drivers.push({
          base: e.u64(D.DllBase),
          size: e.u32(D.SizeOfImage),
          name,
          entryPoint: e.u64(D.EntryPoint),
          checkSum: e.u32(D.CheckSum),
          timeDateStamp: e.u32(D.TimeDateStamp),
        });
      }
    } else if (h.driverCount > 0) diag.add('32-bit triage driver entries are not decoded (their layout is not documented in the notes)');

    const unloaded: { name: string; start: bigint; end: bigint }[] = [];
    if (h.unloadedDriversOffset && is64 && h.unloadedDriversOffset + 8 <= source.size) {
      const U = DUMP_UNLOADED_DRIVERS64;
      const count = (await readStruct(source, h.unloadedDriversOffset, 8, 'unloaded driver count')).u64n(0);
      if (count > LIMITS.maxUnloadedDrivers) throw new DumpError('COUNT_TOO_LARGE', `unloaded driver count ${count} exceeds ${LIMITS.maxUnloadedDrivers}`, { offset: h.unloadedDriversOffset, length: 8 });
      const list = await readStruct(source, h.unloadedDriversOffset + 8, count * U.size, 'DUMP_UNLOADED_DRIVERS64[]');
      for (let i = 0; i < count; i++) {
        const e = list.sub(i * U.size, U.size);
        const chars = Math.min(e.u16(U.NameLength) >> 1, U.DriverNameChars);
        unloaded.push({ name: e.utf16(U.DriverName, chars * 2), start: e.u64(U.StartAddress), end: e.u64(U.EndAddress) });
      }
    }

    const regions: TriageRegion[] = [];
    if (h.sizeOfCallStack) {
      inFile(source, h.callStackOffset, h.sizeOfCallStack, 'call stack', at + 0x28);
      regions.push({ va: h.topOfStack, offset: h.callStackOffset, size: h.sizeOfCallStack, what: 'stack' });
    }
    if (h.dataPageSize && h.dataPageOffset) {
      inFile(source, h.dataPageOffset, h.dataPageSize, 'data page', at);
      regions.push({ va: h.dataPageAddress, offset: h.dataPageOffset, size: h.dataPageSize, what: 'data page' });
    }
    if (h.debuggerDataSize && h.debuggerDataOffset && kdDebuggerDataBlock !== undefined) {
      inFile(source, h.debuggerDataOffset, h.debuggerDataSize, 'debugger data', at + 0x70);
      regions.push({ va: kdDebuggerDataBlock, offset: h.debuggerDataOffset, size: h.debuggerDataSize, what: 'debugger data' });
    }
    if (h.dataBlocksCount > LIMITS.maxDataBlocks) throw new DumpError('COUNT_TOO_LARGE', `DataBlocksCount ${h.dataBlocksCount} exceeds ${LIMITS.maxDataBlocks}`, { offset: at + 0x7c, length: 4 });
    if (h.dataBlocksCount) {
      const entry = is64 ? TRIAGE_DATA_BLOCK64.size : 12;
      inFile(source, h.dataBlocksOffset, h.dataBlocksCount * entry, 'data block table', at + 0x78);
      const t = await readStruct(source, h.dataBlocksOffset, h.dataBlocksCount * entry, 'TRIAGE_DATA_BLOCK[]');
      for (let i = 0; i < h.dataBlocksCount; i++) {
        const o = i * entry;
        const va = is64 ? t.u64(o) : BigInt(t.u32(o));
        const offset = is64 ? t.u32(o + 8) : t.u32(o + 4);
        const sz = is64 ? t.u32(o + 12) : t.u32(o + 8);
        if (offset + sz > source.size) {
          diag.add(`data block ${i} (${hex(va)}, ${sz} bytes at ${hex(offset)}) lies outside the file; ignored`);
          continue;
        }
        regions.push({ va, offset, size: sz, what: 'data block' });
      }
    }
    regions.sort((a, b) => (a.va < b.va ? -1 : a.va > b.va ? 1 : 0));
    return new TriageDump(source, h, is64, drivers, unloaded, regions);
  }

  /** The region holding `va`, if any (binary search; overlapping blocks: the first by VA wins). */
  regionAt(va: bigint): TriageRegion | undefined {
    let lo = 0;
    let hi = this.regions.length - 1;
    let best: TriageRegion | undefined;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      const r = this.regions[mid]!;
      if (r.va <= va) {
        best = r;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (best && va < best.va + BigInt(best.size)) return best;
    // an earlier, larger region may cover va
    for (let i = lo - 2; i >= 0 && i >= lo - 64; i--) {
      const r = this.regions[i]!;
      if (va >= r.va && va < r.va + BigInt(r.size)) return r;
    }
    return undefined;
  }

  /** Reads virtual memory from the stack, data blocks and KDBG copy; LIMIT error elsewhere. */
  async read(va: bigint, length: number, options: { ignoreMissing?: boolean } = {}): Promise<Uint8Array> {
    return readPieces(va, length, async (a, into) => {
      const r = this.regionAt(a);
      if (!r) {
        if (!options.ignoreMissing) {
          throw new DumpError(
            'LIMIT',
            `VA ${hex(a)} is not in this small memory dump: it holds only the listed memory blocks (${this.regions.length} ranges) and the crashing thread's stack ${hex(this.header.topOfStack)}-${hex(this.header.topOfStack + BigInt(this.header.sizeOfCallStack))}`,
          );
        }
        // skip to the next region start or the end
        const next = this.regions.find((x) => x.va > a);
        return next ? Math.min(Number(next.va - a), into.length) : into.length;
      }
      const inR = Number(a - r.va);
      const n = Math.min(r.size - inR, into.length);
      into.set(await this.source.read(r.offset + inR, n));
      return n;
    });
  }

  /** Raw copies: PRCB, process, thread (lengths from the KDBG copy or the gap to the next item). */
  async rawCopy(which: 'prcb' | 'process' | 'thread', length: number): Promise<Uint8Array> {
    const off = which === 'prcb' ? this.header.prcbOffset : which === 'process' ? this.header.processOffset : this.header.threadOffset;
    if (!off) throw new DumpError('MISSING_STREAM', `this small memory dump has no ${which} copy`);
    return this.source.read(off, Math.min(length, this.source.size - off));
  }

  /** Crashing process and thread facts from the raw copies (x64 19041 offsets). */
  async crashingThread(): Promise<CrashingThread> {
    const out: CrashingThread = {};
    if (!this.is64) return out;
    if (this.header.processOffset && this.header.processOffset + EPROCESS.size <= this.source.size) {
      const p = new StructView(await this.rawCopy('process', EPROCESS.size), this.header.processOffset, 'EPROCESS copy');
      out.processName = p.ascii(EPROCESS.ImageFileName, EPROCESS.ImageFileNameLength);
      out.pid = p.u64(EPROCESS.UniqueProcessId);
    }
    if (this.header.threadOffset && this.header.threadOffset + ETHREAD.size <= this.source.size) {
      const t = new StructView(await this.rawCopy('thread', ETHREAD.size), this.header.threadOffset, 'ETHREAD copy');
      out.tid = t.u64(ETHREAD.CidUniqueThread);
    }
    return out;
  }

  /** The crashing thread's stack bytes. */
  async stack(): Promise<Uint8Array> {
    return this.source.read(this.header.callStackOffset, this.header.sizeOfCallStack);
  }
}
