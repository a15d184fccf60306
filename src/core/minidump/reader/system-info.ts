import type { StructView } from '../../bytes/struct-view.js';
import { DumpError } from '../../errors.js';
import { MINIDUMP_SYSTEM_INFO_SIZE, cpuArchOf, osNameOf, type CpuArch, type OsName } from '../constants.js';
import { readMinidumpStringSoft, type StreamContext } from './common.js';

/** MINIDUMP_SYSTEM_INFO (stream 7), 56 bytes. */
export interface MinidumpSystemInfo {
  processorArchitecture: number;
  processorLevel: number;
  processorRevision: number;
  numberOfProcessors: number;
  productType: number;
  majorVersion: number;
  minorVersion: number;
  buildNumber: number;
  platformId: number;
  csdVersionRva: number;
  /** The CSD string (service pack; Breakpad Linux: uname; macOS: build). */
  csdVersion: string | undefined;
  suiteMask: number;
  /** x86/AMD64: CPUID vendor, version, features. */
  cpu: {
    vendorId?: string;
    versionInformation?: number;
    featureInformation?: number;
    amdExtendedCpuFeatures?: number;
    /** Non-x86: ProcessorFeatures[2]. */
    processorFeatures?: [bigint, bigint];
  };
  arch: CpuArch;
  os: OsName;
}

export async function readSystemInfo(ctx: StreamContext, v: StructView): Promise<MinidumpSystemInfo> {
  if (v.length < MINIDUMP_SYSTEM_INFO_SIZE) {
    throw new DumpError('BAD_SIZE', `MINIDUMP_SYSTEM_INFO is ${v.length} bytes, needs ${MINIDUMP_SYSTEM_INFO_SIZE}`, {
      offset: v.fileOffset,
      length: v.length,
    });
  }
  const processorArchitecture = v.u16(0);
  const platformId = v.u32(20);
  const csdVersionRva = v.u32(24);
  const arch = cpuArchOf(processorArchitecture);
  const cpu: MinidumpSystemInfo['cpu'] = {};
  if (arch === 'x86' || arch === 'amd64') {
    const vendor = v.ascii(32, 12);
    // Only a printable 12-character CPUID vendor counts (some writers leave other data here).
    if (/^[\x20-\x7e]{12}$/.test(vendor)) cpu.vendorId = vendor;
    cpu.versionInformation = v.u32(44);
    cpu.featureInformation = v.u32(48);
    cpu.amdExtendedCpuFeatures = v.u32(52);
  } else {
    cpu.processorFeatures = [v.u64(32), v.u64(40)];
  }
  return {
    processorArchitecture,
    processorLevel: v.u16(2),
    processorRevision: v.u16(4),
    numberOfProcessors: v.u8(6),
    productType: v.u8(7),
    majorVersion: v.u32(8),
    minorVersion: v.u32(12),
    buildNumber: v.u32(16),
    platformId,
    csdVersionRva,
    csdVersion: await readMinidumpStringSoft(ctx, csdVersionRva, 'MINIDUMP_SYSTEM_INFO.CSDVersion'),
    suiteMask: v.u16(28),
    cpu,
    arch,
    os: osNameOf(platformId),
  };
}

/**
 * OS version the way Breakpad/rust-minidump report it: "major.minor.build" from the numbers; for Linux
 * Breakpad (numbers 0) the release from the CSD/uname string.
 */
export function osVersionOf(si: MinidumpSystemInfo): string {
  if (si.os === 'linux' || si.os === 'android') {
    const parts = (si.csdVersion ?? '').split(' ');
    if (si.majorVersion === 0 && si.minorVersion === 0 && si.buildNumber === 0 && parts.length > 1 && parts[1]) return parts[1];
  }
  return `${si.majorVersion}.${si.minorVersion}.${si.buildNumber}`;
}

/** Breakpad's cpu_info string: "GenuineIntel family 6 model 13 stepping 8". */
export function cpuInfoOf(si: MinidumpSystemInfo): string | undefined {
  if (si.arch !== 'x86' && si.arch !== 'amd64') return undefined;
  const family = si.processorLevel;
  const model = si.processorRevision >> 8;
  const stepping = si.processorRevision & 0xff;
  const base = `family ${family} model ${model} stepping ${stepping}`;
  // Breakpad prefixes the vendor only for 32-bit x86 (GetCPUVendor), so AMD64 dumps read "family 6 …".
  return si.arch === 'x86' && si.cpu.vendorId ? `${si.cpu.vendorId} ${base}` : base;
}
