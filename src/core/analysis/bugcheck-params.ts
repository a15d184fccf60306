/**
 * What the four parameters of a bug check mean, per Microsoft's public "Bug check code reference"
 * (learn.microsoft.com/windows-hardware/drivers/debugger/bug-check-code-reference2, one page per
 * code; the sources are listed in docs/analysis.md). Only the codes below are explained; the others
 * are named (bugcheck-codes.ts) with their parameters shown raw.
 *
 * Each parameter may carry a role that analyze uses: a code address (looked up in the driver list),
 * a data address, or a pointer to an EXCEPTION_RECORD / CONTEXT / KTRAP_FRAME to read from the dump.
 */
import { hex } from '../hex.js';
import { bugCheckName } from '../kernel/bugcheck.js';
import { FastFailCode, WindowsExceptionCode } from '../minidump/constants.js';
import { FAST_FAIL_MEANINGS, type ExplainedParameter } from './crash-reason.js';

export type ParameterRole =
  | 'exception-code'
  | 'code-address'
  | 'data-address'
  | 'exception-record'
  | 'context-record'
  | 'trap-frame'
  | 'irql'
  | 'access'
  | 'trap-number'
  | 'fast-fail'
  | 'subcode'
  | 'page-fault-type'
  | 'process'
  | 'process-or-thread';

interface ParameterSpec {
  meaning: string;
  role?: ParameterRole;
}

interface BugCheckSpec {
  /** One sentence: what the bug check says happened. */
  description: string;
  /** Parameters 1–4 (fixed meanings), or parameter 1 selects a row of `subcodes`. */
  parameters?: [ParameterSpec, ParameterSpec, ParameterSpec, ParameterSpec];
  /** Parameter 1 value → cause and parameters 2–4. */
  subcodes?: Readonly<Record<number, { cause: string; parameters: [ParameterSpec, ParameterSpec, ParameterSpec] }>>;
  /** Parameters 2–4 when parameter 1 is not in `subcodes`. */
  otherSubcode?: string;
}

const reserved: ParameterSpec = { meaning: 'reserved' };
const zero: ParameterSpec = { meaning: '0' };
const s = (meaning: string, role?: ParameterRole): ParameterSpec => (role ? { meaning, role } : { meaning });

const KMODE_EXCEPTION: BugCheckSpec = {
  description: 'a kernel-mode program generated an exception that no handler caught',
  parameters: [
    s('the exception code that was not handled', 'exception-code'),
    s('the address at which the exception occurred', 'code-address'),
    s('parameter 0 of the exception (ExceptionInformation[0])'),
    s('parameter 1 of the exception (ExceptionInformation[1])'),
  ],
};

const SYSTEM_THREAD_EXCEPTION: BugCheckSpec = {
  description: 'a system thread generated an exception that its error handler did not catch',
  parameters: [
    s('the exception code that was not handled', 'exception-code'),
    s('the address where the exception occurred', 'code-address'),
    s('the address of the exception record', 'exception-record'),
    s('the address of the context record', 'context-record'),
  ],
};

const pool = (meaning: string) => s(meaning);

