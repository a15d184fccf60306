/**
 * rust-minidump's `minidump-stackwalk --json` snapshots (corpus/minidump/rust-minidump/expected/
 * stackwalk__*json*.snap, pinned by rust-minidump's tests) against dumpkit: system info, crash type and
 * address, thread count, pid, the crashing frame's registers (= the exception context) and every module's
 * range, code id and debug id. Expected values are read from the snapshot JSON.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { corpusFile, corpusSkip, hasCorpus } from '../../helpers/corpus.js';
import { corpusSummary, withCorpusDump } from '../../helpers/minidump-corpus.js';

interface StackwalkJson {
  system_info: { cpu_arch: string; cpu_count: number; cpu_info: string; os: string; os_ver: string };
  crash_info: { address: string; type: string; crashing_thread: number };
  crashing_thread: { frames: { registers?: Record<string, string> }[] };
  thread_count: number;
  pid: number;
  modules: { base_addr: string; end_addr: string; code_id: string | null; debug_id: string | null; filename: string }[];
}

const OS: Record<string, string> = { Linux: 'linux', 'Windows NT': 'windows', 'Mac OS X': 'macos' };

const CASES: [string, string][] = [
  ['rust-minidump/expected/stackwalk__linux_json_pretty.snap', 'rust-minidump/linux-mini.dmp'],
  ['rust-minidump/expected/stackwalk__json-pretty.snap', 'rust-minidump/test.dmp'],
];

describe('rust-minidump stackwalk JSON snapshots', { skip: corpusSkip }, () => {
  for (const [snap, dump] of CASES) {
    test(`${dump} vs ${snap}`, async () => {
      if (!hasCorpus) return;
      const text = readFileSync(corpusFile(`minidump/${snap}`), 'utf8');
      const j = JSON.parse(text.slice(text.indexOf('{'))) as StackwalkJson;
      const s = await corpusSummary(dump);
      assert.equal(s.system?.arch, j.system_info.cpu_arch);
      assert.equal(s.system?.cpuCount, j.system_info.cpu_count);
      assert.equal(s.system?.cpuInfo, j.system_info.cpu_info);
      assert.equal(s.system?.os, OS[j.system_info.os]);
      assert.ok(j.system_info.os_ver.startsWith(s.system!.osVersion), `${j.system_info.os_ver} starts with ${s.system!.osVersion}`);
      assert.equal(s.exception?.name, j.crash_info.type);
      assert.equal(s.exception?.address, BigInt(j.crash_info.address));
      assert.equal(s.threads.length, j.thread_count);
      assert.equal(s.process?.pid, j.pid);
      const regs = j.crashing_thread.frames[0]?.registers ?? {};
      assert.ok(Object.keys(regs).length >= 8, 'registers in the snapshot');
      await withCorpusDump(dump, async (md) => {
        const ctx = await md.context((await md.exception())!.threadContext);
        for (const [name, value] of Object.entries(regs)) assert.equal(ctx?.registers[name], BigInt(value), name);
      });
      assert.equal(s.modules.length, j.modules.length);
      j.modules.forEach((e, i) => {
        const m = s.modules[i]!;
        assert.equal(m.base, BigInt(e.base_addr));
        assert.equal(m.base + BigInt(m.size), BigInt(e.end_addr));
        assert.equal(m.path.split(/[\\/]/).pop(), e.filename);
        // minidump-stackwalk's JSON prints code ids lower-cased; the library (and Breakpad) form that
        // rust-minidump's tests assert, and dumpkit prints, is "45D35F6C2d000": compare without case.
        assert.equal(m.codeId?.toLowerCase(), e.code_id ?? undefined, `${e.filename} code id`);
        assert.equal(m.debugId, e.debug_id ?? undefined, `${e.filename} debug id`);
      });
    });
  }
});
