import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MiscInfoFlags, MiscInfoSize } from '../constants.js';
import type { StreamContext } from './common.js';

/** SYSTEMTIME (16 bytes). */
export interface SystemTime {
  year: number;
  month: number;
  dayOfWeek: number;
  day: number;
  hour: number;
  minute: number;
  second: number;
  milliseconds: number;
}

/** MINIDUMP_MISC_INFO / _2 / _3 / _4 / _5 (stream 15). Fields beyond the version present are undefined. */
export interface MinidumpMiscInfo {
  sizeOfInfo: number;
  /** 1..5 from SizeOfInfo. */
  version: number;
  flags1: number;
  processId?: number;
  processCreateTime?: number;
  processUserTime?: number;
  processKernelTime?: number;
  processorMaxMhz?: number;
  processorCurrentMhz?: number;
  processorMhzLimit?: number;
  processorMaxIdleState?: number;
  processorCurrentIdleState?: number;
  processIntegrityLevel?: number;
  processExecuteFlags?: number;
  protectedProcess?: number;
  timeZoneId?: number;
  timeZone?: {
    bias: number;
    standardName: string;
    standardDate: SystemTime;
    standardBias: number;
    daylightName: string;
    daylightDate: SystemTime;
    daylightBias: number;
  };
  buildString?: string;
  dbgBldStr?: string;
  xstate?: { sizeOfInfo: number; contextSize: number; enabledFeatures: bigint; features: { offset: number; size: number }[] };
  processCookie?: number;
}

function systemTime(v: StructView, off: number): SystemTime {
  return {
    year: v.u16(off),
    month: v.u16(off + 2),
    dayOfWeek: v.u16(off + 4),
    day: v.u16(off + 6),
    hour: v.u16(off + 8),
    minute: v.u16(off + 10),
    second: v.u16(off + 12),
    milliseconds: v.u16(off + 14),
  };
}

export function readMiscInfo(ctx: StreamContext, v: StructView): MinidumpMiscInfo {
  if (v.length < MiscInfoSize.MISC_INFO) {
    throw new DumpError('BAD_SIZE', `MINIDUMP_MISC_INFO is ${v.length} bytes, needs at least 24`, { offset: v.fileOffset, length: v.length });
  }
  const sizeOfInfo = v.u32(0);
  if (sizeOfInfo !== v.length) ctx.diagnostics.add(`MINIDUMP_MISC_INFO: SizeOfInfo ${sizeOfInfo} differs from the stream size ${v.length}`);
  // Use what is actually there: the smaller of the two, rounded down to a known version.
  const avail = Math.min(sizeOfInfo, v.length);
  const version =
    avail >= MiscInfoSize.MISC_INFO_5 ? 5 : avail >= MiscInfoSize.MISC_INFO_4 ? 4 : avail >= MiscInfoSize.MISC_INFO_3 ? 3 : avail >= MiscInfoSize.MISC_INFO_2 ? 2 : 1;
  const flags1 = v.u32(4);
  const F = MiscInfoFlags;
  const m: MinidumpMiscInfo = { sizeOfInfo, version, flags1 };
  if (flags1 & F.MINIDUMP_MISC1_PROCESS_ID) m.processId = v.u32(8);
  if (flags1 & F.MINIDUMP_MISC1_PROCESS_TIMES) {
    m.processCreateTime = v.u32(12);
    m.processUserTime = v.u32(16);
    m.processKernelTime = v.u32(20);
  }
  if (version >= 2 && flags1 & F.MINIDUMP_MISC1_PROCESSOR_POWER_INFO) {
    m.processorMaxMhz = v.u32(24);
    m.processorCurrentMhz = v.u32(28);
    m.processorMhzLimit = v.u32(32);
    m.processorMaxIdleState = v.u32(36);
    m.processorCurrentIdleState = v.u32(40);
  }
  if (version >= 3) {
    if (flags1 & F.MINIDUMP_MISC3_PROCESS_INTEGRITY) m.processIntegrityLevel = v.u32(44);
    if (flags1 & F.MINIDUMP_MISC3_PROCESS_EXECUTE_FLAGS) m.processExecuteFlags = v.u32(48);
    if (flags1 & F.MINIDUMP_MISC3_PROTECTED_PROCESS) m.protectedProcess = v.u32(52);
    if (flags1 & F.MINIDUMP_MISC3_TIMEZONE) {
      m.timeZoneId = v.u32(56);
      m.timeZone = {
        bias: v.i32(60),
        standardName: v.utf16(64, 64),
        standardDate: systemTime(v, 128),
        standardBias: v.i32(144),
        daylightName: v.utf16(148, 64),
        daylightDate: systemTime(v, 212),
        daylightBias: v.i32(228),
      };
    }
  }
  if (version >= 4 && flags1 & F.MINIDUMP_MISC4_BUILDSTRING) {
    m.buildString = v.utf16(232, 520);
    m.dbgBldStr = v.utf16(752, 80);
  }
  if (version >= 5) {
    const features: { offset: number; size: number }[] = [];
    const enabled = v.u64(840);
    for (let i = 0; i < 64; i++) if (enabled & (1n << BigInt(i))) features.push({ offset: v.u32(848 + i * 8), size: v.u32(852 + i * 8) });
    m.xstate = { sizeOfInfo: v.u32(832), contextSize: v.u32(836), enabledFeatures: enabled, features };
    if (flags1 & F.MINIDUMP_MISC5_PROCESS_COOKIE) m.processCookie = v.u32(1360);
  }
  return m;
}
