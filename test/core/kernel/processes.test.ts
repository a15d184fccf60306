import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import type { KernelDump } from '../../../src/core/kernel/kernel-dump.js';
import { kernelLayoutNote, listProcesses } from '../../../src/core/kernel/processes.js';
import { listThreads, switchFrameRegisters } from '../../../src/core/kernel/threads.js';
import { modelDump, modelMachine } from '../../fixtures/model-dumps.js';

// Processes and threads read from a modeled kernel dump (DumpType 6) equal what the model built.
const m = modelMachine(5);
let dump: KernelDump;
let close: () => Promise<void>;
before(async () => ({ dump, close } = await modelDump(m, 6)));
after(() => close());

test('EPROCESS list: pid, parent, name, DTB, thread count, session as the model wrote them', async () => {
  const diag = new Diagnostics();
  const procs = await listProcesses(dump.virtual(), dump.header.psActiveProcessHead!, diag);
  assert.deepEqual(diag.list(), []);
  assert.deepEqual(
    procs.map((p) => [p.pid, p.parentPid, p.name, p.directoryTableBase, p.threadCount, p.sessionId, p.exited]),
    m.processes.map((p) => [p.pid, p.parentPid, p.name.slice(0, 14), p.dtb, p.threads.length, p.sessionId, false]),
  );
  assert.equal(kernelLayoutNote(dump.header.minorVersion), undefined, 'the model writes build 19041');
  assert.match(kernelLayoutNote(22621)!, /19041/);
});

test('ETHREAD lists: TIDs, states, stack bounds; a waiting thread\'s KSWITCH_FRAME gives frame 0', async () => {
  const diag = new Diagnostics();
  const vm = dump.virtual();
  let waiting = 0;
  for (const p of m.processes.slice(0, 12)) {
    const threads = await listThreads(vm, p.eprocess, diag);
    assert.deepEqual(
      threads.map((t) => [t.tid, t.pid, t.state, t.stackBase, t.stackLimit, t.process]),
      p.threads.map((t) => [t.tid, p.pid, t.state, t.stackBase, t.stackLimit, p.eprocess]),
    );
    for (const [i, t] of threads.entries()) {
      if (t.state !== 5) continue;
      assert.equal(t.stateName, 'Waiting');
      assert.deepEqual(await switchFrameRegisters(vm, t, diag), p.threads[i]!.stack.registers);
      waiting++;
    }
  }
  assert.ok(waiting > 100);
  assert.deepEqual(diag.list(), []);
  // A KernelStack outside the stack is a diagnostic, not a frame.
  const [t] = await listThreads(vm, m.processes[3]!.eprocess, diag);
  assert.equal(await switchFrameRegisters(vm, { ...t!, kernelStack: t!.stackBase + 0x100n }, diag), undefined);
  assert.match(diag.list()[0]!, /outside its stack/);
});
