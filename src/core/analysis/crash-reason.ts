/**
 * The crash reason by name, with what each of its parameters means: Windows exception codes
 * (NTSTATUS), Linux/Android signals with their si_code, macOS/iOS Mach exceptions with their code.
 * Builds on the names of src/core/minidump/exception-name.ts (which stays the source of the names
 * crash reporters print); this file adds the meanings.
 *
 * Encodings in the minidump Exception stream (the same for Breakpad and Crashpad):
 * - Windows: ExceptionCode = NTSTATUS, ExceptionInformation as the OS filled it.
 * - Linux/Android: ExceptionCode = signal number, ExceptionFlags = si_code, ExceptionAddress = si_addr
 *   (Breakpad's 0xFFFFFFFF = dump requested, no crash).
 * - macOS/iOS: ExceptionCode = Mach exception type, ExceptionFlags = code[0], ExceptionAddress =
 *   code[1] (the faulting address for EXC_BAD_ACCESS); Crashpad's 'CPsx' = simulated (no crash).
 * Sources: Microsoft ntstatus.h / winnt.h and the EXCEPTION_RECORD reference, Linux siginfo.h
 * (asm-generic), Apple xnu mach/exception_types.h, mach/i386/exception.h, mach/arm/exception.h.
 */
import { hex } from '../hex.js';
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
} from '../minidump/constants.js';
import { exceptionName, targetAddress } from '../minidump/exception-name.js';
import type { MinidumpException } from '../minidump/reader/exception.js';

/** The facts of one exception, whatever recorded it (minidump Exception stream, EXCEPTION_RECORD64 in a kernel dump). */
export interface ExceptionFacts {
  code: number;
  flags: number;
  /** ExceptionAddress (Windows: where it happened; Linux: si_addr; macOS: code[1]). */
  address: bigint;
  information: bigint[];
}

/** One explained parameter of an exception or bug check. */
export interface ExplainedParameter {
  /** Where the value sits: `ExceptionInformation[1]`, `si_code`, `Parameter 2`… */
  field: string;
  value: bigint;
  /** What the value is, per the public reference. */
  meaning: string;
  /** The value's own name, when it is one of a set (`SEGV_MAPERR`, `DISPATCH_LEVEL`, `FAST_FAIL_FATAL_APP_EXIT`). */
  valueName?: string;
}

export type AccessKind = 'read' | 'write' | 'execute';

export interface CrashReason {
  /** As crash reporters print it (Breakpad/rust-minidump): `EXCEPTION_ACCESS_VIOLATION_WRITE`, `SIGSEGV`, `EXC_BAD_ACCESS`, `FAST_FAIL_FATAL_APP_EXIT`. */
  name: string;
  code: number;
  /** The code's own name when `name` refines it (`EXCEPTION_ACCESS_VIOLATION` for `…_WRITE`). */
  codeName?: string;
  /** si_code / Mach code / FAST_FAIL code by name. */
  subcode?: { value: number; name?: string };
  /** One sentence saying what happened. */
  description: string;
  parameters: ExplainedParameter[];
  /** The data address the fault is about (access violation target, si_addr, Mach subcode), when there is one. */
  faultAddress?: bigint;
  access?: AccessKind;
  /** False for "dump requested" / simulated exceptions: the process did not crash. */
  crashed: boolean;
}

/** The exception of a minidump as ExceptionFacts. */
export function exceptionFacts(ex: MinidumpException): ExceptionFacts {
  return { code: ex.exceptionCode, flags: ex.exceptionFlags, address: ex.exceptionAddress, information: ex.exceptionInformation };
}

const asMinidumpException = (f: ExceptionFacts): MinidumpException => ({
  threadId: 0,
  exceptionCode: f.code,
  exceptionFlags: f.flags,
  exceptionRecord: 0n,
  exceptionAddress: f.address,
  numberParameters: f.information.length,
  exceptionInformation: f.information,
  threadContext: { dataSize: 0, rva: 0 },
});

