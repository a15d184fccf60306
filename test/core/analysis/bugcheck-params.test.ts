/**
 * Bug check parameters: for each code analyze explains, the meanings Microsoft's bug check
 * reference gives (transcribed here as literal text fragments), the names of the values, and the
 * roles analyze acts on (which parameter is a code address, an exception record, a context record).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { explainBugCheck } from '../../../src/core/analysis/bugcheck-params.js';

interface Row {
  code: number;
  params: [bigint, bigint, bigint, bigint];
  name: string;
  str: string;
  /** Fragments each parameter's meaning must contain (1–4). */
  meanings: [RegExp, RegExp, RegExp, RegExp];
  /** valueName per parameter ('' for none). */
  valueNames?: [string, string, string, string];
  roles?: [string, string, string, string];
  cause?: RegExp;
  access?: string;
}

const K = 0xfffff80412345678n;
const rows: Row[] = [
  {
    code: 0x0a, params: [0x28n, 2n, 1n, K], name: 'IRQL_NOT_LESS_OR_EQUAL', str: '0xA',
    meanings: [/virtual memory address that could not be accessed/, /IRQL at the time of the fault/, /bit 0 = write.*bit 3 = execute/, /instruction pointer at the time of the fault/],
    valueNames: ['', 'DISPATCH_LEVEL', 'write', ''], roles: ['data-address', 'irql', 'access', 'code-address'], access: 'write',
  },
  { code: 0x0a, params: [0x28n, 2n, 8n, K], name: 'IRQL_NOT_LESS_OR_EQUAL', str: '0xA', meanings: [/./, /./, /./, /./], access: 'execute' },
  {
    code: 0x1e, params: [0xffffffffc0000005n, K, 0n, 0x10n], name: 'KMODE_EXCEPTION_NOT_HANDLED', str: '0x1E_c0000005',
    meanings: [/exception code that was not handled/, /address at which the exception occurred/, /parameter 0 of the exception/, /parameter 1 of the exception/],
    valueNames: ['EXCEPTION_ACCESS_VIOLATION', '', '', ''], roles: ['exception-code', 'code-address', '', ''],
  },
  { code: 0x1000001e, params: [0x80000003n, K, 0n, 0n], name: 'KMODE_EXCEPTION_NOT_HANDLED_M', str: '0x1000001E_80000003', meanings: [/not handled/, /occurred/, /parameter 0/, /parameter 1/], valueNames: ['EXCEPTION_BREAKPOINT', '', '', ''] },
  {
    code: 0x3b, params: [0xc0000005n, K, 0xffff9a0000001000n, 0n], name: 'SYSTEM_SERVICE_EXCEPTION', str: '0x3B_c0000005',
    meanings: [/exception that caused the bug check/, /address of the instruction that caused/, /address of the context record/, /^0$/],
    roles: ['exception-code', 'code-address', 'context-record', ''],
  },
  {
    code: 0x50, params: [0xffffffff00000090n, 0n, K, 0x4n], name: 'PAGE_FAULT_IN_NONPAGED_AREA', str: '0x50',
    meanings: [/memory address referenced/, /0 = read; 1 or 2 = write/, /address that referenced memory \(if known\)/, /type of page fault/],
    valueNames: ['', 'read', '', 'NONPAGED_BUGCHECK_VA_NOT_CANONICAL'], roles: ['data-address', 'access', 'code-address', 'page-fault-type'], access: 'read',
  },
  { code: 0x50, params: [0x1000n, 2n, K, 0x3n], name: 'PAGE_FAULT_IN_NONPAGED_AREA', str: '0x50', meanings: [/./, /./, /./, /./], valueNames: ['', 'write', '', 'NONPAGED_BUGCHECK_WRONG_SESSION'], access: 'write' },
  {
    code: 0x7e, params: [0xc0000005n, K, 0xffff9a0000001000n, 0xffff9a0000001400n], name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED', str: '0x7E_c0000005',
    meanings: [/exception code that was not handled/, /address where the exception occurred/, /address of the exception record/, /address of the context record/],
    roles: ['exception-code', 'code-address', 'exception-record', 'context-record'],
  },
  { code: 0x1000007e, params: [0xc0000005n, K, 1n, 2n], name: 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M', str: '0x1000007E_c0000005', meanings: [/./, /./, /exception record/, /context record/], roles: ['exception-code', 'code-address', 'exception-record', 'context-record'] },
  {
    code: 0x7f, params: [8n, 0n, 0n, 0n], name: 'UNEXPECTED_KERNEL_MODE_TRAP', str: '0x7f_8',
    meanings: [/trap number/, /reserved/, /reserved/, /reserved/], valueNames: ['Double Fault', '', '', ''], cause: /trap 0x8 Double Fault: .*kernel stack overflow/,
  },
  { code: 0x7f, params: [0n, 0n, 0n, 0n], name: 'UNEXPECTED_KERNEL_MODE_TRAP', str: '0x7f_0', meanings: [/trap number/, /./, /./, /./], valueNames: ['Divide Error', '', '', ''], cause: /DIV instruction/ },
  { code: 0x7f, params: [0xdn, 0n, 0n, 0n], name: 'UNEXPECTED_KERNEL_MODE_TRAP', str: '0x7f_d', meanings: [/./, /./, /./, /./], valueNames: ['General Protection', '', '', ''] },
  {
    code: 0x9f, params: [3n, 0xffffa80012340000n, 0xfffff80412000000n, 0xffffa80055550000n], name: 'DRIVER_POWER_STATE_FAILURE', str: '0x9F_3',
    meanings: [/blocking an IRP for too long/, /physical device object \(PDO\)/, /TRIAGE_9F_POWER/, /blocked IRP/], cause: /blocking an IRP/,
  },
  { code: 0x9f, params: [4n, 600n, 0xffffa80012340000n, 0xfffff80412000000n], name: 'DRIVER_POWER_STATE_FAILURE', str: '0x9F_4', meanings: [/synchronize with the PnP subsystem/, /time-out value, in seconds/, /holding the Plug-and-Play \(PnP\) lock/, /TRIAGE_9F_PNP/] },
  { code: 0x9f, params: [1n, 0xffffa80012340000n, 0n, 0n], name: 'DRIVER_POWER_STATE_FAILURE', str: '0x9F_1', meanings: [/outstanding power request/, /the device object/, /reserved/, /reserved/] },
  { code: 0x9f, params: [0x500n, 0n, 1n, 2n], name: 'DRIVER_POWER_STATE_FAILURE', str: '0x9F_500', meanings: [/PoStartNextPowerIrp/, /reserved/, /target device's device object/, /the device object/] },
  { code: 0x9f, params: [0x77n, 0n, 0n, 0n], name: 'DRIVER_POWER_STATE_FAILURE', str: '0x9F_77', meanings: [/not in the reference/, /does not know/, /does not know/, /does not know/] },
  { code: 0xc2, params: [7n, 0n, 0x12345678n, 0xffffa80012340000n], name: 'BAD_POOL_CALLER', str: '0xC2_7', meanings: [/already freed/, /reserved/, /pool header contents/, /address of the block of pool being freed/] },
  { code: 0xc2, params: [8n, 2n, 0n, 0x40n], name: 'BAD_POOL_CALLER', str: '0xC2_8', meanings: [/allocate pool at an invalid IRQL/, /current IRQL/, /pool type/, /size of the allocation/], valueNames: ['', 'DISPATCH_LEVEL', '', ''] },
  { code: 0xc2, params: [0x9bn, 0n, 0x20n, K], name: 'BAD_POOL_CALLER', str: '0xC2_9B', meanings: [/tag of 0/, /pool type/, /number of bytes requested/, /caller's address/], roles: ['subcode', '', '', 'code-address'] },
  {
    code: 0xd1, params: [0n, 2n, 0n, K], name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL', str: '0xD1',
    meanings: [/memory referenced/, /IRQL at the time of the reference/, /0 = read, 1 = write, 2 or 8 = execute/, /address that referenced memory/],
    valueNames: ['', 'DISPATCH_LEVEL', 'read', ''], roles: ['data-address', 'irql', 'access', 'code-address'], access: 'read',
  },
  { code: 0xd1, params: [0x28n, 2n, 1n, K], name: 'DRIVER_IRQL_NOT_LESS_OR_EQUAL', str: '0xD1', meanings: [/./, /./, /./, /./], access: 'write' },
  { code: 0xef, params: [0xffffa80012340000n, 1n, 0n, 0n], name: 'CRITICAL_PROCESS_DIED', str: '0xEF', meanings: [/process object/, /0 = a process died, 1 = a thread died/, /reserved/, /reserved/], valueNames: ['', 'thread', '', ''] },
  { code: 0x133, params: [0n, 0x501n, 0x500n, 0n], name: 'DPC_WATCHDOG_VIOLATION', str: '0x133_0', meanings: [/single DPC or ISR exceeded its time allotment/, /DPC time count \(in ticks\)/, /DPC time allotment \(in ticks\)/, /reserved/] },
  { code: 0x133, params: [1n, 0x1e00n, 0n, 0n], name: 'DPC_WATCHDOG_VIOLATION', str: '0x133_1', meanings: [/cumulatively spent an extended period/, /watchdog period/, /reserved/, /reserved/] },
  {
    code: 0x139, params: [3n, 0xffff9a0000002000n, 0xffff9a0000002400n, 0n], name: 'KERNEL_SECURITY_CHECK_FAILURE', str: '0x139_3',
    meanings: [/type of corruption/, /trap frame/, /exception record/, /reserved/], valueNames: ['FAST_FAIL_CORRUPT_LIST_ENTRY', '', '', ''],
    roles: ['fast-fail', 'trap-frame', 'exception-record', ''], cause: /LIST_ENTRY was corrupted/,
  },
  { code: 0x161, params: [0n, 0n, 0n, 0n], name: 'LIVE_SYSTEM_DUMP', str: '0x161', meanings: [/reserved/, /reserved/, /reserved/, /reserved/] },
  { code: 0x1c8, params: [10000n, 0xfffff80412000000n, 0n, 0n], name: 'MANUALLY_INITIATED_POWER_BUTTON_HOLD', str: '0x1C8', meanings: [/milliseconds the power button was held down/, /_POP_POWER_BUTTON_TRIAGE_BLOCK/, /reserved/, /reserved/] },
];

describe('explainBugCheck', () => {
  for (const r of rows) {
    test(`${r.str} ${r.name}`, () => {
      const b = explainBugCheck(r.code, r.params);
      assert.equal(b.name, r.name);
      assert.equal(b.bugCheckString, r.str);
      assert.equal(b.explained, true);
      assert.deepEqual(b.parameters.map((p) => p.index), [1, 2, 3, 4]);
      assert.deepEqual(b.parameters.map((p) => p.value), r.params);
      r.meanings.forEach((re, i) => assert.match(b.parameters[i]!.meaning, re, `parameter ${i + 1}`));
      if (r.valueNames) assert.deepEqual(b.parameters.map((p) => p.valueName ?? ''), r.valueNames);
      if (r.roles) assert.deepEqual(b.parameters.map((p) => p.role ?? ''), r.roles);
      if (r.cause) assert.match(b.cause ?? '', r.cause);
      if (r.access) assert.equal(b.access, r.access);
    });
  }

  test('a code without a table is named, its parameters shown raw', () => {
    const b = explainBugCheck(0x1a, [0x41790n, 1n, 2n, 3n]);
    assert.equal(b.name, 'MEMORY_MANAGEMENT');
    assert.equal(b.explained, false);
    assert.match(b.description, /no parameter table/);
    assert.ok(b.parameters.every((p) => /not explained/.test(p.meaning)));
  });

  test('an unknown code', () => {
    const b = explainBugCheck(0x7777, [0n, 0n, 0n, 0n]);
    assert.equal(b.name, undefined);
    assert.match(b.description, /unknown bug check code 0x7777/);
  });
});
