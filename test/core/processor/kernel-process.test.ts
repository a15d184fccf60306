import assert from 'node:assert/strict';
import { rmSync } from 'node:fs';
import { test } from 'node:test';
import type { ModelThread } from '../../../src/core/machine/model-types.js';
import { processKernelDump } from '../../../src/core/processor/kernel-process.js';
import type { ProcessThread } from '../../../src/core/processor/process-state.js';
import { modelDump, modelMachine } from '../../fixtures/model-dumps.js';

// Kernel stacks walked from modeled dumps of each kind equal the stacks the model built: the
// crashing thread's (header context, KeBugCheckEx first) and every listed thread's (KSWITCH_FRAME
// or KPRCB context), symbolized from the images' own exports and unwound by their .pdata.
const m = modelMachine(3);
const truth = new Map<number, ModelThread>();
for (const p of m.processes) for (const t of p.threads) truth.set(t.tid, t);

const shown = (t: ProcessThread) =>
  t.stack.frames.map((f) => `${f.module ? f.module.codeFile.replace(/.*\\/, '') : ''}!${f.symbol?.function ?? ''}@${f.instruction.toString(16)}`);
const expected = (t: ModelThread) => t.stack.frames.map((f) => `${f.module}!${f.function}@${f.instruction.toString(16)}`);

function checkAgainstTruth(threads: ProcessThread[]): void {
  for (const th of threads) {
    if (!th.walked) continue;
    const t = truth.get(th.id);
    assert.ok(t, `thread ${th.id} is one of the model's`);
    assert.deepEqual(shown(th), expected(t), `thread ${th.id} (${th.name})`);
    assert.equal(th.stack.frames[0]!.trust, 'context');
    assert.ok(th.stack.frames.slice(1).every((f) => f.trust === 'cfi'), `thread ${th.id}: every caller found by CFI`);
  }
}

for (const dumpType of [6, 5, 1] as const) {
  test(`DumpType ${dumpType}: the crashing thread and ${dumpType === 6 ? 'every' : 'a sample of the'} listed threads walk to the model's truth`, async () => {
    const { dump, close, path } = await modelDump(m, dumpType);
    try {
      // Type 6: all 1200-odd threads; the complete dumps: the crashing thread and the first thread of each process.
      const sample = [m.crashThread.tid, ...m.processes.map((p) => p.threads[0]!.tid)];
      const ids = dumpType === 6 ? ('all' as const) : sample;
      const state = await processKernelDump(dump, { threads: ids });
      const walked = state.threads.filter((t) => t.walked);
      assert.equal(walked.length, dumpType === 6 ? truth.size : new Set(sample).size);
      checkAgainstTruth(walked);
      // The crashing thread comes first, from the header's context.
      assert.equal(state.threads[0]!.id, m.crashThread.tid);
      assert.equal(state.crash?.threadId, m.crashThread.tid);
      assert.equal(state.crash?.threadIndex, 0);
      assert.equal(state.threads[0]!.stack.frames[0]!.symbol?.function, 'KeBugCheckEx');
      assert.equal(state.crash?.reason, 'SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M');
      // System threads end at their start frame; user threads past the machine frame, at user mode.
      for (const th of walked) {
        const t = truth.get(th.id)!;
        if (!t.stack.user) assert.equal(th.stack.end, 'end-of-stack', `thread ${th.id}`);
        else if (dumpType === 6) {
          assert.equal(th.stack.end, 'limit', `thread ${th.id}`);
          assert.match(th.stack.endReason!, /only kernel address space is available/);
        } else assert.equal(th.stack.end, 'memory-missing', `thread ${th.id}: the user stack is not mapped in the model`);
      }
      // Modules: from PsLoadedModuleList, with Breakpad ids from the images' headers and RSDS records.
      const nt = state.modules[0]!;
      assert.match(nt.module.codeFile, /ntoskrnl\.exe$/);
      assert.equal(nt.module.debugFile, 'ntkrnlmp.pdb');
      assert.match(nt.module.debugId!, /^[0-9A-F]{32}1$/);
      assert.equal(nt.status, 'loaded');
    } finally {
      await close();
      rmSync(path, { force: true });
    }
  });
}

test('DumpType 4 (small): only the crashing thread, from the header context; no process list', async () => {
  const { dump, close, path } = await modelDump(m, 4);
  try {
    const state = await processKernelDump(dump);
    assert.equal(state.threads.length, 1);
    const [t] = state.threads;
    assert.equal(t!.stack.frames[0]!.instruction, m.crashThread.stack.frames[0]!.instruction);
    assert.equal(t!.stack.frames[0]!.trust, 'context');
  } finally {
    await close();
    rmSync(path, { force: true });
  }
});
