/**
 * `dumpkit info --json` on every corpus minidump: exits 0 (2 for the malformed ones, with a one-line
 * message), and its JSON agrees with the "observed" line MANIFEST.md gives for each file (decoded by
 * the corpus maintainers' independent script). The manifest text is the oracle: it is parsed here,
 * nothing expected is computed by dumpkit.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { before, describe, test } from 'node:test';
import { corpusFile, corpusSkip, hasCorpus } from '../../helpers/corpus.js';
import { withCorpusDump } from '../../helpers/minidump-corpus.js';

const batchTs = fileURLToPath(new URL('../../helpers/cli-batch.ts', import.meta.url));
const mainTs = fileURLToPath(new URL('../../../src/node/cli/main.ts', import.meta.url));
const projectRoot = fileURLToPath(new URL('../../../', import.meta.url));

interface Observed {
  file: string;
  flags: bigint;
  ts: number;
  streams: number[];
  arch?: string;
  os?: string;
  ncpu?: number;
  threads?: number;
  modules?: number;
  firstModule?: string;
  exception?: { tid: number; code: number };
  memoryList?: number;
  pid?: number;
  contextSizes?: number[];
  misc?: { size: number; flags1: number };
}

/** Files the manifest describes as malformed, which `info` must refuse with exit code 2 (see the corpus MANIFEST.md). */
const MUST_FAIL: Record<string, RegExp> = {
  // Fuzzer-made: directory entries point far past the end of the file (LLVM obj2yaml: "Unexpected EOF").
  'rust-minidump/invalid-range.dmp': /OUT_OF_BOUNDS: directory entry 0 .* run past the end of the file/,
  'rust-minidump/invalid-record-count.dmp': /OUT_OF_BOUNDS: directory entry 0 .* run past the end of the file/,
};

const ARCH: Record<string, string> = { x86: 'x86', AMD64: 'amd64', ARM: 'arm', 'ARM64_old(Breakpad)': 'arm64', ARM64: 'arm64' };
const OS: Record<string, string> = { WinNT: 'windows', Linux: 'linux', macOS: 'macos' };

