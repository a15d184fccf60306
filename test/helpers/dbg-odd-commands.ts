import assert from 'node:assert/strict';
import type { DebuggerEngine } from '../../src/core/debugger/engine.js';

/** Commands with bad, extreme or missing arguments: each must give text (maybe an error), never throw. */
export const ODD_COMMANDS = [
  'db -1', 'dq ffffffffffffffff L10', 'u -1', 'u 0 L0', 'db 0 L?ffffffffffffffff', 's -a 0 L?ffffffffffffffff ""', 's -b', 's -d 0 L10',
  '.cxr 0', '.cxr 1000', '!thread 0', '!thread ffffffffffffffff', '!process 1 7', '.process /p 1', '!pte ffffffffffffffff', '!vtop 0 0',
  '!db -1', '!dq ffffffffffff L4', '? (', '? 1 +', '? poi(poi(0))', '~99s', '~~[zz]s', '.frame zz', 'k zz', 'kb 0', 'ln', 'x *!*',
  'lm m [', 'da -1', 'du 0', 'dps -8 L4', '.dump', '.dump /q x', '.exr 0', '.exr ffffffffffffffff', 'r foo', 'r rax=1', '.help .help',
  '|| x', '~* ~* r', '.ignore_missing_pages 7', 'u @rip L1000', 'dqs poi(@rsp)',
];

export async function runOddCommands(e: DebuggerEngine): Promise<void> {
  for (const c of ODD_COMMANDS) {
    const r = await e.execute(c);
    assert.equal(typeof r.text, 'string', c);
    if (r.error) assert.match(r.error.code, /^[A-Z_]+$/, c);
  }
}
