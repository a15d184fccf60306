/** JSON and text forms of frames with source lines and inlined calls (no corpus dump has INLINE records). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { ProcessState } from '../../../src/core/processor/process-state.js';
import { processStateToJson } from '../../../src/core/processor/json.js';
import { processStateToMachineText, processStateToText } from '../../../src/core/processor/text.js';
import { ModuleIndex } from '../../../src/core/unwind/modules.js';
import { walkStack } from '../../../src/core/unwind/walker.js';
import { RegionMemory, StackImage, TableSymbols, module } from '../../fixtures/stack-fixture.js';

describe('outputs with inlined frames', () => {
  test('JSON inlines (innermost first), Breakpad rows for each inline before its frame', async () => {
    const app = { ...module('/usr/bin/app', 0x400000n, 0x10000n), debugFile: 'app', debugId: 'ABC0' };
    const symbols = new TableSymbols(
      new Map([
        [
          app,
          [
            { name: 'main', start: 0x401000n, size: 0x100n, file: '/src/main.c', line: 10 },
            { name: 'work', start: 0x401100n, size: 0x100n, file: '/src/work.c', line: 20, inlines: [{ function: 'inner', file: '/src/inner.h', line: 3 }, { function: 'outer_inline', file: '/src/work.c', line: 21 }] },
          ],
        ],
      ]),
    );
    const img = new StackImage(0x7ffe0000n, 0x200, 8).word(0x10, 0x7ffe0100n).word(0x18, 0x401050n).word(0x100, 0n);
    const stack = await walkStack({ arch: 'amd64', registers: { rip: 0x401120n, rsp: 0x7ffe0000n, rbp: 0x7ffe0010n }, memory: new RegionMemory([img.stack]), modules: new ModuleIndex([app]), stack: img.stack, symbols, os: 'linux' });
    const state: ProcessState = {
      timestamp: 0,
      system: { arch: 'amd64', os: 'linux', osName: 'Linux', osVersion: '6.1', breakpadOsVersion: '0.0.0 Linux 6.1', cpuCount: 1 },
      crash: { reason: 'SIGSEGV', reasonText: 'SIGSEGV /0x00000000', address: 0n, parameters: [], threadId: 7, threadIndex: 0 },
      threads: [{ index: 0, id: 7, stack, walked: true }],
      modules: [{ module: app, status: symbols.status(app) }],
      mainModule: 0,
      diagnostics: [],
    };
    const json = processStateToJson(state) as { threads: { frames: Record<string, unknown>[] }[] };
    const f = json.threads[0]!.frames;
    assert.deepEqual(
      [f[0]!.function, f[0]!.function_offset, f[0]!.file, f[0]!.line, f[0]!.inlines],
      ['work', '0x0000000000000020', '/src/work.c', 20, [{ file: '/src/inner.h', function: 'inner', line: 3 }, { file: '/src/work.c', function: 'outer_inline', line: 21 }]],
    );
    assert.deepEqual([f[1]!.function, f[1]!.offset, f[1]!.function_offset, f[1]!.inlines, f[1]!.missing_symbols], ['main', '0x000000000040104f', '0x000000000000004f', null, false]);
    const text = processStateToText(state);
    assert.match(text, / 0 {2}app!inner \[inner\.h : 3\]\n \n {4}Found by: inline record\n 1 {2}app!outer_inline \[work\.c : 21\]\n/);
    assert.match(text, / 2 {2}app!work \[work\.c : 20 \+ 0x20\]\n/);
    assert.match(text, / 3 {2}app!main \[main\.c : 10 \+ 0x50\]\n/);
    assert.equal(
      processStateToMachineText(state).split('\n').filter((l) => l.startsWith('0|')).join('\n'),
      ['0|0|app|inner|/src/inner.h|3|', '0|1|app|outer_inline|/src/work.c|21|', '0|2|app|work|/src/work.c|20|0x20', '0|3|app|main|/src/main.c|10|0x50'].join('\n'),
    );
  });
});
