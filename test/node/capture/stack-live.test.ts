// Acceptance test of issue #9: a live process with threads blocked in distinct call chains, built
// -O2 -fomit-frame-pointer (so only CFI unwinds it), 64- and 32-bit, with -g and stripped. gdb
// walks the live process first; then `dumpkit capture` and `dumpkit stack --all` on the dump must
// give the same frames (same return addresses, same functions) down to where gdb stops (main, or
// clone3 under start_thread), every caller found by CFI. LLDB on the same dump must agree on the
// frames it walks.
import assert from 'node:assert/strict';
import { spawn, spawnSync, type ChildProcessWithoutNullStreams } from 'node:child_process';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';
import { run, tempDir } from '../../helpers/c-program.js';
import { runCli } from '../../helpers/cli.js';
import { gdbThreads, type GdbFrame } from '../../helpers/gdb.js';
import { lldbBatch } from '../../helpers/lldb.js';
import { gccPath, gdbSkip, lldbPath, NO_32_BIT } from '../../helpers/target.js';

const source = fileURLToPath(new URL('../../fixtures/stack-target/stack-target.c', import.meta.url));

/**
 * Whether this kernel runs i386 programs: some (e.g. firecracker VMs, or ia32_emulation=0) refuse
 * them with ENOEXEC although gcc -m32 builds them. Then the 32-bit live test cannot run at all.
 */
function runs32BitPrograms(): boolean {
  const probe = join(tempDir(), 'exit3-32');
  if (!existsSync(probe)) {
    writeFileSync(`${probe}.c`, 'int main(void) { return 3; }\n');
    if (spawnSync(gccPath ?? 'gcc', ['-m32', '-o', probe, `${probe}.c`]).status !== 0) return false;
  }
  return spawnSync(probe).status === 3;
}
const NO_I386_EXEC = 'this kernel does not execute i386 programs (a -m32 "return 3" program does not exit with 3): no 32-bit process to capture';

function build(bits: 64 | 32, stripped: boolean): string | undefined {
  const out = join(tempDir(), `stack-target${bits}`);
  if (!existsSync(out)) {
    const r = spawnSync(gccPath ?? 'gcc', [...(bits === 32 ? ['-m32'] : []), '-O2', '-fomit-frame-pointer', '-g', '-pthread', '-o', out, source], { encoding: 'utf8' });
    if (r.status !== 0) {
      if (bits === 32 && !process.env.CI) return undefined;
      throw new Error(`gcc failed: ${r.stderr}`);
    }
  }
  if (!stripped) return out;
  const s = `${out}-stripped`;
  if (!existsSync(s)) run('objcopy', ['--strip-all', out, s]);
  return s;
}

interface Target {
  child: ChildProcessWithoutNullStreams;
  pid: number;
  tids: number[];
}

async function start(binary: string): Promise<Target> {
  const child = spawn(binary, [], { stdio: ['pipe', 'pipe', 'pipe'] });
  const line = await new Promise<string>((resolve, reject) => {
    let buf = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (d: string) => {
      buf += d;
      const i = buf.indexOf('\n');
      if (i >= 0) resolve(buf.slice(0, i));
    });
    child.once('exit', () => reject(new Error('target exited early')));
  });
  const info = JSON.parse(line) as { pid: number; tids: number[] };
  return { child, pid: info.pid, tids: info.tids };
}

async function stop(t: Target): Promise<void> {
  if (t.child.exitCode !== null || t.child.signalCode !== null) return;
  const exited = new Promise((r) => t.child.once('exit', r));
  t.child.kill('SIGKILL');
  await exited;
}

/**
 * Function identity across tools: the names each tool prints for one function differ by alias
 * (`read` / `__GI___libc_read`, `__libc_start_main` / `__libc_start_main_impl`). Two names are the
 * same function when binutils' nm puts them at the same address of the module holding the pc
 * (its .symtab, .dynsym and, for libc, the libc6-dbg debug file found by build id).
 */
class FunctionNames {
  private readonly maps: { start: bigint; end: bigint; path: string }[] = [];
  private readonly bases = new Map<string, bigint>();
  private readonly names = new Map<string, Map<string, Set<bigint>>>();