/** NTSTATUS values that show up as the I/O status of an in-page error (ExceptionInformation[2]). */
export const NtStatusName: Readonly<Record<number, string>> = {
  0xc000000e: 'STATUS_NO_SUCH_DEVICE',
  0xc0000011: 'STATUS_END_OF_FILE',
  0xc0000054: 'STATUS_FILE_LOCK_CONFLICT',
  0xc0000098: 'STATUS_FILE_INVALID',
  0xc000009a: 'STATUS_INSUFFICIENT_RESOURCES',
  0xc000009c: 'STATUS_DEVICE_DATA_ERROR',
  0xc000009d: 'STATUS_DEVICE_NOT_CONNECTED',
  0xc000016a: 'STATUS_DISK_OPERATION_FAILED',
  0xc0000185: 'STATUS_IO_DEVICE_ERROR',
  0xc000020c: 'STATUS_CONNECTION_DISCONNECTED',
  0xc0000102: 'STATUS_FILE_CORRUPT_ERROR',
  0xc0000120: 'STATUS_CANCELLED',
  0xc00000b5: 'STATUS_IO_TIMEOUT',
  0xc000026e: 'STATUS_VOLUME_DISMOUNTED',
};

/** Windows exception codes: one sentence each. */
const WINDOWS_DESCRIPTIONS: Readonly<Record<number, string>> = {
  0x80000001: 'a guard page was touched',
  0x80000002: 'a misaligned data access on hardware that does not do misaligned accesses',
  0x80000003: 'a breakpoint instruction (int 3 / brk / __debugbreak) was executed',
  0x80000004: 'a single-step (trace) trap',
  0xc0000005: 'the thread accessed memory it has no access to',
  0xc0000006: 'a page of a mapped file or the page file could not be brought in (an I/O error behind a memory access)',
  0xc0000008: 'an invalid handle was used',
  0xc000000d: 'an invalid parameter was passed to a function that treats it as fatal',
  0xc000001d: 'an invalid instruction was executed',
  0xc0000025: 'a handler tried to continue from a non-continuable exception',
  0xc0000026: 'an exception handler returned an invalid disposition',
  0xc000008c: 'an array index out of bounds (hardware bounds check)',
  0xc000008e: 'floating-point division by zero',
  0xc0000090: 'an invalid floating-point operation',
  0xc0000091: 'floating-point overflow',
  0xc0000092: 'the x87 floating-point stack over- or underflowed',
  0xc0000093: 'floating-point underflow',
  0xc0000094: 'integer division by zero',
  0xc0000095: 'integer overflow (INTO)',
  0xc0000096: 'a privileged instruction was executed in user mode',
  0xc00000fd: "the thread's stack overflowed (its guard page was hit with no stack left to grow into)",
  0xc0000135: 'a DLL the process needs was not found',
  0xc0000142: 'a DLL failed to initialize',
  0xc0000194: 'a wait on a critical section timed out (possible deadlock)',
  0xc0000374: 'the heap manager found its structures corrupted and stopped the process',
  0xc0000409: 'a fail-fast: the program detected a broken invariant (stack buffer overrun, /GS, CFG, corrupted list…) and ended itself at once, with no handlers run',
  0xc0000417: 'the C runtime was given an invalid parameter and treats it as fatal',
  0xc0000420: 'an assertion failed',
  0xc06d007e: 'a delay-loaded DLL was not found',
  0xc06d007f: 'a delay-loaded function was not found',
  0xe06d7363: 'a C++ exception (throw) was not caught',
  0xe0434352: 'a .NET (CLR) exception was not caught',
  0x406d1388: 'a debugger convention to name a thread, not a crash',
  0x40010005: 'Ctrl+C in a console process',
  0x40010008: 'Ctrl+Break in a console process',
};

