/**
 * Writer for DumpType 4 (small memory / triage) dumps: header, TRIAGE_DUMP64 and its items in the
 * order Windows lays them out (MM info, unloaded drivers, PRCB, process, thread, stack, KDBG copy,
 * driver list, string pool, data block table and data, 'TRGD'), then secondary data.
 * Mirrors triage.ts. Notes: kernel-dump-format.md §3.
 */
import type { ByteSink } from '../bytes/byte-sink.js';
import { DumpError } from '../errors.js';
import { DUMP_HEADER64 } from './header.js';
import { LIMITS } from './limits.js';
import { KLDR_DATA_TABLE_ENTRY } from './offsets.js';
import {
  DUMP_DRIVER_ENTRY64,
  DUMP_MM_STORAGE64,
  DUMP_UNLOADED_DRIVERS64,
  TRIAGE_DATA_BLOCK64,
  TRIAGE_DUMP64,
  TRIAGE_VALID,
} from './triage.js';

export interface TriageDriver {
  base: bigint;
  size: number;
  /** Base name, e.g. "ntoskrnl.exe". */
  name: string;
  /** Full path; default `\SystemRoot\system32\drivers\<name>` (ntoskrnl/hal: `\SystemRoot\system32\<name>`). */
  fullName?: string;
  entryPoint?: bigint;
  checkSum?: number;
  timeDateStamp?: number;
}

export interface TriageUnloadedDriver {
  name: string;
  start: bigint;
  end: bigint;
}

export interface TriageDumpSpec {
  /** Crashing thread's kernel stack: lowest captured VA (RSP at KeBugCheckEx) and its bytes. */
  stack: { topOfStack: bigint; bytes: Uint8Array };
  /** Loaded drivers, kernel image first. */
  drivers: TriageDriver[];
  unloadedDrivers?: TriageUnloadedDriver[];
  /** Raw copies: _KPRCB (SizePrcb bytes), _EPROCESS (SizeEProcess), _ETHREAD (SizeEThread). */
  prcb?: Uint8Array;
  process?: Uint8Array;
  thread?: Uint8Array;
  /** A decrypted KDDEBUGGER_DATA64 copy. */
  debuggerData?: Uint8Array;
  /** Extra virtual memory ranges (TRIAGE_DATA_BLOCK). */
  dataBlocks?: { va: bigint; bytes: Uint8Array }[];
  /** Default 0xFFFFFFFF as in Windows-written files. */
  triageOptions?: number;
}

const align8 = (n: number): number => (n + 7) & ~7;

