/**
 * symbolic's processor snapshots (corpus/minidump/symbolic/expected/process_state_*.snap, pinned by
 * getsentry/symbolic's tests) against dumpkit: every module the snapshot names (base, size, code file,
 * code id, debug file, debug id), the crash fields, and the crashing thread's first frame (trust
 * Context = the exception context's pc). Expected values are parsed from the snapshot text.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { corpusFile, corpusSkip, hasCorpus } from '../../helpers/corpus.js';
import { corpusSummary } from '../../helpers/minidump-corpus.js';

interface SnapModule {
  base: bigint;
  size: number;
  codeFile: string;
  codeId: string;
  debugFile: string;
  debugId: string;
}

function parseSnapshot(text: string) {
  const modules = new Map<bigint, SnapModule>();
  const re =
    /base_address: (\d+),\s+size: (\d+),\s+code_file: "((?:[^"\\]|\\.)*)",\s+code_identifier: "([^"]*)",\s+debug_file: "((?:[^"\\]|\\.)*)",\s+debug_identifier: "([^"]*)"/g;
  for (const m of text.matchAll(re)) {
    const unescape = (s: string) => s.replace(/\\\\/g, '\\');
    modules.set(BigInt(m[1]!), { base: BigInt(m[1]!), size: Number(m[2]), codeFile: unescape(m[3]!), codeId: m[4]!, debugFile: unescape(m[5]!), debugId: m[6]! });
  }
  const field = (k: string) => new RegExp(`${k}: ([^,\\n]+),`).exec(text)?.[1];
  const firstInstruction = /frames: \[\s+StackFrame \{\s+return_address: \d+,\s+instruction: (\d+),\s+trust: Context/.exec(text)?.[1];
  return {
    modules,
    timestamp: Number(field('timestamp')),
    crashAddress: BigInt(field('crash_address')!),
    crashReason: JSON.parse(field('crash_reason')!) as string,
    cpuCount: Number(field('cpu_count')),
    firstInstruction: firstInstruction ? BigInt(firstInstruction) : undefined,
  };
}

const CASES: [string, string][] = [
  ['symbolic/expected/process_state_linux.snap', 'symbolic/linux-mini.dmp'],
  ['symbolic/expected/process_state_macos.snap', 'symbolic/macos-mini.dmp'],
  ['symbolic/expected/process_state_windows.snap', 'symbolic/windows-mini.dmp'],
];

describe('symbolic process-state snapshots', { skip: corpusSkip }, () => {
  for (const [snap, dump] of CASES) {
    test(`${dump} vs ${snap}`, async () => {
      if (!hasCorpus) return;
      const expected = parseSnapshot(readFileSync(corpusFile(`minidump/${snap}`), 'utf8'));
      assert.ok(expected.modules.size >= 3, `${expected.modules.size} modules parsed from the snapshot`);
      const s = await corpusSummary(dump);
      assert.equal(s.timestamp, expected.timestamp);
      assert.equal(s.exception?.address, expected.crashAddress);
      assert.equal(s.exception?.reason, expected.crashReason);
      assert.equal(s.system?.cpuCount, expected.cpuCount);
      assert.equal(s.exception?.pc, expected.firstInstruction);
      for (const e of expected.modules.values()) {
        const m = s.modules.find((x) => x.base === e.base);
        assert.ok(m, `module at ${e.base.toString(16)}`);
        assert.equal(m.size, e.size);
        assert.equal(m.path, e.codeFile);
        assert.equal(m.codeId ?? '', e.codeId, `${e.codeFile} code id`);
        assert.equal(m.debugFile ?? '', e.debugFile, `${e.codeFile} debug file`);
        assert.equal(m.debugId ?? '', e.debugId, `${e.codeFile} debug id`);
      }
    });
  }
});
