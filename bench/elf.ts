/**
 * ELF symbols and CFI (`npm run bench -- elf`), on this machine's libc.so.6 and its libc6-dbg debug
 * file (compressed DWARF 5), beside the binutils a user would run instead, median of 3, fresh
 * processes on both sides:
 *  1. 10,000 addresses in libc's .text → function + file:line: dumpkit (open the debug file, read
 *     .symtab and .debug_line, look up) vs `addr2line -f -e libc.debug` on the same addresses;
 *  2. CFI rules at the same 10,000 addresses (what the walker asks: FDE through .eh_frame_hdr, CFA
 *     program up to the address, Breakpad rules) vs `objdump --dwarf=frames-interp libc.so.6`, which
 *     prints every row of every FDE (binutils has no per-address CFI query; the nearest a user has).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Rng } from '../src/core/machine/rng.js';

const libc = ['/lib/x86_64-linux-gnu/libc.so.6', '/usr/lib/x86_64-linux-gnu/libc.so.6'].find(existsSync);
const ADDRESSES = 10_000;
const self = fileURLToPath(import.meta.url);

function debugFileOf(path: string): string | undefined {
  const id = /Build ID: ([0-9a-f]+)/.exec(spawnSync('readelf', ['-n', path], { encoding: 'utf8' }).stdout)?.[1];
  const p = id && `/usr/lib/debug/.build-id/${id.slice(0, 2)}/${id.slice(2)}.debug`;
  return p && existsSync(p) ? p : undefined;
}

/** Child mode: one measured task in a fresh process; prints its milliseconds and a check value. */
async function child(task: string, file: string, addrFile: string): Promise<void> {
  const { ElfFile } = await import('../src/core/elf/elf-file.js');
  const { FileSource } = await import('../src/node/file-source.js');
  const t0 = performance.now();
  const elf = await ElfFile.open(FileSource.open(file));
  let check = 0;
  if (task === 'symbolize') {
    const { ElfSymbolTable } = await import('../src/core/elf/symtab.js');
    const { LineTable } = await import('../src/core/elf/dwarf-line.js');
    const syms = await ElfSymbolTable.read(elf);
    const lines = await LineTable.fromElf(elf);
    for (const a of readFileSync(addrFile, 'utf8').trim().split('\n')) {
      const at = BigInt(a);
      if (syms.lookup(at) && lines?.lookup(at)) check++;
    }
  } else {
    const { CfiSection } = await import('../src/core/elf/eh-frame.js');
    const { cfaRowAt, breakpadRules } = await import('../src/core/elf/cfi-rules.js');
    const cfi = (await CfiSection.fromElf(elf, 'eh_frame'))!;
    const bases = { sectionAddr: cfi.sectionAddr, ...cfi.bases };
    for (const a of readFileSync(addrFile, 'utf8').trim().split('\n')) {
      const at = BigInt(a);
      const fde = cfi.findFde(at);
      if (fde && breakpadRules(cfaRowAt(fde, at, bases), fde.cie, elf.machine)) check++;
    }
  }
  process.stdout.write(`${(performance.now() - t0).toFixed(1)} ${check}\n`);
}

function median(xs: number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.floor(s.length / 2)]!;
}

function timeProcess(cmd: string, args: string[]): number {
  const t0 = performance.now();
  const r = spawnSync(cmd, args, { encoding: 'utf8', maxBuffer: 1 << 30 });
  if (r.status !== 0) throw new Error(`${cmd} failed: ${r.stderr}`);
  return performance.now() - t0;
}

function dumpkitChild(task: string, file: string, addrFile: string): { wall: number; inside: number; check: number } {
  const t0 = performance.now();
  const r = spawnSync(process.execPath, ['--import', 'tsx', self, '--child', task, file, addrFile], { encoding: 'utf8' });
  const wall = performance.now() - t0;
  if (r.status !== 0) throw new Error(`child failed: ${r.stderr}`);
  const [inside, check] = r.stdout.trim().split(' ').map(Number);
  return { wall, inside: inside!, check: check! };
}

export async function run(): Promise<void> {
  if (!libc) {
    process.stdout.write('no libc.so.6 found: skipped\n');
    return;
  }
  const debug = debugFileOf(libc);
  if (!debug) {
    process.stdout.write('libc6-dbg not installed (apt-get install libc6-dbg): skipped\n');
    return;
  }
  const text = /\.text\s+PROGBITS\s+([0-9a-f]+)\s+[0-9a-f]+\s+([0-9a-f]+)/.exec(spawnSync('readelf', ['-SW', libc], { encoding: 'utf8' }).stdout)!;
  const start = parseInt(text[1]!, 16);
  const size = parseInt(text[2]!, 16);
  const rng = new Rng(20261204);
  const addrs = Array.from({ length: ADDRESSES }, () => '0x' + (start + rng.int(0, size - 1)).toString(16));
  const addrFile = join(tmpdir(), `dumpkit-bench-elf-${process.pid}.txt`);
  writeFileSync(addrFile, addrs.join('\n') + '\n');

  const rows: string[] = [];
  const a2l: number[] = [];
  const dk1: { wall: number; inside: number; check: number }[] = [];
  for (let i = 0; i < 3; i++) {
    dk1.push(dumpkitChild('symbolize', debug, addrFile));
    a2l.push(timeProcess('addr2line', ['-f', '-e', debug, ...addrs]));
  }
  const d1 = median(dk1.map((x) => x.wall));
  rows.push(`symbolize ${ADDRESSES} libc addresses (name + file:line): dumpkit ${d1.toFixed(0)} ms (in-process ${median(dk1.map((x) => x.inside)).toFixed(0)} ms, ${dk1[0]!.check} with both), addr2line ${median(a2l).toFixed(0)} ms, ratio ${(d1 / median(a2l)).toFixed(2)}`);

  const od: number[] = [];
  const dk2: { wall: number; inside: number; check: number }[] = [];
  for (let i = 0; i < 3; i++) {
    dk2.push(dumpkitChild('cfi', libc, addrFile));
    od.push(timeProcess('objdump', ['--dwarf=frames-interp', libc]));
  }
  const d2 = median(dk2.map((x) => x.wall));
  rows.push(`CFI rules at ${ADDRESSES} libc addresses: dumpkit ${d2.toFixed(0)} ms (in-process ${median(dk2.map((x) => x.inside)).toFixed(0)} ms, ${dk2[0]!.check} with rules), objdump --dwarf=frames-interp ${median(od).toFixed(0)} ms, ratio ${(d2 / median(od)).toFixed(2)}`);
  process.stdout.write(rows.join('\n') + '\n(dumpkit times include starting Node with tsx; medians of 3)\n');
}

if (process.argv[2] === '--child') await child(process.argv[3]!, process.argv[4]!, process.argv[5]!);
