import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readFileSync, rmSync, statSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { FileSource } from '../../../src/node/file-source.js';
import { runCli } from '../../helpers/cli.js';
import { lldbBatch, parseImageList, parseMemoryRead, parseRegisterReads, parseThreadList } from '../../helpers/lldb.js';
import { buildTarget, lldbSkip, RunningTarget } from '../../helpers/target.js';

/**
 * Each variety dumpkit writes, opened by LLDB: the same threads, pc/sp, modules and memory as
 * the live process reported about itself.
 */
const VARIETIES = ['full', 'miniplus', 'mini'] as const;

/** The live process's stack mapping end for an address (from /proc/PID/maps, parsed here). */
function mappingEnd(pid: number, address: bigint): bigint | undefined {
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) /.exec(line);
    if (m && address >= BigInt('0x' + m[1]) && address < BigInt('0x' + m[2])) return BigInt('0x' + m[2]);
  }
  return undefined;
}

/** ELF images the live process maps, computed here from /proc/PID/maps (independently of dumpkit). */
function liveModules(pid: number): Set<string> {
  const out = new Set<string>(['linux-vdso.so.1']);
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const f = line.trim().split(/\s+/);
    if (f.length < 6 || f[2] !== '00000000' || !f[5]!.startsWith('/')) continue;
    try {
      const head = readFileSync(f[5]!).subarray(0, 4);
      if (head[0] === 0x7f && head[1] === 0x45 && head[2] === 0x4c && head[3] === 0x46) out.add(f[5]!);
    } catch {
      /* unreadable */
    }
  }
  return out;
}

