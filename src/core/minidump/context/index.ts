import { ContextCpu, ProcessorArchitecture, type OsName } from '../constants.js';
import { parseAmd64Context } from './amd64.js';
import { parseArmContext } from './arm.js';
import { parseArm64Context, parseArm64OldContext } from './arm64.js';
import type { CpuContext } from './types.js';
import { parseX86Context } from './x86.js';

export type { CpuContext } from './types.js';

/**
 * Decodes a CONTEXT record. The layout comes from SystemInfo.ProcessorArchitecture when known,
 * checked against the CPU bits of ContextFlags; without SystemInfo the flags decide.
 * Returns undefined when no layout fits (empty or unknown context).
 */
export function parseContext(bytes: Uint8Array, processorArchitecture: number | undefined, os: OsName = 'unknown'): CpuContext | undefined {
  if (bytes.length < 4) return undefined;
  const dv = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const flags0 = dv.getUint32(0, true);
  const flagsAmd64 = bytes.length >= 0x34 ? dv.getUint32(0x30, true) : 0;
  const P = ProcessorArchitecture;
  switch (processorArchitecture) {
    case P.PROCESSOR_ARCHITECTURE_INTEL:
    case P.PROCESSOR_ARCHITECTURE_IA32_ON_WIN64:
    case P.PROCESSOR_ARCHITECTURE_IA32_ON_ARM64:
      // A 64-bit dbghelp writing a WoW64 process can leave AMD64 contexts here.
      if (flagsAmd64 & ContextCpu.CONTEXT_AMD64 && !(flags0 & ContextCpu.CONTEXT_X86)) return parseAmd64Context(bytes);
      return parseX86Context(bytes);
    case P.PROCESSOR_ARCHITECTURE_AMD64:
      return parseAmd64Context(bytes);
    case P.PROCESSOR_ARCHITECTURE_ARM64:
      return parseArm64Context(bytes);
    case P.PROCESSOR_ARCHITECTURE_ARM64_OLD:
      // Some Breakpad writers use the new layout with the old architecture id: the flags tell.
      if ((flags0 & 0xfff00000) === ContextCpu.CONTEXT_ARM64) return parseArm64Context(bytes);
      return parseArm64OldContext(bytes);
    case P.PROCESSOR_ARCHITECTURE_ARM:
    case P.PROCESSOR_ARCHITECTURE_ARM32_ON_WIN64:
      return parseArmContext(bytes, os === 'macos' || os === 'ios');
    default:
      break;
  }
  // No (usable) SystemInfo: go by the CPU bits of ContextFlags.
  if ((flagsAmd64 & 0xffff0000) === ContextCpu.CONTEXT_AMD64 || (flagsAmd64 & 0xfff00000) === ContextCpu.CONTEXT_AMD64) return parseAmd64Context(bytes);
  const cpu = flags0 & 0xffffff00 & ~0x40;
  if ((cpu & 0xffff0000) === ContextCpu.CONTEXT_X86) return parseX86Context(bytes);
  if ((cpu & 0xfff00000) === ContextCpu.CONTEXT_ARM64) return parseArm64Context(bytes);
  if ((cpu & 0xf0000000) === ContextCpu.CONTEXT_ARM) return parseArmContext(bytes);
  if (bytes.length >= 8 && (dv.getBigUint64(0, true) & 0xffffffffn) >= BigInt(ContextCpu.CONTEXT_ARM64_OLD)) return parseArm64OldContext(bytes);
  return undefined;
}