/** Bug check code → meanings. `_M` variants (0x10000000 set) use the base code's entry. */
export const BUGCHECK_PARAMETERS: ReadonlyMap<number, BugCheckSpec> = new Map<number, BugCheckSpec>([
  [
    0x0a,
    {
      description: 'Windows or a kernel-mode driver accessed paged memory at an invalid address while at a raised IRQL (a bad pointer or a pageability problem)',
      parameters: [
        s('the virtual memory address that could not be accessed', 'data-address'),
        s('the IRQL at the time of the fault', 'irql'),
        s('bit field: bit 0 = write (else read), bit 3 = execute', 'access'),
        s('the instruction pointer at the time of the fault', 'code-address'),
      ],
    },
  ],
  [0x1e, KMODE_EXCEPTION],
  [
    0x3b,
    {
      description: 'an exception happened while executing a routine that transitions from non-privileged to privileged code (a system service)',
      parameters: [
        s('the exception that caused the bug check', 'exception-code'),
        s('the address of the instruction that caused the bug check', 'code-address'),
        s('the address of the context record for the exception', 'context-record'),
        zero,
      ],
    },
  ],
  [
    0x50,
    {
      description: 'invalid system memory was referenced (typically a bad address or freed memory)',
      parameters: [
        s('the memory address referenced', 'data-address'),
        s('the operation: 0 = read; 1 or 2 = write (2 on x64 since Windows 10 1507); 8 or 0x10 = execute', 'access'),
        s('the address that referenced memory (if known)', 'code-address'),
        s('the type of page fault', 'page-fault-type'),
      ],
    },
  ],
  [0x7e, SYSTEM_THREAD_EXCEPTION],
  [
    0x7f,
    {
      description: 'the CPU generated a trap that the kernel failed to catch (a bound trap or a double fault, typically a kernel stack overflow or a hardware problem)',
      parameters: [s('the trap number', 'trap-number'), reserved, reserved, reserved],
    },
  ],
  [
    0x9f,
    {
      description: 'a driver is in an inconsistent or invalid power state',
      subcodes: {
        0x1: { cause: 'the device object being freed still has an outstanding power request that it has not completed', parameters: [s('the device object'), reserved, reserved] },
        0x2: {
          cause: 'the device object completed the IRP for the system power state request, but did not call PoStartNextPowerIrp',
          parameters: [s("the target device's device object, if available"), s('the device object'), s('the driver object, if available')],
        },
        0x3: {
          cause: 'a device object has been blocking an IRP for too long a time',
          parameters: [s('the physical device object (PDO) of the stack'), s('nt!TRIAGE_9F_POWER (Windows 7 and later; before, the functional device object)'), s('the blocked IRP')],
        },
        0x4: {
          cause: 'the power state transition timed out waiting to synchronize with the PnP subsystem',
          parameters: [s('the time-out value, in seconds'), s('the thread currently holding the Plug-and-Play (PnP) lock'), s('nt!TRIAGE_9F_PNP')],
        },
        0x5: {
          cause: 'the device failed to complete a directed power transition within the required amount of time',
          parameters: [s('the physical device object of the stack'), s('the POP_FX_DEVICE object'), s('reserved (0)')],
        },
        0x6: {
          cause: 'the device did not complete its directed power transition callback successfully',
          parameters: [s('the POP_FX_DEVICE object'), s('1 = a directed power down completion, 0 = power up'), s('reserved (0)')],
        },
        0x500: {
          cause: 'the device object completed the IRP for the system power state request, but did not call PoStartNextPowerIrp',
          parameters: [reserved, s("the target device's device object, if available"), s('the device object')],
        },
      },
    },
  ],
  [
    0xc2,
    {
      description: 'the current thread is making a bad pool request',
      subcodes: {
        0x00: { cause: 'the current thread requested a zero-byte pool allocation', parameters: [zero, pool('the pool type'), pool('the pool tag')] },
        0x01: { cause: 'the pool header has been corrupted', parameters: [pool('pointer to the pool header'), pool('first part of the pool header contents'), zero] },
        0x02: { cause: 'the pool header has been corrupted', parameters: [pool('pointer to the pool header'), pool('first part of the pool header contents'), zero] },
        0x04: { cause: 'the pool header has been corrupted', parameters: [pool('pointer to the pool header'), pool('first part of the pool header contents'), zero] },
        0x06: { cause: 'the current thread attempted to free pool that was already freed', parameters: [reserved, pool('pointer to the pool header'), pool('the pool header contents')] },
        0x07: { cause: 'the current thread attempted to free pool that was already freed', parameters: [reserved, pool('the pool header contents'), pool('the address of the block of pool being freed')] },
        0x08: { cause: 'the current thread attempted to allocate pool at an invalid IRQL', parameters: [s('the current IRQL', 'irql'), pool('the pool type'), pool('the size of the allocation, in bytes')] },
        0x09: { cause: 'the current thread attempted to free pool at an invalid IRQL', parameters: [s('the current IRQL', 'irql'), pool('the pool type'), pool('the address of the pool')] },
        0x0a: { cause: 'the current thread attempted to free pool memory with the wrong tag (the memory might belong to another component)', parameters: [pool('the address of the pool'), pool("the allocator's tag"), pool('the tag used in the attempted free')] },
        0x0b: { cause: 'the current thread attempted to release a quota on a corrupted pool allocation', parameters: [pool('the address of the pool'), pool("the pool allocation's tag"), pool('the bad quota process pointer')] },
        0x0c: { cause: 'the current thread attempted to release a quota on a corrupted pool allocation', parameters: [pool('the address of the pool'), pool("the pool allocation's tag"), pool('the bad quota process pointer')] },
        0x0d: { cause: 'the current thread attempted to release a quota on a corrupted pool allocation', parameters: [pool('the address of the pool'), pool("the pool allocation's tag"), pool('the bad quota process pointer')] },
        0x40: { cause: 'the current thread attempted to free kernel pool at a user-mode address', parameters: [pool('the starting address'), pool('the start of system address space'), zero] },
        0x41: { cause: 'the current thread attempted to free a non-allocated nonpaged pool address', parameters: [pool('the starting address'), pool('the physical page frame'), pool('the highest physical page frame')] },
        0x42: { cause: 'the current thread attempted to free a virtual address that was never in any pool', parameters: [pool('the address being freed'), zero, zero] },
        0x43: { cause: 'the current thread attempted to free a virtual address that was never in any pool', parameters: [pool('the address being freed'), zero, zero] },
        0x44: { cause: 'the current thread attempted to free a non-allocated nonpaged pool address', parameters: [pool('the starting address'), reserved, zero] },
        0x46: { cause: 'the current thread attempted to free an invalid pool address', parameters: [pool('the starting address'), zero, zero] },
        0x47: { cause: 'the current thread attempted to free a non-allocated nonpaged pool address', parameters: [pool('the starting address'), pool('the physical page frame'), pool('the highest physical page frame')] },
        0x48: { cause: 'the current thread attempted to free a non-allocated paged pool address', parameters: [pool('the starting address'), reserved, reserved] },
        0x50: { cause: 'the current thread attempted to free a non-allocated paged pool address', parameters: [pool('the starting address'), pool('the start offset, in pages, from the beginning of paged pool'), pool('the size of paged pool, in bytes')] },
        0x60: { cause: 'the current thread attempted to free an invalid contiguous memory address (the caller of MmFreeContiguousMemory passed a bad pointer)', parameters: [pool('the starting address'), zero, zero] },
        0x99: { cause: 'the current thread attempted to free pool with an invalid address (or the pool header is corrupted)', parameters: [pool('the address being freed'), zero, zero] },
        0x9a: { cause: 'the current thread marked an allocation request MUST_SUCCEED (no longer supported)', parameters: [pool('the pool type'), pool('the number of bytes requested'), pool('the pool tag')] },
        0x9b: { cause: 'the current thread attempted to allocate pool with a tag of 0', parameters: [pool('the pool type'), pool('the number of bytes requested'), s("the caller's address", 'code-address')] },
        0x9c: { cause: 'the current thread attempted to allocate pool with a tag of "BIG"', parameters: [pool('the pool type'), pool('the number of bytes requested'), s("the caller's address", 'code-address')] },
        0x9d: { cause: 'the current thread attempted to allocate pool with a tag that contains no letters or digits', parameters: [pool('the incorrect pool tag used'), pool('the pool type'), s("the caller's address", 'code-address')] },
        0x41286: { cause: 'the current thread attempted to free a paged pool address in the middle of an allocation', parameters: [reserved, reserved, pool('the start offset from the beginning of paged pool, in pages')] },
      },
    },
  ],
  [
    0xd1,
    {
      description: 'a kernel-mode driver accessed pageable (or invalid) memory while at a raised IRQL',
      parameters: [
        s('the memory referenced', 'data-address'),
        s('the IRQL at the time of the reference', 'irql'),
        s('0 = read, 1 = write, 2 or 8 = execute', 'access'),
        s('the address that referenced memory', 'code-address'),
      ],
    },
  ],
  [
    0xef,
    {
      description: 'a critical system process died (csrss.exe, wininit.exe, smss.exe, services.exe, winlogon.exe…)',
      parameters: [s('the process object', 'process'), s('0 = a process died, 1 = a thread died', 'process-or-thread'), reserved, reserved],
    },
  ],
  [
    0x133,
    {
      description: 'the DPC watchdog fired: a single DPC or ISR ran too long, or the processor spent too long at DISPATCH_LEVEL or above',
      subcodes: {
        0: { cause: 'a single DPC or ISR exceeded its time allotment (the offending component is usually on the stack)', parameters: [s('the DPC time count (in ticks)'), s('the DPC time allotment (in ticks)'), reserved] },
        1: { cause: 'the system cumulatively spent an extended period of time at IRQL DISPATCH_LEVEL or above', parameters: [s('the watchdog period'), reserved, reserved] },
      },
    },
  ],
  [
    0x139,
    {
      description: 'the kernel detected the corruption of a critical data structure (a fail-fast)',
      parameters: [
        s('the type of corruption (a FAST_FAIL code)', 'fast-fail'),
        s('the address of the trap frame for the exception that caused the bug check', 'trap-frame'),
        s('the address of the exception record for the exception that caused the bug check', 'exception-record'),
        reserved,
      ],
    },
  ],
  [0x161, { description: 'the system administrator requested the collection of a live system memory dump (the system did not crash)', parameters: [reserved, reserved, reserved, reserved] }],
  [
    0x1c8,
    {
      description: 'the system was configured to bug check when the power button is held, and it was held: a diagnostic dump taken before a likely hard reset',
      parameters: [s('the time in milliseconds the power button was held down'), s('pointer to nt!_POP_POWER_BUTTON_TRIAGE_BLOCK'), reserved, reserved],
    },
  ],
]);

