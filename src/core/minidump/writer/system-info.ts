import { PLATFORM_LINUX, ProcessorArchitecture } from './constants.js';
import { StructBuilder } from './encode.js';
import type { SystemRecord } from './model.js';

export const SYSTEM_INFO_SIZE = 56;

/** MINIDUMP_SYSTEM_INFO for a Linux process (Breakpad convention: versions 0, uname in CSD). */
export function encodeSystemInfo(sys: SystemRecord, csdVersionRva: number): Uint8Array {
  const b = new StructBuilder(SYSTEM_INFO_SIZE);
  b.u16(0, { amd64: ProcessorArchitecture.AMD64, x86: ProcessorArchitecture.X86, arm64: ProcessorArchitecture.ARM64, arm: ProcessorArchitecture.ARM }[sys.arch]);
  b.u16(2, sys.processorLevel).u16(4, sys.processorRevision);
  b.u8(6, Math.min(sys.processorCount, 255)).u8(7, 1);
  b.u32(8, 0).u32(12, 0).u32(16, 0).u32(20, PLATFORM_LINUX).u32(24, csdVersionRva);
  const vendor = (sys.vendorId + '\0'.repeat(12)).slice(0, 12);
  for (let i = 0; i < 12; i++) b.u8(32 + i, vendor.charCodeAt(i) & 0xff);
  b.u32(44, sys.cpuidVersion).u32(48, sys.cpuidFeatures).u32(52, 0);
  return b.bytes;
}
