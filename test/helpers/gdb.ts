import { spawnSync } from 'node:child_process';
import { writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { tempDir } from './c-program.js';
import { gdbPath } from './target.js';

/** One physical frame as gdb sees it: pc (the return address for callers), function name, function start. */
export interface GdbFrame {
  pc: bigint;
  name: string | null;
  start: bigint | null;
}

// Walks every thread with gdb's Python API, skipping inline frames (dumpkit's ELF provider shows
// the physical function only); stops where `bt` stops (main, or the outermost frame).
const SCRIPT = `
import gdb, json, re
out = []
for th in gdb.selected_inferior().threads():
    th.switch()
    frames = []
    f = gdb.newest_frame()
    level = 0
    while f is not None and len(frames) < 200:
        if f.type() != gdb.INLINE_FRAME:
            fn = f.function()
            start = None
            if fn is not None:
                start = int(fn.value().address)
            else:
                at = f.pc() - (1 if level > 0 else 0)
                m = re.match(r'^(\\S+)(?: \\+ (\\d+))? in section', gdb.execute('info symbol %d' % at, to_string=True))
                if m:
                    start = at - int(m.group(2) or 0)
            frames.append({'pc': str(f.pc()), 'name': f.name(), 'start': None if start is None else str(start)})
        level += 1
        f = f.older()
    out.append({'tid': th.ptid[1], 'frames': frames})
print('GDBJSON' + json.dumps(out))
`;

/** `thread apply all bt` of a live process (text, for messages) and its frames per thread id. */
export function gdbThreads(pid: number, extra: string[] = []): { text: string; threads: Map<number, GdbFrame[]> } {
  const script = join(tempDir(), 'gdb-frames.py');
  writeFileSync(script, SCRIPT);
  const r = spawnSync(gdbPath ?? 'gdb', ['-nx', '-batch', ...extra.flatMap((e) => ['-iex', e]), '-p', String(pid), '-ex', 'thread apply all bt', '-x', script], {
    encoding: 'utf8',
    timeout: 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  const line = r.stdout.split('\n').find((l) => l.startsWith('GDBJSON'));
  if (!line) throw new Error(`gdb printed no frames: ${r.stdout}\n${r.stderr}`);
  const threads = new Map<number, GdbFrame[]>();
  for (const t of JSON.parse(line.slice(7)) as { tid: number; frames: { pc: string; name: string | null; start: string | null }[] }[]) {
    threads.set(
      t.tid,
      t.frames.map((f) => ({ pc: BigInt(f.pc), name: f.name, start: f.start === null ? null : BigInt(f.start) })),
    );
  }
  return { text: r.stdout.slice(0, r.stdout.indexOf('GDBJSON')), threads };
}