/** Lays out and writes header + triage body + secondary data. Returns pages = 0 (no physical pages). */
export async function writeTriageBody(
  sink: ByteSink,
  spec: { triage?: TriageDumpSpec },
  header: Uint8Array,
  secondary: Uint8Array | undefined,
): Promise<{ pages: number }> {
  const t = spec.triage!;
  if (t.drivers.length > LIMITS.maxTriageDrivers) throw new DumpError('INVALID_ARGUMENT', `${t.drivers.length} drivers exceed ${LIMITS.maxTriageDrivers}`);
  const T = TRIAGE_DUMP64;
  const H = DUMP_HEADER64;
  const unloaded = t.unloadedDrivers ?? [];
  const blocks = t.dataBlocks ?? [];

  // layout (absolute offsets)
  let at = H.size + T.size;
  const mmOffset = at;
  at += DUMP_MM_STORAGE64.size;
  const unloadedOffset = at;
  at += 8 + unloaded.length * DUMP_UNLOADED_DRIVERS64.size;
  const place = (b: Uint8Array | undefined): number => {
    if (!b || b.length === 0) return 0;
    const o = at;
    at = align8(at + b.length);
    return o;
  };
  const prcbOffset = place(t.prcb);
  const processOffset = place(t.process);
  const threadOffset = place(t.thread);
  const stackOffset = place(t.stack.bytes);
  const kdbgOffset = place(t.debuggerData);
  const driverListOffset = at;
  at += t.drivers.length * DUMP_DRIVER_ENTRY64.size;
  const stringPoolOffset = at;
  const names = t.drivers.map((d) => d.name);
  const stringOffsets: number[] = [];
  for (const n of names) {
    stringOffsets.push(at);
    at = align8(at + 4 + 2 * n.length + 2);
  }
  const stringPoolSize = at - stringPoolOffset;
  const dataBlocksOffset = at;
  at += blocks.length * TRIAGE_DATA_BLOCK64.size;
  const blockOffsets = blocks.map((b) => {
    const o = at;
    at += b.bytes.length;
    return o;
  });
  at = align8(at);
  const validOffset = at;
  const sizeOfDump = validOffset + 4;

  const body = new Uint8Array(sizeOfDump - H.size);
  const v = new DataView(body.buffer);
  const put = (abs: number, b: Uint8Array | undefined): void => {
    if (b && abs) body.set(b, abs - H.size);
  };
  const u32 = (abs: number, x: number): void => v.setUint32(abs - H.size, x >>> 0, true);
  const u64 = (abs: number, x: bigint): void => v.setBigUint64(abs - H.size, x, true);
  const u16 = (abs: number, x: number): void => v.setUint16(abs - H.size, x, true);

  const th = H.size;
  u32(th + T.ServicePackBuild, 0);
  u32(th + T.SizeOfDump, sizeOfDump);
  u32(th + T.ValidOffset, validOffset);
  u32(th + T.ContextOffset, H.ContextRecord);
  u32(th + T.ExceptionOffset, H.Exception);
  u32(th + T.MmOffset, mmOffset);
  u32(th + T.UnloadedDriversOffset, unloadedOffset);
  u32(th + T.PrcbOffset, prcbOffset);
  u32(th + T.ProcessOffset, processOffset);
  u32(th + T.ThreadOffset, threadOffset);
  u32(th + T.CallStackOffset, stackOffset);
  u32(th + T.SizeOfCallStack, t.stack.bytes.length);
  u32(th + T.DriverListOffset, driverListOffset);
  u32(th + T.DriverCount, t.drivers.length);
  u32(th + T.StringPoolOffset, stringPoolOffset);
  u32(th + T.StringPoolSize, stringPoolSize);
  u32(th + T.BrokenDriverOffset, 0);
  u32(th + T.TriageOptions, t.triageOptions ?? 0xffffffff);
  u64(th + T.TopOfStack, t.stack.topOfStack);
  u32(th + T.DebuggerDataOffset, kdbgOffset);
  u32(th + T.DebuggerDataSize, t.debuggerData?.length ?? 0);
  u32(th + T.DataBlocksOffset, blocks.length ? dataBlocksOffset : 0);
  u32(th + T.DataBlocksCount, blocks.length);

  // DUMP_MM_STORAGE64: Version 1, Size 0x50
  u32(mmOffset, 1);
  u32(mmOffset + 4, DUMP_MM_STORAGE64.size);

  const U = DUMP_UNLOADED_DRIVERS64;
  u64(unloadedOffset, BigInt(unloaded.length));
  unloaded.forEach((d, i) => {
    const e = unloadedOffset + 8 + i * U.size;
    u16(e + U.NameLength, d.name.length * 2);
    u16(e + U.NameMaximumLength, d.name.length * 2);
    for (let c = 0; c < Math.min(d.name.length, U.DriverNameChars); c++) u16(e + U.DriverName + 2 * c, d.name.charCodeAt(c));
    u64(e + U.StartAddress, d.start);
    u64(e + U.EndAddress, d.end);
  });
  put(prcbOffset, t.prcb);
  put(processOffset, t.process);
  put(threadOffset, t.thread);
  put(stackOffset, t.stack.bytes);
  put(kdbgOffset, t.debuggerData);

  const D = DUMP_DRIVER_ENTRY64;
  const K = KLDR_DATA_TABLE_ENTRY;
  t.drivers.forEach((d, i) => {
    const e = driverListOffset + i * D.size;
    u32(e + D.DriverNameOffset, stringOffsets[i]!);
    u64(e + D.DllBase, d.base);
    u64(e + D.EntryPoint, d.entryPoint ?? 0n);
    u32(e + D.SizeOfImage, d.size);
    const full = d.fullName ?? defaultFullName(d.name);
    u16(e + D.FullDllName, full.length * 2);
    u16(e + D.FullDllName + 2, full.length * 2 + 2);
    u16(e + D.BaseDllName, d.name.length * 2);
    u16(e + D.BaseDllName + 2, d.name.length * 2 + 2);
    u32(e + D.Ldr + K.CheckSum, d.checkSum ?? 0);
    u32(e + D.Ldr + K.TimeDateStamp, d.timeDateStamp ?? 0);
    const s = stringOffsets[i]!;
    u32(s, d.name.length);
    for (let c = 0; c < d.name.length; c++) u16(s + 4 + 2 * c, d.name.charCodeAt(c));
  });
  const B = TRIAGE_DATA_BLOCK64;
  blocks.forEach((b, i) => {
    const e = dataBlocksOffset + i * B.size;
    u64(e + B.Address, b.va);
    u32(e + B.Offset, blockOffsets[i]!);
    u32(e + B.Size, b.bytes.length);
    put(blockOffsets[i]!, b.bytes);
  });
  u32(validOffset, TRIAGE_VALID);

  const hv = new DataView(header.buffer, header.byteOffset, header.byteLength);
  hv.setUint32(H.MiniDumpFields, miniDumpFields(t), true);
  hv.setBigUint64(H.RequiredDumpSpace, BigInt(sizeOfDump + (secondary?.length ?? 0)), true);
  await sink.write(header);
  await sink.write(body);
  if (secondary) await sink.write(secondary);
  return { pages: 0 };
}

function defaultFullName(name: string): string {
  const lower = name.toLowerCase();
  return lower === 'ntoskrnl.exe' || lower === 'hal.dll' ? `\\SystemRoot\\system32\\${name}` : `\\SystemRoot\\system32\\drivers\\${name}`;
}

/** TRIAGE_DUMP_* bits for what the spec holds. */
function miniDumpFields(t: TriageDumpSpec): number {
  let f = 0x1 | 0x2 | 0x20 | 0x40 | 0x100; // CONTEXT, EXCEPTION, STACK, DRIVER_LIST, MMINFO
  if (t.prcb?.length) f |= 0x4;
  if (t.process?.length) f |= 0x8;
  if (t.thread?.length) f |= 0x10;
  if (t.debuggerData?.length) f |= 0x400;
  if (t.dataBlocks?.length) f |= 0x800;
  return f;
}