  constructor(pid: number) {
    for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
      const m = /^([0-9a-f]+)-([0-9a-f]+) \S+ ([0-9a-f]+) \S+ \d+\s+(\/\S+)$/.exec(line);
      if (!m) continue;
      const start = BigInt('0x' + m[1]);
      this.maps.push({ start, end: BigInt('0x' + m[2]), path: m[4]! });
      if (BigInt('0x' + m[3]) === 0n && !this.bases.has(m[4]!)) this.bases.set(m[4]!, start);
    }
  }

  private moduleOf(pc: bigint): string | undefined {
    return this.maps.find((m) => pc >= m.start && pc < m.end)?.path;
  }

  private table(path: string): Map<string, Set<bigint>> {
    let t = this.names.get(path);
    if (t) return t;
    t = new Map();
    const files = [path];
    const id = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', path]))?.[1];
    const debug = id && `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
    if (debug && existsSync(debug)) files.push(debug);
    const load = /^\s*LOAD\s+(0x[0-9a-f]+)\s+(0x[0-9a-f]+)/m.exec(run('readelf', ['-lW', path]))!;
    const bias = this.bases.get(path)! - (BigInt(load[2]!) - BigInt(load[1]!));
    for (const f of files) {
      for (const args of [['--defined-only', f], ['-D', '--defined-only', f]]) {
        const r = spawnSync('nm', args, { encoding: 'utf8', maxBuffer: 64 * 1024 * 1024 });
        for (const l of r.stdout.split('\n')) {
          const m = /^([0-9a-f]+) [tTwWiI] (\S+)$/.exec(l);
          if (!m) continue;
          const name = m[2]!.replace(/@.*/, '');
          if (!t.has(name)) t.set(name, new Set());
          t.get(name)!.add(BigInt('0x' + m[1]) + bias);
        }
      }
    }
    this.names.set(path, t);
    return t;
  }

  same(pc: bigint, a: string | null | undefined, b: string | null | undefined): boolean {
    if (!a || !b) return !a && !b;
    if (a === b) return true;
    const path = this.moduleOf(pc);
    if (!path) return false;
    const t = this.table(path);
    const A = t.get(a);
    const B = t.get(b);
    return !!A && !!B && [...A].some((x) => B.has(x));
  }
}

interface OurFrame {
  offset: string;
  function: string | null;
  trust: string;
  module: string | null;
}

function compareWithGdb(tid: number, gdb: GdbFrame[], ours: OurFrame[], names: FunctionNames, gdbText: string): void {
  const show = () => `\ngdb:\n${gdbText}\ndumpkit:\n${ours.map((f, i) => `#${i} ${f.offset} ${f.function} (${f.trust})`).join('\n')}`;
  assert.ok(ours.length >= gdb.length, `thread ${tid}: dumpkit has ${ours.length} frames, gdb ${gdb.length}${show()}`);
  gdb.forEach((g, i) => {
    const o = ours[i]!;
    // rust-minidump's JSON "offset" of a caller frame is the return address minus one.
    assert.equal(BigInt(o.offset) + (i > 0 ? 1n : 0n), g.pc, `thread ${tid} frame ${i}: pc${show()}`);
    assert.ok(names.same(g.pc - (i > 0 ? 1n : 0n), o.function, g.name), `thread ${tid} frame ${i}: dumpkit names ${o.function}, gdb ${g.name}${show()}`);
    if (i > 0) assert.equal(o.trust, 'cfi', `thread ${tid} frame ${i} found by ${o.trust}${show()}`);
  });
}

/** `bt all` of LLDB on the dump: frames (pc, name or null) per thread, in the dump's thread order. */
function lldbFrames(dump: string): { text: string; threads: { pc: bigint; name: string | null }[][] } {
  const text = lldbBatch(dump, ['bt all']);
  const threads: { pc: bigint; name: string | null }[][] = [];
  for (const line of text.split('\n')) {
    if (/^\s*\*?\s*thread #\d+/.test(line)) threads.push([]);
    const m = /frame #\d+: (0x[0-9a-f]+)(?: \S+?`([^\s(]+))?/.exec(line);
    if (m && threads.length) {
      const name = m[2] && !m[2].startsWith('___lldb_unnamed_symbol') ? m[2] : null;
      threads[threads.length - 1]!.push({ pc: BigInt(m[1]!), name });
    }
  }
  return { text, threads };
}

/**
 * LLDB's frames that carry one of dumpkit's pcs must be dumpkit's frames in order, with the same
 * functions; its other frames may only be inline frames (the same function as the frame before).
 */
function compareWithLldb(index: number, lldb: { pc: bigint; name: string | null }[], ours: OurFrame[], names: FunctionNames, text: string): number {
  const ourPcs = ours.map((f, i) => BigInt(f.offset) + (i > 0 ? 1n : 0n));
  let matched = 0;
  lldb.forEach((l, i) => {
    const k = ourPcs.indexOf(l.pc);
    if (k < 0) {
      assert.ok(i > 0 && l.name !== null && names.same(lldb[i - 1]!.pc, l.name, lldb[i - 1]!.name), `LLDB thread #${index + 1} frame ${i} (0x${l.pc.toString(16)} ${l.name}) is not one of dumpkit's\n${text}`);
      return;
    }
    assert.equal(k, matched, `LLDB thread #${index + 1} frame ${i}: dumpkit's frame ${k}, expected ${matched}\n${text}`);
    if (l.name) assert.ok(names.same(l.pc - (k > 0 ? 1n : 0n), ours[k]!.function, l.name), `LLDB thread #${index + 1} frame ${i}: ${l.name} vs dumpkit ${ours[k]!.function}\n${text}`);
    matched++;
  });
  return matched;
}

