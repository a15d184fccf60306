import { spawnSync } from 'node:child_process';
import { existsSync } from 'node:fs';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * Drivers for third-party kernel-dump readers built OUTSIDE the repo (docs/interop.md says how):
 *  - DUMPKIT_KDMP_PARSER: a checker program over kdmp-parser's C++ API, `CHECKER FILE [p:PA:LEN|v:VA:LEN]…`
 *    (hex), whose last output line is JSON {ok, dumpType, pageCount, dtb, bugCheckCode, registers, reads}.
 *  - DUMPKIT_KDMP_PARSER_RS: the same checker interface over kdmp-parser-rs (the Rust crate).
 *  - DUMPKIT_VOLATILITY3: path to Volatility 3's vol.py (its directory holds the `volatility3` package);
 *    run with DUMPKIT_PYTHON (default /usr/bin/python3) for `windows.crashinfo` and for
 *    test/helpers/vol-layer-read.py, which reads through Volatility's own crash and Intel layers.
 */
/** The kdmp-parser-style checkers that are configured: name, env var, path (undefined when unset). */
export const kdmpCheckers = [
  { name: 'kdmp-parser', env: 'DUMPKIT_KDMP_PARSER', path: process.env.DUMPKIT_KDMP_PARSER || undefined },
  { name: 'kdmp-parser-rs', env: 'DUMPKIT_KDMP_PARSER_RS', path: process.env.DUMPKIT_KDMP_PARSER_RS || undefined },
].map((c) => ({
  ...c,
  skip: c.path ? (false as const) : `set ${c.env}=/path/to/checker (a checker over ${c.name}, see docs/interop.md) to run`,
}));
export const volPy = process.env.DUMPKIT_VOLATILITY3 || undefined;
export const python = process.env.DUMPKIT_PYTHON || (existsSync('/usr/bin/python3') ? '/usr/bin/python3' : 'python3');

export const volSkip: string | false = volPy
  ? false
  : 'set DUMPKIT_VOLATILITY3=/path/to/volatility3/vol.py (see docs/interop.md) to run';

export interface ToolRead {
  kind: 'p' | 'v';
  addr: string;
  len: number;
  /** Hex of the bytes; kdmp-check writes "??" for a byte it could not read. */
  hex?: string;
  error?: string;
  /** Physical address(es) the VA translated to, as the tool reports them. */
  pa?: string;
}
export interface ToolView {
  ok: boolean;
  error?: string;
  dumpType?: number;
  pageCount?: number;
  dtb?: string;
  bugCheckCode?: string;
  bugCheckParameters?: string[];
  registers?: Record<string, string>;
  automagicDtb?: string | null;
  reads?: ToolRead[];
  /** Everything the tool printed (for failure messages). */
  output: string;
}

export interface Probe {
  kind: 'p' | 'v';
  addr: bigint;
  len: number;
}
export const probeArg = (p: Probe): string => `${p.kind}:${p.addr.toString(16)}:${p.len.toString(16)}`;

function lastJson(text: string): unknown {
  const line = text
    .split('\n')
    .reverse()
    .find((l) => l.startsWith('{'));
  if (!line) throw new Error(`no JSON line in the tool's output:\n${text.slice(-3000)}`);
  return JSON.parse(line);
}

function run(cmd: string, args: string[]): string {
  const r = spawnSync(cmd, args, { encoding: 'utf8', timeout: 300_000, maxBuffer: 64 << 20 });
  if (r.error) throw r.error;
  return `${r.stdout}${r.stderr ? `\n[stderr]\n${r.stderr}` : ''}`;
}

/** A kdmp-parser checker's view of `file`, with the given reads. */
export function kdmpView(checker: string, file: string, probes: Probe[]): ToolView {
  const out = run(checker, [file, ...probes.map(probeArg)]);
  return { ...(lastJson(out.split('\n[stderr]\n')[0]!) as Omit<ToolView, 'output'>), output: out };
}

/** Volatility 3's view of `file` through its crash layer and WindowsIntel32e, with the given reads. */
export function volView(file: string, probes: Probe[]): ToolView {
  const script = fileURLToPath(new URL('./vol-layer-read.py', import.meta.url));
  const out = run(python, [script, dirname(volPy!), file, ...probes.map(probeArg)]);
  return { ...(lastJson(out.split('\n[stderr]\n')[0]!) as Omit<ToolView, 'output'>), output: out };
}

/**
 * `vol.py -q -r json -f FILE windows.crashinfo`: column → value of the first row. Numbers stay decimal digit
 * strings (JSON.parse would round 64-bit addresses), strings are unquoted, null is "null".
 */
export function volCrashinfo(file: string): { columns: Record<string, string>; output: string } {
  const out = run(python, [volPy!, '-q', '-r', 'json', '-f', file, 'windows.crashinfo']);
  const stdout = out.split('\n[stderr]\n')[0]!;
  const firstRow = stdout.slice(stdout.indexOf('{'), stdout.indexOf('}') + 1);
  const columns: Record<string, string> = {};
  for (const m of firstRow.matchAll(/"(\w+)":\s*("(?:[^"\\]|\\.)*"|-?\d+|null|true|false)/g)) {
    columns[m[1]!] = m[2]!.startsWith('"') ? (JSON.parse(m[2]!) as string) : m[2]!;
  }
  return { columns, output: out };
}

/** A read's bytes, or undefined if the tool could not read all of them. */
export function readBytes(r: ToolRead | undefined): Uint8Array | undefined {
  if (!r || r.error || r.hex === undefined || r.hex.includes('?') || r.hex.length !== r.len * 2) return undefined;
  return Uint8Array.from(r.hex.match(/../g) ?? [], (h) => parseInt(h, 16));
}

/**
 * Breakpad's minidump_stackwalk, built outside the repo (docs/interop.md):
 * DUMPKIT_MINIDUMP_STACKWALK=/work/ext/breakpad/bin/minidump_stackwalk.
 */
export const minidumpStackwalk = process.env.DUMPKIT_MINIDUMP_STACKWALK || undefined;
export const stackwalkSkip: string | false = minidumpStackwalk
  ? false
  : "set DUMPKIT_MINIDUMP_STACKWALK=/path/to/minidump_stackwalk (Breakpad's, see docs/interop.md) to run";

/**
 * Breakpad's upload tools (src/tools/linux/symupload/minidump_upload.cc and sym_upload.cc), built
 * outside the repo (docs/interop.md): DUMPKIT_BREAKPAD_MINIDUMP_UPLOAD=/work/ext/breakpad/bin/minidump_upload,
 * DUMPKIT_BREAKPAD_SYM_UPLOAD=/work/ext/breakpad/bin/sym_upload.
 */
export const breakpadMinidumpUpload = process.env.DUMPKIT_BREAKPAD_MINIDUMP_UPLOAD || undefined;
export const breakpadSymUpload = process.env.DUMPKIT_BREAKPAD_SYM_UPLOAD || undefined;
const unsetUploadTools = [
  ['DUMPKIT_BREAKPAD_MINIDUMP_UPLOAD', breakpadMinidumpUpload, 'minidump_upload'],
  ['DUMPKIT_BREAKPAD_SYM_UPLOAD', breakpadSymUpload, 'sym_upload'],
].filter(([, path]) => !path);
export const breakpadUploadSkip: string | false = unsetUploadTools.length
  ? `set ${unsetUploadTools.map(([env, , tool]) => `${env}=/path/to/${tool}`).join(' and ')} (Breakpad's, see docs/interop.md) to run`
  : false;