/** Names of the x86/x64 trap numbers of bug check 0x7F (Microsoft's reference, Intel's vector names). */
export const TRAP_NUMBER_NAMES: Readonly<Record<number, [string, string]>> = {
  0x0: ['Divide Error', 'a DIV instruction was executed with a zero divisor'],
  0x1: ['Debug', 'a system-debugger call (single step) with no debugger attached'],
  0x3: ['Breakpoint', 'a debugger breakpoint with no debugger attached'],
  0x4: ['Overflow', 'INTO was executed with the overflow flag set'],
  0x5: ['Bounds Check Fault', 'a BOUND instruction found its operand out of range'],
  0x6: ['Invalid Opcode', 'the processor tried to execute an invalid instruction'],
  0x7: ['NPX Not Available', 'a coprocessor instruction with no coprocessor present'],
  0x8: ['Double Fault', 'an exception occurred while calling the handler of a prior exception (typically a kernel stack overflow)'],
  0x9: ['Coprocessor Segment Overrun', 'a coprocessor segment overrun'],
  0xa: ['Invalid TSS', 'a corrupted Task State Segment'],
  0xb: ['Segment Not Present', 'an access to a memory segment that was not present'],
  0xc: ['Stack Fault', 'an access to memory beyond the limits of a stack'],
  0xd: ['General Protection', 'a protection fault not covered by another exception'],
  0xe: ['Page Fault', 'a page fault'],
  0x10: ['x87 FPU Error', 'a floating-point error'],
  0x11: ['Alignment Check', 'a misaligned memory reference with alignment checking on'],
  0x12: ['Machine Check', 'the processor detected an internal or bus error'],
  0x13: ['SIMD Floating-Point', 'a SIMD floating-point exception'],
};