/** FAST_FAIL codes: what each means (Microsoft's KERNEL_SECURITY_CHECK_FAILURE reference, which lists the same codes). */
export const FAST_FAIL_MEANINGS: Readonly<Record<number, string>> = {
  0: 'a stack-based buffer was overrun (legacy /GS violation)',
  1: 'VTGuard found an illegal virtual function table',
  2: 'the stack cookie check found a stack-based buffer overrun (/GS violation)',
  3: 'a LIST_ENTRY was corrupted (for example a double remove)',
  4: 'reserved (incorrect stack)',
  5: 'an invalid parameter was passed to a function that considers invalid parameters fatal',
  6: 'the stack cookie was not initialized by the loader',
  7: 'a fatal program exit was requested',
  8: 'a compiler-inserted array bounds check found an illegal index',
  9: 'RtlQueryRegistryValues was called with RTL_QUERY_REGISTRY_DIRECT on an untrusted hive',
  10: 'the indirect call guard (CFG) found an invalid control transfer',
  11: 'the write guard found an invalid memory write',
  12: 'a switch to an invalid fiber context was attempted',
  13: 'an invalid register context was about to be set',
  14: 'the reference count of an object is invalid',
  18: 'a switch to an invalid jmp_buf context was attempted',
  19: 'read-only data was unsafely modified',
  20: 'a cryptographic self-test failed',
  21: 'an invalid exception chain was found',
  22: 'a cryptographic library error occurred',
  23: 'an invalid call was made from within DllMain',
  24: 'an invalid image base address was found',
  25: 'protecting a delay-load import failed',
  26: 'an unsafe extension was called',
  27: 'a deprecated service was invoked',
  28: 'an out-of-bounds buffer access was found',
  29: 'an RTL_BALANCED_NODE tree entry was corrupted',
  37: 'an out-of-range switch jump-table entry was used',
  38: 'a longjmp to an invalid target was attempted',
  39: 'an export-suppressed call target could not be made valid',
};

const accessOf = (kind: bigint): AccessKind | undefined => (kind === 0n ? 'read' : kind === 1n ? 'write' : kind === 8n ? 'execute' : undefined);

const accessMeaning: Record<AccessKind, string> = {
  read: 'read',
  write: 'write',
  execute: 'execute (DEP: data execution prevention)',
};

function windowsReason(f: ExceptionFacts, arch: CpuArch | undefined): CrashReason {
  const code = f.code;
  const info = f.information;
  const name = exceptionName(asMinidumpException(f), 'windows');
  const codeName = WindowsExceptionCode[code];
  const params: ExplainedParameter[] = [];
  const p = (i: number, meaning: string, valueName?: string) => {
    if (i < info.length) params.push({ field: `ExceptionInformation[${i}]`, value: info[i]!, meaning, ...(valueName ? { valueName } : {}) });
  };
  let description = WINDOWS_DESCRIPTIONS[code] ?? (codeName ? codeName : `exception code ${hex(code)}`);
  let faultAddress: bigint | undefined;
  let access: AccessKind | undefined;
  let subcode: CrashReason['subcode'];
  if (code === EXCEPTION_ACCESS_VIOLATION || code === EXCEPTION_IN_PAGE_ERROR) {
    access = info.length >= 1 ? accessOf(info[0]!) : undefined;
    p(0, 'access: 0 = read, 1 = write, 8 = execute (DEP)', access);
    if (info.length >= 2) {
      faultAddress = targetAddress(info[1]!, arch);
      p(1, 'the address that could not be accessed');
    }
    if (code === EXCEPTION_IN_PAGE_ERROR && info.length >= 3) {
      const st = Number(info[2]! & 0xffffffffn);
      p(2, 'the NTSTATUS of the I/O that failed', NtStatusName[st] ?? WindowsExceptionCode[st]);
    }
    const verb = access ? accessMeaning[access] : 'access';
    description =
      code === EXCEPTION_ACCESS_VIOLATION
        ? faultAddress === undefined
          ? 'the thread accessed memory it has no access to (the record does not say which address)'
          : `the thread tried to ${verb} ${hex(faultAddress)} without access to it${faultAddress < 0x10000n ? ' (a null or near-null pointer)' : ''}`
        : `${verb} of ${faultAddress !== undefined ? hex(faultAddress) : 'memory'} needed a page that could not be read in (I/O error${info.length >= 3 ? ` ${hex(Number(info[2]! & 0xffffffffn))}` : ''})`;
  } else if (code === STATUS_STACK_BUFFER_OVERRUN) {
    if (info.length >= 1) {
      const ff = Number(info[0]! & 0xffffffffn);
      subcode = { value: ff, name: FastFailCode[ff] };
      p(0, 'the FAST_FAIL code (__fastfail argument)', FastFailCode[ff]);
      const m = FAST_FAIL_MEANINGS[ff];
      if (m) description = `fail-fast ${FastFailCode[ff] ?? ff}: ${m}`;
    }
  } else if (code === 0xe06d7363) {
    p(0, 'the MSVC EH magic number (0x19930520, 0x19930521 or 0x19930522)');
    p(1, 'address of the thrown C++ object');
    p(2, 'address of its ThrowInfo (the thrown type)');
    p(3, 'base of the module that threw (64-bit: ThrowInfo RVAs are relative to it)');
  } else if (code === 0xc00000fd) {
    p(0, 'reserved');
    p(1, 'the address that hit the guard page');
  } else if (code === 0xc0000374) {
    p(0, 'the heap (HANDLE) whose corruption was found');
  }
  const crashed = code !== 0x406d1388 && code !== 0x40010005 && code !== 0x40010008;
  return {
    name,
    code,
    ...(codeName && codeName !== name ? { codeName } : {}),
    ...(subcode ? { subcode } : {}),
    description,
    parameters: params,
    ...(faultAddress !== undefined ? { faultAddress } : {}),
    ...(access ? { access } : {}),
    crashed,
  };
}