for (const bits of [64, 32] as const) {
  describe(`capture → LLDB, ${bits}-bit target`, { skip: lldbSkip }, () => {
    let target: RunningTarget | undefined;
    let dir: string;
    const sizes: Record<string, number> = {};
    let binary: string | undefined;

    before(async () => {
      binary = buildTarget(bits);
      dir = mkdtempSync(join(tmpdir(), `dumpkit-cap${bits}-`));
      if (binary) target = await RunningTarget.start(binary);
    });
    after(async () => {
      await target?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    for (const variety of VARIETIES) {
      test(`${variety}: LLDB shows the live threads, pc/sp, modules and memory`, async (t) => {
        if (!target) return t.skip('32-bit target not built: gcc-multilib missing (apt-get install gcc-multilib)');
        const info = target.info;
        const file = join(dir, `${variety}.dmp`);
        // full goes through the copy-on-write snapshot (too small for --snapshot auto to choose it).
        const r = runCli(['capture', String(target.pid), '--type', variety, '-o', file, '--json', ...(variety === 'full' ? ['--snapshot', 'fork'] : [])]);
        assert.equal(r.status, 0, r.stderr);
        const report = JSON.parse(r.stdout) as { file: string; size: number; threads: number; arch: string; pauseMs: number; method: string };
        if (variety === 'full') assert.equal(report.method, 'snapshot');
        assert.equal(report.file, file);
        assert.equal(report.arch, bits === 64 ? 'amd64' : 'x86');
        assert.equal(report.threads, info.threads.length);
        assert.equal(statSync(file).size, report.size);
        assert.equal(statSync(file).mode & 0o777, 0o600);
        sizes[variety] = report.size;

        // The target runs again.
        assert.ok(target.threadStates().every((s) => s !== 't' && s !== 'T'), `threads still stopped: ${target.threadStates()}`);
        assert.ok(await target.makesProgress(), 'spinning thread makes progress after the capture');

        const first = lldbBatch(file, ['thread list', ...info.threads.flatMap((_, i) => [`thread select ${i + 1}`, 'register read pc sp']), 'image list']);
        assert.match(first, new RegExp(`\\((x86_64|i386)\\) was loaded`));
        const threads = parseThreadList(first);
        assert.deepEqual(
          threads.map((x) => x.tid).sort((a, b) => a - b),
          info.threads.map((x) => x.tid).sort((a, b) => a - b),
          'thread ids',
        );
        const regs = parseRegisterReads(first);
        assert.equal(regs.length, threads.length, first);
        for (const th of threads) {
          const live = info.threads.find((x) => x.tid === th.tid)!;
          const { pc, sp } = regs[th.index - 1]!;
          const local = BigInt(live.local);
          assert.ok(sp <= local && local - sp < 65536n, `thread ${th.tid} (${live.role}): sp 0x${sp.toString(16)} is not just below its local 0x${local.toString(16)}`);
          if (live.role === 'spin') {
            const fn = BigInt(info.spin_fn);
            assert.ok(pc >= fn && pc < fn + 256n, `spinning thread pc 0x${pc.toString(16)} is not inside spin_fn at 0x${fn.toString(16)}`);
            assert.ok(local - sp < 256n, 'spin_fn frame holds its local');
          }
        }
        const images = new Set(parseImageList(first).map((m) => m.path));
        assert.deepEqual([...images].sort(), [...liveModules(target.pid)].sort(), 'module list');

        // Memory: every thread's stack (all varieties), the heap pattern (full, miniplus).
        const pattern = BigInt(info.pattern);
        const second = lldbBatch(file, [...regs.map((x) => `memory read --size 1 --count 16 0x${x.sp.toString(16)}`), `memory read --size 1 --count 64 0x${pattern.toString(16)}`]);
        for (const x of regs) assert.equal(parseMemoryRead(second, x.sp).length, 16, `stack at sp 0x${x.sp.toString(16)} readable in the ${variety} dump`);
        const expected = Array.from({ length: 64 }, (_, i) => (i < 16 ? 'DUMPKIT-PATTERN!'.charCodeAt(i) : (i * 7 + 3) & 0xff));
        if (variety !== 'mini') assert.deepEqual(parseMemoryRead(second, pattern), expected, 'heap pattern bytes');

        // dumpkit's own reader agrees with LLDB and with the live process.
        const source = FileSource.open(file);
        try {
          const dump = await Minidump.open(source);
          const dthreads = await dump.threads();
          assert.deepEqual(dthreads.map((x) => x.threadId).sort((a, b) => a - b), threads.map((x) => x.tid).sort((a, b) => a - b));
          const names = new Map((await dump.threadNames())?.map((n) => [n.threadId, n.name]) ?? []);
          for (const th of threads) {
            const d = dthreads.find((x) => x.threadId === th.tid)!;
            const ctx = (await dump.context(d.threadContext))!;
            assert.equal(ctx.pc, regs[th.index - 1]!.pc, `reader pc of ${th.tid}`);
            assert.equal(ctx.sp, regs[th.index - 1]!.sp, `reader sp of ${th.tid}`);
            const live = info.threads.find((x) => x.tid === th.tid)!;
            const comm = live.role === 'main' ? `target${bits}` : live.role === 'worker' ? /^dk-worker-\d$/ : `dk-${live.role}`;
            if (typeof comm === 'string') assert.equal(names.get(th.tid), comm);
            else assert.match(names.get(th.tid) ?? '', comm);
            // Every variety holds the whole stack: from sp to the end of its mapping.
            const stackEnd: bigint = mappingEnd(target.pid, ctx.sp)!;
            const stack = await dump.readMemory(ctx.sp, Number(stackEnd - ctx.sp));
            assert.equal(stack.length, Number(stackEnd - ctx.sp));
          }
          const dmods = await dump.modules();
          assert.deepEqual(
            dmods.map((m) => `${m.name}@${m.baseOfImage.toString(16)}`).sort(),
            parseImageList(first).map((m) => `${m.path}@${m.base.toString(16)}`).sort(),
            'reader modules = LLDB modules',
          );
          for (const m of dmods) assert.equal(m.cvRecord?.kind, 'elf', `${m.name} has a BpEL build id`);
          if (variety !== 'mini') assert.deepEqual([...(await dump.readMemory(pattern, 64))], expected, 'reader: heap pattern');
          const si = (await dump.systemInfo())!;
          assert.equal(si.processorArchitecture, bits === 64 ? 9 : 0);
        } finally {
          await source.close();
        }
      });
    }

    test('sizes order full > miniplus > mini', (t) => {
      if (!target) return t.skip('32-bit target not built');
      if (Object.keys(sizes).length < 3) return t.skip('a variety failed above');
      assert.ok(sizes.full! > sizes.miniplus! && sizes.miniplus! > sizes.mini!, JSON.stringify(sizes));
      assert.ok(existsSync(dir));
    });
  });
}