function parseManifest(): Observed[] {
  const text = readFileSync(corpusFile('minidump/MANIFEST.md'), 'utf8');
  const out: Observed[] = [];
  for (const section of text.split(/^## /m).slice(1)) {
    const file = section.slice(0, section.indexOf('\n')).trim();
    const line = /^- observed: (.*)$/m.exec(section)?.[1];
    if (!file.endsWith('.dmp') || !line) continue;
    const hdr = /flags (0x[0-9a-f]+) ts (\d+)/.exec(line)!;
    const streams = [...(/streams: ([^;]*)/.exec(line)?.[1] ?? '').matchAll(/\((0x[0-9a-f]+)\)/g)].map((m) => Number(m[1])).filter((t) => t !== 0);
    const o: Observed = { file, flags: BigInt(hdr[1]!), ts: Number(hdr[2]), streams };
    const si = /sysinfo (\S+)\/(\S+) .* ncpu (\d+)/.exec(line);
    if (si) Object.assign(o, { arch: ARCH[si[1]!], os: OS[si[2]!], ncpu: Number(si[3]) });
    const th = /threads (\d+)/.exec(line);
    if (th) o.threads = Number(th[1]);
    const mo = /modules (\d+) \(first: (.*?)\);/.exec(line);
    if (mo) Object.assign(o, { modules: Number(mo[1]), firstModule: mo[2] });
    const ex = /exception tid (\d+) code (0x[0-9a-f]+)/.exec(line);
    if (ex) o.exception = { tid: Number(ex[1]), code: Number(ex[2]) };
    const ml = /MemoryList (\d+) ranges/.exec(line);
    if (ml) o.memoryList = Number(ml[1]);
    const ctx = /ctx sizes \[([\d, ]*)\]/.exec(line);
    if (ctx) o.contextSizes = ctx[1]!.split(',').map((x) => Number(x.trim()));
    const misc = /MiscInfo size (\d+) flags1 (0x[0-9a-f]+)/.exec(line);
    if (misc) o.misc = { size: Number(misc[1]), flags1: Number(misc[2]) };
    const pid = /pid (\d+)/.exec(line);
    if (pid) o.pid = Number(pid[1]);
    out.push(o);
  }
  return out;
}

type Run = { code: number | null; stdout: string; stderr: string };

/** Spawns a real `dumpkit` process (exit code and stderr as a user sees them). */
function runInfo(file: string): Promise<Run> {
  return new Promise((resolve) => {
    const child = spawn(process.execPath, ['--import', 'tsx', mainTs, 'info', '--json', corpusFile(`minidump/${file}`)], { cwd: projectRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** Runs the CLI's main() for every file in one child process (test/helpers/cli-batch.ts). */
function runInfoBatch(files: string[]): Promise<Map<string, Run>> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', batchTs], { cwd: projectRoot });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d) => (stdout += d));
    child.stderr.on('data', (d) => (stderr += d));
    child.on('close', (code) => {
      if (code !== 0) return reject(new Error(`cli-batch exited ${code}: ${stderr}`));
      const rows = JSON.parse(stdout) as (Run & { args: string[] })[];
      resolve(new Map(rows.map((r, i) => [files[i]!, r])));
    });
    child.stdin.end(JSON.stringify(files.map((f) => ['info', '--json', corpusFile(`minidump/${f}`)])));
  });
}

const observed = hasCorpus ? parseManifest() : [];
let results = new Map<string, Run>();
/** Real processes for a few files: a good one of each OS and both malformed ones. */
const SPAWNED = ['rust-minidump/test.dmp', 'symbolic/crash_linux.dmp', 'symbolic/crash_macos.dmp', ...Object.keys(MUST_FAIL)];
const spawned = new Map<string, Run>();

describe('dumpkit info --json on every corpus minidump', { skip: corpusSkip }, () => {
  before(async () => {
    results = await runInfoBatch(observed.map((o) => o.file));
    for (const f of SPAWNED) spawned.set(f, await runInfo(f));
  });

  test('real dumpkit processes: exit codes, one-line errors, no stack trace, same JSON as in-process', () => {
    for (const f of SPAWNED) {
      const r = spawned.get(f)!;
      const inProcess = results.get(f)!;
      assert.equal(r.code, MUST_FAIL[f] ? 2 : 0, `${f}: ${r.stderr}`);
      assert.equal(r.stdout, inProcess.stdout, f);
      assert.doesNotMatch(r.stderr, /\n\s+at /, 'no stack trace');
      if (MUST_FAIL[f]) assert.equal(r.stderr.trim().split('\n').length, 1);
    }
  });

  test('the manifest lists every corpus minidump', () => {
    assert.ok(observed.length >= 85, `${observed.length} observed lines`);
  });

  for (const o of observed) {
    test(o.file, () => {
      const r = results.get(o.file)!;
      const mustFail = MUST_FAIL[o.file];
      if (mustFail) {
        assert.equal(r.code, 2, r.stderr);
        assert.equal(r.stdout, '');
        const lines = r.stderr.trim().split('\n');
        assert.equal(lines.length, 1, 'one-line error');
        assert.match(lines[0]!, mustFail);
        return;
      }
      assert.equal(r.code, 0, r.stderr);
      const j = JSON.parse(r.stdout);
      assert.equal(j.format, 'minidump');
      assert.equal(BigInt(j.flags), o.flags);
      assert.equal(j.timestamp, o.ts);
      assert.deepEqual(
        j.streams.map((s: { type: number }) => s.type),
        o.streams,
      );
      if (o.arch) assert.equal(j.system.arch, o.arch);
      if (o.os) assert.equal(j.system.os, o.os);
      if (o.ncpu !== undefined) assert.equal(j.system.cpuCount, o.ncpu);
      // bad_duplicate_streams: the manifest's script used the second (corrupt) ThreadList; we keep the first.
      if (o.threads !== undefined && o.file !== 'lldb/bad_duplicate_streams.dmp') assert.equal(j.threads.length, o.threads);
      if (o.modules !== undefined) {
        assert.equal(j.modules.length, o.modules);
        assert.equal(j.modules[0].path, o.firstModule);
      }
      if (o.exception) {
        assert.equal(j.exception.threadId, o.exception.tid);
        assert.equal(Number(j.exception.code), o.exception.code);
      } else assert.equal(j.exception, undefined);
      if (o.memoryList !== undefined) assert.equal(j.memory.ranges, o.memoryList);
      if (o.pid !== undefined) assert.equal(j.process.pid, o.pid);
      for (const t of j.threads) {
        if (t.pc !== undefined) assert.match(t.pc, /^0x[0-9a-f]+$/);
        assert.match(t.stack.base, /^0x[0-9a-f]+$/);
      }
      for (const m of j.modules) assert.match(m.base, /^0x[0-9a-f]+$/);
      if (j.exception) assert.match(j.exception.address, /^0x[0-9a-f]+$/);
    });
  }
});

/**
 * The manifest's script read these files' lists without the 4-byte padding quirk (or took the corrupt
 * second ThreadList), so its context sizes are wrong there; the asserted register values (arm-*.dmp)
 * and frame registers (crash_macos) confirm our reading.
 */
const CONTEXT_SIZE_SCRIPT_WRONG = new Set(['symbolic/crash_macos.dmp', 'symbolic/macos-mini.dmp', 'lldb/arm-linux.dmp', 'lldb/arm-macos.dmp', 'lldb/bad_duplicate_streams.dmp']);

describe('reader agrees with the manifest on context sizes and MiscInfo', { skip: corpusSkip }, () => {
  for (const o of observed) {
    if (MUST_FAIL[o.file] || (!o.contextSizes && !o.misc)) continue;
    test(o.file, () =>
      withCorpusDump(o.file, async (md) => {
        if (o.contextSizes && !CONTEXT_SIZE_SCRIPT_WRONG.has(o.file)) {
          const sizes = [...new Set((await md.threads()).map((t) => t.threadContext.dataSize))].sort((a, b) => a - b);
          assert.deepEqual(sizes, o.contextSizes);
        }
        if (o.misc) {
          const m = await md.miscInfo();
          assert.equal(md.stream(15)?.location.dataSize, o.misc.size);
          assert.equal(m?.flags1, o.misc.flags1);
        }
      }),
    );
  }
});