/** si_code values any signal can carry (who sent it). */
const SI_CODE_COMMON: Readonly<Record<number, [string, string]>> = {
  0: ['SI_USER', 'sent by kill() or raise() from a process'],
  0x80: ['SI_KERNEL', 'sent by the kernel'],
  [-1]: ['SI_QUEUE', 'sent by sigqueue()'],
  [-2]: ['SI_TIMER', 'a POSIX timer expired'],
  [-3]: ['SI_MESGQ', 'a POSIX message queue changed state'],
  [-4]: ['SI_ASYNCIO', 'an asynchronous I/O completed'],
  [-5]: ['SI_SIGIO', 'queued SIGIO'],
  [-6]: ['SI_TKILL', 'sent by tkill()/tgkill() (e.g. abort() or pthread_kill)'],
};

/** Per-signal si_code values (asm-generic/siginfo.h). */
const SI_CODES: Readonly<Record<number, Readonly<Record<number, [string, string]>>>> = {
  11: {
    1: ['SEGV_MAPERR', 'the address is not mapped'],
    2: ['SEGV_ACCERR', 'the address is mapped but its permissions forbid the access'],
    3: ['SEGV_BNDERR', 'failed address bound checks (MPX)'],
    4: ['SEGV_PKUERR', 'access denied by memory protection keys'],
    5: ['SEGV_ACCADI', 'ADI not enabled for the mapped object'],
    6: ['SEGV_ADIDERR', 'disrupting MCD error'],
    7: ['SEGV_ADIPERR', 'precise MCD exception'],
    8: ['SEGV_MTEAERR', 'asynchronous ARM MTE tag-check fault'],
    9: ['SEGV_MTESERR', 'synchronous ARM MTE tag-check fault'],
  },
  7: {
    1: ['BUS_ADRALN', 'invalid address alignment'],
    2: ['BUS_ADRERR', 'non-existent physical address (e.g. past the end of a mapped file)'],
    3: ['BUS_OBJERR', 'object-specific hardware error'],
    4: ['BUS_MCEERR_AR', 'hardware memory error consumed on a machine check: action required'],
    5: ['BUS_MCEERR_AO', 'hardware memory error detected in the process but not consumed: action optional'],
  },
  8: {
    1: ['FPE_INTDIV', 'integer divide by zero'],
    2: ['FPE_INTOVF', 'integer overflow'],
    3: ['FPE_FLTDIV', 'floating-point divide by zero'],
    4: ['FPE_FLTOVF', 'floating-point overflow'],
    5: ['FPE_FLTUND', 'floating-point underflow'],
    6: ['FPE_FLTRES', 'floating-point inexact result'],
    7: ['FPE_FLTINV', 'floating-point invalid operation'],
    8: ['FPE_FLTSUB', 'subscript out of range'],
  },
  4: {
    1: ['ILL_ILLOPC', 'illegal opcode'],
    2: ['ILL_ILLOPN', 'illegal operand'],
    3: ['ILL_ILLADR', 'illegal addressing mode'],
    4: ['ILL_ILLTRP', 'illegal trap'],
    5: ['ILL_PRVOPC', 'privileged opcode'],
    6: ['ILL_PRVREG', 'privileged register'],
    7: ['ILL_COPROC', 'coprocessor error'],
    8: ['ILL_BADSTK', 'internal stack error'],
  },
  5: {
    1: ['TRAP_BRKPT', 'process breakpoint'],
    2: ['TRAP_TRACE', 'process trace trap'],
    3: ['TRAP_BRANCH', 'process taken branch trap'],
    4: ['TRAP_HWBKPT', 'hardware breakpoint or watchpoint'],
  },
};

