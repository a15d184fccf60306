import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { MemorySource } from '../../src/core/bytes/memory-source.js';
import { ElfFile } from '../../src/core/elf/elf-file.js';
import { gccPath } from './target.js';

/**
 * Small C programs compiled with gcc at test time into a temp directory (absolute source path, so
 * DWARF of every version names the file the same way addr2line does), and the binutils that serve
 * as oracles. Absent tools: tests skip with a message, except under CI.
 */
let dir: string | undefined;
const cache = new Map<string, string | undefined>();

export function tempDir(): string {
  dir ??= mkdtempSync(join(tmpdir(), 'dumpkit-elf-'));
  return dir;
}

/** Compiles `source` with `flags` (e.g. ['-m32', '-O2', '-g']); undefined if -m32 cannot build (not in CI). */
export function compileC(name: string, source: string, flags: string[]): string | undefined {
  const key = `${name}\0${flags.join(' ')}`;
  if (cache.has(key)) return cache.get(key);
  const d = tempDir();
  const src = join(d, `${name}.c`);
  if (!existsSync(src)) writeFileSync(src, source);
  const out = join(d, `${name}-${flags.join('').replace(/[^A-Za-z0-9]/g, '_')}`);
  const r = spawnSync(gccPath ?? 'gcc', [...flags, '-o', out, src], { encoding: 'utf8' });
  const ok = r.status === 0 && existsSync(out);
  if (!ok && (!flags.includes('-m32') || process.env.CI)) throw new Error(`gcc ${flags.join(' ')} failed: ${r.stderr}`);
  cache.set(key, ok ? out : undefined);
  return cache.get(key);
}

/** stdout of a tool; throws when it fails. */
export function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 512 * 1024 * 1024 });
  if (r.status !== 0) throw new Error(`${cmd} ${args.join(' ')} failed: ${r.stderr}`);
  return r.stdout;
}

export async function openElf(path: string): Promise<ElfFile> {
  return ElfFile.open(new MemorySource(readFileSync(path), path));
}

/** A C program with a few noinline functions, an alloca frame and a loop (varied CFI and lines). */
export const SAMPLE_C = `#include <stdio.h>
#include <stdlib.h>
#include <alloca.h>
__attribute__((noinline)) int leaf(int x) { volatile int a[10]; for (int i = 0; i < 10; i++) a[i] = x * i; return a[3]; }
__attribute__((noinline)) int mid(int x) { char *p = alloca(x); p[0] = 1; return leaf(x) + p[0]; }
__attribute__((noinline)) static int spill(int a, int b, int c) { int r = 0; for (int i = 0; i < a; i++) r += printf("%d %d\\n", b * i, c); return r; }
int main(int argc, char **argv) { printf("%d\\n", mid(argc * 16) + spill(argc, argc + 1, argc + 2)); return 0; }
`;

/** libc's separate debug file (Debian libc6-dbg), when installed: compressed DWARF 5, .symtab of 3000+ functions. */
export function libcDebugFile(): string | undefined {
  const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6'].find(existsSync);
  if (!libc) return undefined;
  const m = /Build ID: ([0-9a-f]+)/.exec(run('readelf', ['-n', libc]));
  if (!m) return undefined;
  const p = `/usr/lib/debug/.build-id/${m[1]!.slice(0, 2)}/${m[1]!.slice(2)}.debug`;
  return existsSync(p) ? p : undefined;
}

export const libcPath = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6'].find(existsSync);