for (const bits of [64, 32] as const) {
  for (const stripped of [false, true]) {
    describe(`live stacks: ${bits}-bit, ${stripped ? 'stripped' : 'with -g'}, -O2 -fomit-frame-pointer`, { skip: gdbSkip }, () => {
      it('dumpkit stack --all on the capture names the frames gdb names on the live process; LLDB agrees', async (t) => {
        const binary = build(bits, stripped);
        if (!binary) return t.skip(NO_32_BIT);
        if (bits === 32 && !runs32BitPrograms()) return t.skip(NO_I386_EXEC);
        const target = await start(binary);
        try {
          const names = new FunctionNames(target.pid);
          const gdb = gdbThreads(target.pid);
          assert.equal(gdb.threads.size, 4, gdb.text);
          const dump = join(tempDir(), `stack-${bits}${stripped ? '-stripped' : ''}.dmp`);
          const cap = runCli(['capture', String(target.pid), '-o', dump, '--overwrite']);
          assert.equal(cap.status, 0, cap.stderr);
          const st = runCli(['stack', '--all', '--json', dump]);
          assert.equal(st.status, 0, st.stderr);
          const json = JSON.parse(st.stdout) as { threads: { thread_id: number; frames: OurFrame[] }[] };
          let compared = 0;
          for (const [tid, frames] of gdb.threads) {
            compared += frames.length;
            const ours = json.threads.find((x) => x.thread_id === tid);
            assert.ok(ours, `thread ${tid} in dumpkit's output`);
            compareWithGdb(tid, frames, ours.frames, names, gdb.text);
            if (!stripped) {
              // gdb's walk is complete: down to main, or to clone3 under start_thread.
              const last = frames[frames.length - 1]!.name;
              assert.ok(last === 'main' || last === 'clone3', `thread ${tid}: gdb stops at ${last}`);
              assert.ok(frames.some((f) => /^(reader|sleeper|waiter|main)_/.test(f.name ?? '')), `thread ${tid} runs the target's chain`);
            }
          }
          t.diagnostic(`gdb: ${compared} frames in ${gdb.threads.size} threads equal to dumpkit's (pc, function, found by CFI)`);
          if (!stripped) {
            // The names and CFI above come from the ELF files: without them (--no-elf) the
            // target's own functions have no names.
            const bare = runCli(['stack', '--all', '--json', '--no-elf', dump]);
            assert.equal(bare.status, 0, bare.stderr);
            const named = (JSON.parse(bare.stdout) as { threads: { frames: OurFrame[] }[] }).threads.flatMap((th) => th.frames).filter((f) => /^(reader|sleeper|waiter|main)_/.test(f.function ?? ''));
            assert.deepEqual(named, []);
          }
          if (stripped) {
            // The same process with its separate debug file in a directory by build id: gdb
            // (debug-file-directory) and dumpkit (--symbols) both name the target's own functions again.
            const debugDir = join(tempDir(), `debug${bits}`);
            const id = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', binary]))![1]!;
            mkdirSync(join(debugDir, '.build-id', id.slice(0, 2)), { recursive: true });
            run('objcopy', ['--only-keep-debug', build(bits, false)!, join(debugDir, '.build-id', id.slice(0, 2), `${id.slice(2)}.debug`)]);
            const gdbDebug = gdbThreads(target.pid, [`set debug-file-directory ${debugDir}:/usr/lib/debug`]);
            const withDebug = runCli(['stack', '--all', '--json', '--symbols', debugDir, dump]);
            assert.equal(withDebug.status, 0, withDebug.stderr);
            const j2 = JSON.parse(withDebug.stdout) as { threads: { thread_id: number; frames: OurFrame[] }[] };
            for (const [tid, frames] of gdbDebug.threads) {
              assert.ok(frames.some((f) => /^(reader|sleeper|waiter|main)_/.test(f.name ?? '')), `gdb names thread ${tid}'s chain with the debug file\n${gdbDebug.text}`);
              compareWithGdb(tid, frames, j2.threads.find((x) => x.thread_id === tid)!.frames, names, gdbDebug.text);
            }
          }
          if (lldbPath) {
            const lldb = lldbFrames(dump);
            assert.equal(lldb.threads.length, json.threads.length, lldb.text);
            let total = 0;
            json.threads.forEach((th, i) => (total += compareWithLldb(i, lldb.threads[i]!, th.frames, names, lldb.text)));
            assert.ok(total >= 8, `LLDB matched ${total} frames\n${lldb.text}`);
            t.diagnostic(`LLDB: ${total} frames matched dumpkit's`);
          }
        } finally {
          await stop(target);
        }
      });
    });
  }
}
