import { spawnSync } from 'node:child_process';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lldbPath } from './target.js';

/** Runs LLDB in batch mode on a core file with the given commands; returns stdout+stderr. */
export function lldbBatch(core: string, commands: string[]): string {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-lldb-'));
  const script = join(dir, 'cmds');
  writeFileSync(script, commands.join('\n') + '\n');
  try {
    const r = spawnSync(lldbPath ?? 'lldb', ['--no-lldbinit', '-b', '-c', core, '-s', script], { encoding: 'utf8', timeout: 120_000 });
    return `${r.stdout}\n${r.stderr}`;
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export interface LldbThread {
  index: number;
  tid: number;
}

export function parseThreadList(out: string): LldbThread[] {
  return [...out.matchAll(/thread #(\d+): tid = (\d+),/g)].map((m) => ({ index: Number(m[1]), tid: Number(m[2]) }));
}

/** (pc, sp) pairs from successive `register read pc sp` outputs, in order. */
export function parseRegisterReads(out: string): { pc: bigint; sp: bigint }[] {
  const pcs = [...out.matchAll(/^\s*(?:rip|eip) = (0x[0-9a-f]+)/gm)].map((m) => BigInt(m[1]!));
  const sps = [...out.matchAll(/^\s*(?:rsp|esp) = (0x[0-9a-f]+)/gm)].map((m) => BigInt(m[1]!));
  return pcs.map((pc, i) => ({ pc, sp: sps[i]! }));
}

export function parseImageList(out: string): { base: bigint; path: string }[] {
  return [...out.matchAll(/^\[\s*\d+\] \S+ (0x[0-9a-f]+) (\S+)/gm)].map((m) => ({ base: BigInt(m[1]!), path: m[2]! }));
}

/** Bytes printed by `memory read --size 1` at `address` (empty if LLDB could not read it). */
export function parseMemoryRead(out: string, address: bigint): number[] {
  const bytes: number[] = [];
  for (const m of out.matchAll(/^(0x[0-9a-f]+): ((?:[0-9a-f]{2} ?)+)/gm)) {
    const at = BigInt(m[1]!);
    if (at < address || at >= address + 4096n) continue;
    bytes.push(...m[2]!.trim().split(/\s+/).map((h) => parseInt(h, 16)));
  }
  return bytes;
}