const SIGNAL_DESCRIPTIONS: Readonly<Record<number, string>> = {
  4: 'an illegal instruction was executed',
  5: 'a trace or breakpoint trap (int3, brk, __builtin_trap)',
  6: 'the process aborted itself (abort(), e.g. a failed assert or an uncaught C++ exception)',
  7: 'a bus error: the address is mapped but cannot be backed (misaligned, or past the end of a mapped file)',
  8: 'an arithmetic fault (integer division by zero, overflow, or a floating-point trap)',
  11: 'a segmentation fault: an access to memory the process has no valid mapping for',
  13: 'a write to a pipe or socket with no reader',
  31: 'a bad system call (seccomp filter or invalid syscall number)',
};

/** The fault address si_addr is meaningful for these signals. */
const FAULT_SIGNALS = new Set([4, 5, 7, 8, 11]);

function linuxReason(f: ExceptionFacts, os: OsName, arch: CpuArch | undefined): CrashReason {
  const code = f.code;
  if (code === MD_EXCEPTION_CODE_LIN_DUMP_REQUESTED) {
    return { name: 'DUMP_REQUESTED', code, description: 'the dump was requested by the program (Breakpad WriteMinidump); nothing crashed', parameters: [], crashed: false };
  }
  const name = LinuxSignal[code] ?? hex(code);
  const siCode = f.flags | 0; // si_code is a signed int
  const fault = FAULT_SIGNALS.has(code);
  // Older Breakpad Linux clients did not record si_code and wrote 0, which also reads as SI_USER:
  // for a fault signal 0 is left unnamed rather than said to come from kill().
  const unrecorded = fault && siCode === 0;
  const [siName, siMeaning] = unrecorded
    ? [undefined, '0: SI_USER (sent by kill), or not recorded (older Breakpad clients wrote 0)']
    : (SI_CODES[code]?.[siCode] ?? SI_CODE_COMMON[siCode] ?? [undefined, 'si_code not known to dumpkit']);
  const params: ExplainedParameter[] = [{ field: 'si_code', value: BigInt(siCode), meaning: siMeaning, ...(siName ? { valueName: siName } : {}) }];
  // si_addr: the data address for SIGSEGV/SIGBUS (what Breakpad and rust-minidump call the crash
  // address), the faulting instruction for SIGILL/SIGFPE/SIGTRAP.
  let faultAddress: bigint | undefined;
  if (fault && siCode !== 0x80) {
    const a = targetAddress(f.address, arch);
    const data = code === 11 || code === 7;
    if (data) faultAddress = a;
    params.push({ field: 'si_addr', value: a, meaning: data ? 'the address that could not be accessed' : 'the address of the faulting instruction' });
  }
  let description = SIGNAL_DESCRIPTIONS[code] ?? `signal ${name}`;
  if (siName) description += `: ${siMeaning}`;
  if (code === 11 && faultAddress !== undefined) description += ` at ${hex(faultAddress)}${faultAddress < 0x10000n ? ' (a null or near-null pointer)' : ''}`;
  void os;
  return { name, code, subcode: { value: siCode, ...(siName ? { name: siName } : {}) }, description, parameters: params, ...(faultAddress !== undefined ? { faultAddress } : {}), crashed: true };
}

