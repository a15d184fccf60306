import assert from 'node:assert/strict';
import { test } from 'node:test';
import { MemorySource } from '../../../src/core/bytes/memory-source.js';
import { DebuggerEngine } from '../../../src/core/debugger/engine.js';
import { COMMANDS, findCommand } from '../../../src/core/debugger/commands/index.js';

/** A minimal minidump: header, one empty SystemInfo-less directory (the engine opens it; no streams needed for help). */
function emptyMinidump(): Uint8Array {
  const b = new Uint8Array(32);
  const v = new DataView(b.buffer);
  v.setUint32(0, 0x504d444d, true); // 'MDMP'
  v.setUint32(4, 0xa793, true);
  v.setUint32(8, 0, true); // no streams
  v.setUint32(12, 32, true);
  return b;
}

test('every command has a usage line, a summary and help text, and .help NAME shows it', async () => {
  const e = await DebuggerEngine.open(new MemorySource(emptyMinidump(), 'empty.dmp'));
  const list = (await e.execute('.help')).text;
  for (const c of COMMANDS) {
    assert.ok(c.usage.length > 0 && c.summary.length > 10 && c.help.length > 40, `${c.names[0]} has help`);
    assert.ok(list.includes(c.usage), `.help lists ${c.names[0]}`);
    const one = await e.execute(`.help ${c.names[0]}`);
    assert.equal(one.error, undefined, one.text);
    assert.ok(one.text.startsWith(c.usage) && one.text.includes(c.help));
  }
  assert.equal((await e.execute('?')).text, list, '? alone is help');
  assert.equal((await e.execute('.help nosuch')).error?.code, 'INVALID_ARGUMENT');
});

test('command lookup: WinDbg names, run-together lm options, ~ and ? forms', () => {
  assert.equal(findCommand('lmvm ntdll')?.command.names[0], 'lm');
  assert.equal(findCommand('lmvm ntdll')?.args, 'vm ntdll');
  assert.equal(findCommand('~3s')?.args, '3s');
  assert.equal(findCommand('? 1+1')?.args, '1+1');
  assert.equal(findCommand('!process 0 0')?.name, '!process');
  assert.equal(findCommand('dqs @rsp')?.name, 'dqs');
  assert.equal(findCommand('.dump /m x.dmp')?.args, '/m x.dmp');
  assert.equal(findCommand('dx @$curprocess'), undefined, 'unknown commands are not guessed');
});

test('a dump with no threads, modules or memory answers without throwing', async () => {
  const e = await DebuggerEngine.open(new MemorySource(emptyMinidump(), 'empty.dmp'));
  for (const cmd of ['vertarget', '||', 'lm', '~', 'r', 'dq 1000', 'u 1000', '.exr -1', '.ecxr', '.lastevent', 'ln 1000', 'x a!b', 's -a 0 L100 "x"', '.dump /m x.dmp', 'k']) {
    const r = await e.execute(cmd);
    assert.equal(typeof r.text, 'string', cmd);
  }
});