/** Page fault types of bug check 0x50 parameter 4. */
export const PAGE_FAULT_TYPES: Readonly<Record<number, string>> = {
  0x0: 'NONPAGED_BUGCHECK_FREED_PTE',
  0x2: 'NONPAGED_BUGCHECK_NOT_PRESENT_PAGE_TABLE',
  0x3: 'NONPAGED_BUGCHECK_WRONG_SESSION',
  0x4: 'NONPAGED_BUGCHECK_VA_NOT_CANONICAL',
  0xf: 'NONPAGED_BUGCHECK_USER_VA_ACCESS_INCONSISTENT',
};

/** x64 IRQL names (wdm.h). */
export function irqlName(irql: bigint): string | undefined {
  const n = Number(irql);
  if (irql > 15n) return undefined;
  return ['PASSIVE_LEVEL', 'APC_LEVEL', 'DISPATCH_LEVEL'][n] ?? (n === 13 ? 'CLOCK_LEVEL' : n === 14 ? 'IPI_LEVEL' : n === 15 ? 'HIGH_LEVEL' : 'a device IRQL (DIRQL)');
}

export interface BugCheckParameter extends ExplainedParameter {
  /** 1–4, as the bug check screen and WinDbg's Arg1..Arg4 number them. */
  index: number;
  role?: ParameterRole;
}

export interface ExplainedBugCheck {
  code: number;
  name?: string;
  /** WinDbg-style short string: code in hex, plus the parameter that selects the variant (`0x9F_3`, `0x7f_8`, `0x1E_c0000005`). */
  bugCheckString: string;
  description: string;
  /** Parameter 1's row, for codes whose meaning depends on it. */
  cause?: string;
  parameters: BugCheckParameter[];
  /** False when dumpkit has no table for this code (parameters shown raw). */
  explained: boolean;
  /** The access the bug check reports, for memory-access bug checks. */
  access?: 'read' | 'write' | 'execute';
}