/** Mach exception codes (code[0]) per exception type and CPU, from xnu's mach/{i386,arm}/exception.h. */
function machCodeName(type: number, codeValue: number, arch: CpuArch | undefined): string | undefined {
  const x86 = arch === 'x86' || arch === 'amd64';
  const arm = arch === 'arm' || arch === 'arm64';
  switch (type) {
    case 1: // EXC_BAD_ACCESS
      if (MacKernReturn[codeValue]) return MacKernReturn[codeValue];
      if (x86 && codeValue === 13) return 'EXC_I386_GPFLT';
      if (arm && codeValue === 0x101) return 'EXC_ARM_DA_ALIGN';
      if (arm && codeValue === 0x102) return 'EXC_ARM_DA_DEBUG';
      return undefined;
    case 2: // EXC_BAD_INSTRUCTION
      if (x86 && codeValue === 1) return 'EXC_I386_INVOP';
      if (arm && codeValue === 1) return 'EXC_ARM_UNDEFINED';
      return undefined;
    case 3: // EXC_ARITHMETIC
      if (x86) return ({ 1: 'EXC_I386_DIV', 2: 'EXC_I386_INTO', 3: 'EXC_I386_NOEXT', 4: 'EXC_I386_EXTOVR', 5: 'EXC_I386_EXTERR', 6: 'EXC_I386_EMERR', 7: 'EXC_I386_BOUND', 8: 'EXC_I386_SSEEXTERR' } as Record<number, string>)[codeValue];
      if (arm) return ({ 1: 'EXC_ARM_FP_IO', 2: 'EXC_ARM_FP_DZ', 3: 'EXC_ARM_FP_OF', 4: 'EXC_ARM_FP_UF', 5: 'EXC_ARM_FP_IX', 6: 'EXC_ARM_FP_ID' } as Record<number, string>)[codeValue];
      return undefined;
    case 5: // EXC_SOFTWARE
      return ({ 0x10000: 'EXC_UNIX_BAD_SYSCALL', 0x10001: 'EXC_UNIX_BAD_PIPE', 0x10002: 'EXC_UNIX_ABORT', 0x10003: 'EXC_SOFT_SIGNAL' } as Record<number, string>)[codeValue];
    case 6: // EXC_BREAKPOINT
      if (x86) return ({ 1: 'EXC_I386_SGL', 2: 'EXC_I386_BPT' } as Record<number, string>)[codeValue];
      if (arm && codeValue === 1) return 'EXC_ARM_BREAKPOINT';
      return undefined;
    default:
      return undefined;
  }
}

const MACH_DESCRIPTIONS: Readonly<Record<number, string>> = {
  1: 'a memory access to an address the task cannot access',
  2: 'an illegal or undefined instruction was executed',
  3: 'an arithmetic fault (division by zero, overflow, floating-point trap)',
  4: 'an emulation instruction was executed',
  5: 'a software exception (an abort, a bad syscall, a signal turned into an exception)',
  6: 'a breakpoint or trace trap (also Swift and __builtin_trap traps)',
  10: 'the process crashed (abnormal exit)',
  11: 'a resource limit was exceeded (CPU, memory, wakeups)',
  12: 'a guarded resource was misused (file descriptor, Mach port)',
  0x43507378: 'a simulated exception: Crashpad wrote the dump on request, nothing crashed',
  0x43506e78: 'an uncaught Objective-C NSException',
};

function machReason(f: ExceptionFacts, arch: CpuArch | undefined): CrashReason {
  const type = f.code;
  const name = MacException[type] ?? hex(type);
  const codeValue = f.flags;
  const codeName = machCodeName(type, codeValue, arch);
  const params: ExplainedParameter[] = [
    { field: 'code[0]', value: BigInt(codeValue), meaning: type === 1 ? 'the kern_return_t of the failed access (or a CPU-specific code)' : 'the exception code', ...(codeName ? { valueName: codeName } : {}) },
  ];
  let faultAddress: bigint | undefined;
  if (type === 1) {
    faultAddress = targetAddress(f.address, arch);
    params.push({ field: 'code[1]', value: faultAddress, meaning: 'the address that could not be accessed' });
  }
  let description = MACH_DESCRIPTIONS[type] ?? `Mach exception ${name}`;
  if (codeName) description += ` (${codeName})`;
  if (faultAddress !== undefined) description += ` at ${hex(faultAddress)}${faultAddress < 0x10000n ? ' (a null or near-null pointer)' : ''}`;
  const crashed = type !== 0x43507378;
  return { name, code: type, subcode: { value: codeValue, ...(codeName ? { name: codeName } : {}) }, description, parameters: params, ...(faultAddress !== undefined ? { faultAddress } : {}), crashed };
}

/** The crash reason of an exception per the dump's OS. */
export function describeException(f: ExceptionFacts, os: OsName, arch?: CpuArch): CrashReason {
  if (os === 'linux' || os === 'android' || os === 'fuchsia' || os === 'solaris') return linuxReason(f, os, arch);
  if (os === 'macos' || os === 'ios') return machReason(f, arch);
  return windowsReason(f, arch);
}
