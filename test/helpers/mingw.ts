import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A real PE DLL built with the Debian MinGW-w64 cross toolchain, and objdump's view of it.
 * Absent tools skip the tests with a message, except under CI where they must be present.
 */
function which(cmd: string): string | undefined {
  const r = spawnSync('sh', ['-c', `command -v ${cmd}`], { encoding: 'utf8' });
  return r.status === 0 ? r.stdout.trim() : undefined;
}
const gcc = which('x86_64-w64-mingw32-gcc');
const objdump = which('x86_64-w64-mingw32-objdump');
if (process.env.CI && (!gcc || !objdump)) throw new Error('CI=true but the MinGW-w64 toolchain is missing (.ci/run installs gcc-mingw-w64-x86-64)');
export const mingwSkip: string | false = gcc && objdump ? false : 'x86_64-w64-mingw32-gcc not installed (apt-get install gcc-mingw-w64-x86-64)';

const SOURCE = `
#include <malloc.h>
__declspec(dllexport) int leaf_add(int a, int b) { return a + b; }
extern void sink(volatile char *p, int n);
__declspec(dllexport) int with_frame(int n) {
  volatile char *p = alloca(n);
  sink(p, n);
  return p[0];
}
__declspec(dllexport) long big_alloc(long a, long b, long c) {
  volatile char buf[8000];
  long x = a * 3, y = b * 5, z = c * 7, w = a ^ b;
  sink(buf, sizeof buf);
  sink(buf + x, (int)(y + z + w));
  return x + y + z + w + buf[10];
}
void sink(volatile char *p, int n) { if (n > 0) p[0] = (char)n; }
int data_export = 5;
`;
const DEF = `LIBRARY t.dll
EXPORTS
  leaf_add
  with_frame
  big_alloc
  hidden_ord=sink @42 NONAME
  data_export DATA
  FwdSleep=KERNEL32.Sleep
`;

/** Builds the DLL once; returns its bytes and `objdump -x` output. */
export function buildTestDll(): { bytes: Uint8Array; objdump: string } {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-pe-'));
  writeFileSync(join(dir, 't.c'), SOURCE);
  writeFileSync(join(dir, 't.def'), DEF);
  const out = join(dir, 't.dll');
  const r = spawnSync(gcc!, ['-O2', '-shared', '-o', out, join(dir, 't.c'), join(dir, 't.def'), '-Wl,--build-id', '-Wl,--pdb=t.pdb'], { cwd: dir, encoding: 'utf8' });
  if (r.status !== 0) throw new Error(`mingw gcc failed: ${r.stderr}`);
  const d = spawnSync(objdump!, ['-x', out], { encoding: 'utf8', maxBuffer: 64 << 20 });
  if (d.status !== 0) throw new Error(`objdump failed: ${d.stderr}`);
  return { bytes: new Uint8Array(readFileSync(out)), objdump: d.stdout };
}
