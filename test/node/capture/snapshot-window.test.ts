import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, test } from 'node:test';
import { tsxLoader } from '../../helpers/cli.js';
import { buildTarget, gccSkip, NO_32_BIT, RunningTarget } from '../../helpers/target.js';

/**
 * The copy-on-write snapshot child must never run the target's code, even when dumpkit is killed
 * in the instant between creating it and tying its life to dumpkit's (PTRACE_O_EXITKILL). The
 * failspot makes dumpkit SIGKILL itself exactly there; the released child must then die at once
 * (by SIGSEGV, on the unusable stack/TLS the clone gave it), and the target must run on.
 */
const mainTs = fileURLToPath(new URL('../../../src/node/cli/main.ts', import.meta.url));
const dir = mkdtempSync(join(tmpdir(), 'dumpkit-snapwin-'));
after(() => rmSync(dir, { recursive: true, force: true }));

function stat(pid: number): string[] | undefined {
  try {
    const s = readFileSync(`/proc/${pid}/stat`, 'utf8');
    return [s.slice(0, s.lastIndexOf(')') + 1), ...s.slice(s.lastIndexOf(')') + 2).split(' ')];
  } catch {
    return undefined;
  }
}

function childrenOf(pid: number): number[] {
  return readdirSync(`/proc/${pid}/task`).flatMap((tid) => {
    try {
      return readFileSync(`/proc/${pid}/task/${tid}/children`, 'utf8').trim().split(/\s+/).filter(Boolean).map(Number);
    } catch {
      return [];
    }
  });
}

/**
 * Runs a capture that SIGKILLs itself at failspot `spot`; returns the one snapshot child it made
 * and that child's /proc stat fields once it is dead (or 5 s have passed).
 */
async function captureKilledAt(target: RunningTarget, spot: string, out: string): Promise<{ child: number; st: string[] | undefined }> {
  const before = new Set(childrenOf(target.pid));
  const r = spawnSync(process.execPath, ['--import', tsxLoader, mainTs, 'capture', String(target.pid), '--type', 'full', '--snapshot', 'fork', '-o', out], {
    env: { ...process.env, DUMPKIT_FAILSPOT: spot },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(r.signal, 'SIGKILL', `dumpkit reached the failspot (stderr: ${r.stderr})`);
  const fresh = childrenOf(target.pid).filter((c) => !before.has(c));
  assert.equal(fresh.length, 1, 'exactly one snapshot child was made');
  const child = fresh[0]!;
  const end = Date.now() + 5000;
  while (stat(child)?.[1] !== 'Z' && Date.now() < end) await new Promise((res) => setTimeout(res, 10));
  return { child, st: stat(child) };
}

// Both for a 64-bit target and a 32-bit one (whose child has no CLONE_SETTLS: the clone happens
// only at an `int $0x80` followed by a stack access, its first instruction, which faults).
for (const bits of [64, 32] as const) {
const tag = bits === 64 ? '' : ' (32-bit target)';
test(`snapshot child released before EXITKILL dies by SIGSEGV without running; the target runs on${tag}`, { skip: gccSkip, timeout: 90_000 }, async (t) => {
  const binary = buildTarget(bits);
  if (!binary) return t.skip(NO_32_BIT);
  const target = await RunningTarget.start(binary, ['--heap-mb', '64']);
  try {
    const out = join(dir, `window${bits}.dmp`);
    const { st } = await captureKilledAt(target, 'snapshot-before-exitkill', out);
    assert.equal(st?.[1], 'Z', `released child is ${st?.[1]}, not dead`);
    // Field 52 (exit_code): the signal that ended it, | 0x80 when it dumped core.
    const exitCode = Number(st![50]);
    assert.equal(exitCode & 0x7f, 11, `the child died of SIGSEGV at its first stack/TLS use (exit_code ${exitCode})`);
    assert.ok(target.threadStates().every((s) => s !== 't' && s !== 'T'), 'target threads are not stopped');
    assert.ok(await target.makesProgress(), 'the target makes progress');
    assert.ok(!existsSync(out), 'no dump under the final name');
  } finally {
    await target.stop();
  }
});

/**
 * The same, while the snapshot child writes its own memory into the dump file (its write loop
 * running, not stopped): PTRACE_O_EXITKILL kills it with dumpkit, the target runs on, and only
 * the temporary file is left, under a name that says what it is.
 */
test(`dumpkit SIGKILLed while the snapshot child writes the dump: the child dies with it (SIGKILL), the target runs on${tag}`, { skip: gccSkip, timeout: 90_000 }, async (t) => {
  const binary = buildTarget(bits);
  if (!binary) return t.skip(NO_32_BIT);
  const target = await RunningTarget.start(binary, ['--heap-mb', '256']);
  try {
    const out = join(dir, `writing${bits}.dmp`);
    const { st } = await captureKilledAt(target, 'snapshot-writing', out);
    assert.equal(st?.[1], 'Z', `the writing child is ${st?.[1]}, not dead`);
    assert.equal(Number(st![50]) & 0x7f, 9, 'killed by SIGKILL (PTRACE_O_EXITKILL), not ended some other way');
    assert.ok(target.threadStates().every((s) => s !== 't' && s !== 'T'), 'target threads are not stopped');
    assert.ok(await target.makesProgress(), 'the target makes progress');
    assert.ok(!existsSync(out), 'no dump under the final name');
    assert.deepEqual(
      readdirSync(dir).filter((f) => f.includes(`writing${bits}.dmp`)),
      [readdirSync(dir).find((f) => f.startsWith(`.writing${bits}.dmp.`) && f.endsWith('.dumpkit-tmp'))],
      'only the temporary file is left',
    );
  } finally {
    await target.stop();
  }
});
}
