import {
  EXCEPTION_ACCESS_VIOLATION,
  EXCEPTION_IN_PAGE_ERROR,
  FastFailCode,
  LinuxSignal,
  MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED,
  MacException,
  MacKernReturn,
  STATUS_STACK_BUFFER_OVERRUN,
  WindowsExceptionCode,
  type CpuArch,
  type OsName,
} from './constants.js';
import type { MinidumpException } from './reader/exception.js';

const hex8 = (n: number) => `0x${n.toString(16).padStart(8, '0')}`;

/** 32-bit targets report 32-bit addresses: drop sign-extension garbage in the high half. */
export function targetAddress(value: bigint, arch: CpuArch | undefined): bigint {
  return arch === 'x86' || arch === 'arm' || arch === 'mips' || arch === 'ppc' || arch === 'sparc' ? value & 0xffffffffn : value;
}

/**
 * Names an exception per the dump's OS: Windows NTSTATUS (access violations refined with _READ/_WRITE/_EXEC,
 * fast-fail with its FAST_FAIL code), Linux/Android signals, macOS/iOS Mach exceptions.
 */
export function exceptionName(ex: MinidumpException, os: OsName): string {
  const code = ex.exceptionCode;
  if (os === 'linux' || os === 'android' || os === 'fuchsia' || os === 'solaris') {
    if (code === MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED) return 'DUMP_REQUESTED';
    return LinuxSignal[code] ?? hex8(code);
  }
  if (os === 'macos' || os === 'ios') return MacException[code] ?? hex8(code);
  const base = WindowsExceptionCode[code];
  if (!base) return hex8(code);
  if ((code === EXCEPTION_ACCESS_VIOLATION || code === EXCEPTION_IN_PAGE_ERROR) && ex.exceptionInformation.length >= 1) {
    const kind = ex.exceptionInformation[0];
    if (kind === 0n) return `${base}_READ`;
    if (kind === 1n) return `${base}_WRITE`;
    if (kind === 8n) return `${base}_EXEC`;
  }
  if (code === STATUS_STACK_BUFFER_OVERRUN && ex.exceptionInformation.length >= 1) {
    const ff = FastFailCode[Number(ex.exceptionInformation[0]! & 0xffffffffn)];
    if (ff) return ff;
  }
  return base;
}

/**
 * Breakpad-style crash reason text: the name, plus the Mach code for macOS ("EXC_BAD_ACCESS /
 * KERN_INVALID_ADDRESS") or the si_code for Linux ("SIGSEGV /0x00000000"), as symbolic's tests pin them.
 */
export function exceptionReason(ex: MinidumpException, os: OsName): string {
  const name = exceptionName(ex, os);
  if (os === 'macos' || os === 'ios') {
    const sub = MacKernReturn[ex.exceptionFlags];
    return sub && name === 'EXC_BAD_ACCESS' ? `${name} / ${sub}` : `${name} / ${hex8(ex.exceptionFlags)}`;
  }
  // Breakpad/symbolic print the si_code right after the slash: "SIGSEGV /0x00000000".
  if (os === 'linux' || os === 'android') return name === 'DUMP_REQUESTED' ? name : `${name} /${hex8(ex.exceptionFlags)}`;
  return name;
}

/**
 * The crash address as Breakpad/rust-minidump report it: for Windows access violations and in-page
 * errors ExceptionInformation[1] (the data address), otherwise ExceptionAddress; 32-bit targets truncated.
 */
export function exceptionAddress(ex: MinidumpException, os: OsName, arch: CpuArch | undefined): bigint {
  const code = ex.exceptionCode;
  let a = ex.exceptionAddress;
  if (os === 'windows' && (code === EXCEPTION_ACCESS_VIOLATION || code === EXCEPTION_IN_PAGE_ERROR) && ex.exceptionInformation.length >= 2) {
    a = ex.exceptionInformation[1]!;
  }
  return targetAddress(a, arch);
}