function valueNameOf(role: ParameterRole | undefined, code: number, v: bigint): string | undefined {
  const n = Number(v & 0xffffffffn);
  switch (role) {
    case 'exception-code':
      return WindowsExceptionCode[n];
    case 'irql':
      return irqlName(v);
    case 'trap-number':
      return TRAP_NUMBER_NAMES[n]?.[0];
    case 'fast-fail':
      return FastFailCode[n];
    case 'page-fault-type':
      return PAGE_FAULT_TYPES[n];
    case 'process-or-thread':
      return v === 0n ? 'process' : v === 1n ? 'thread' : undefined;
    case 'access':
      return accessOf(code, v);
    default:
      return undefined;
  }
}

function accessOf(code: number, v: bigint): 'read' | 'write' | 'execute' | undefined {
  if (code === 0x0a) return (v & 8n) !== 0n ? 'execute' : (v & 1n) !== 0n ? 'write' : 'read';
  if (code === 0xd1) return v === 0n ? 'read' : v === 1n ? 'write' : v === 2n || v === 8n ? 'execute' : undefined;
  if (code === 0x50) return v === 0n ? 'read' : v === 1n || v === 2n ? 'write' : v === 8n || v === 0x10n ? 'execute' : undefined;
  return undefined;
}

/** The base code of an `_M` variant (0x1000007E → 0x7E); other codes unchanged. */
export function baseBugCheckCode(code: number): number {
  return (code & 0x10000000) !== 0 && BUGCHECK_PARAMETERS.has(code & ~0x10000000) ? code & ~0x10000000 : code;
}

const h = (n: number | bigint) => n.toString(16);

/** The bug check by name, with what each parameter means. */
export function explainBugCheck(code: number, parameters: readonly [bigint, bigint, bigint, bigint]): ExplainedBugCheck {
  const base = baseBugCheckCode(code);
  const spec = BUGCHECK_PARAMETERS.get(base);
  const name = bugCheckName(code);
  const p1 = parameters[0];
  const raw = (i: number, meaning: string, role?: ParameterRole): BugCheckParameter => {
    const value = parameters[i - 1]!;
    const valueName = valueNameOf(role, base, value);
    return { index: i, field: `Parameter ${i}`, value, meaning, ...(role ? { role } : {}), ...(valueName ? { valueName } : {}) };
  };
  const codeText = `0x${h(code).toUpperCase()}`;
  if (!spec) {
    return {
      code,
      ...(name ? { name } : {}),
      bugCheckString: codeText,
      description: name ? `bug check ${name}; dumpkit has no parameter table for it (see Microsoft's bug check code reference)` : `unknown bug check code ${hex(code)}`,
      parameters: [1, 2, 3, 4].map((i) => raw(i, 'not explained by dumpkit')),
      explained: false,
    };
  }
  let list: BugCheckParameter[];
  let cause: string | undefined;
  let bugCheckString = codeText;
  if (spec.subcodes) {
    const row = spec.subcodes[Number(p1 & 0xffffffffn)];
    cause = row?.cause;
    list = [raw(1, row ? `the type of violation: ${row.cause}` : 'the type of violation (a value not in the reference)', 'subcode')];
    if (row) row.parameters.forEach((ps, i) => list.push(raw(i + 2, ps.meaning, ps.role)));
    else for (const i of [2, 3, 4]) list.push(raw(i, 'depends on parameter 1, which dumpkit does not know'));
    bugCheckString = `${codeText}_${h(p1).toUpperCase()}`;
  } else {
    list = spec.parameters!.map((ps, i) => raw(i + 1, ps.meaning, ps.role));
    if (base === 0x7f) bugCheckString = `0x${h(code)}_${h(p1)}`;
    else if (base === 0x1e || base === 0x3b || base === 0x7e) bugCheckString = `${codeText}_${h(p1 & 0xffffffffn)}`;
    else if (base === 0x139) bugCheckString = `${codeText}_${h(p1)}`;
  }
  if (base === 0x7f) {
    const t = TRAP_NUMBER_NAMES[Number(p1 & 0xffn)];
    if (t && p1 < 0x100n) cause = `trap ${hex(p1)} ${t[0]}: ${t[1]}`;
  }
  if (base === 0x139) {
    const m = FAST_FAIL_MEANINGS[Number(p1 & 0xffffffffn)];
    if (m) cause = `${FastFailCode[Number(p1)] ?? hex(p1)}: ${m}`;
  }
  const accessParam = list.find((p) => p.role === 'access');
  const access = accessParam ? accessOf(base, accessParam.value) : undefined;
  return {
    code,
    ...(name ? { name } : {}),
    bugCheckString,
    description: spec.description,
    ...(cause ? { cause } : {}),
    parameters: list,
    explained: true,
    ...(access ? { access } : {}),
  };
}
