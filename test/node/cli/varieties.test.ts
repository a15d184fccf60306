import assert from 'node:assert/strict';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, test } from 'node:test';
import { runCli } from '../../helpers/cli.js';

const dir = mkdtempSync(join(tmpdir(), 'dumpkit-varieties-cli-'));
after(() => rmSync(dir, { recursive: true, force: true }));
const machine = join(dir, 'server.dmp');

function ok(args: string[]): string {
  const r = runCli(args);
  assert.equal(r.status, 0, `dumpkit ${args.join(' ')}\n${r.stderr}`);
  return r.stdout;
}

test('machine writes a complete dump; info lists ntoskrnl.exe first at the kernel base', () => {
  const out = JSON.parse(ok(['machine', '--ram', '256M', '--profile', 'server', '--seed', '2', '-o', machine, '--json'])) as { bytes: number; dumpType: number };
  assert.equal(out.bytes, statSync(machine).size);
  assert.equal(out.dumpType, 5);
  const info = JSON.parse(ok(['info', machine, '--json'])) as { modules?: { name: string; base: string }[] };
  const text = JSON.stringify(info);
  assert.ok(info.modules?.[0]?.name === 'ntoskrnl.exe' || /ntoskrnl\.exe/.test(text), text.slice(0, 500));
  const again = runCli(['machine', '--ram', '256M', '-o', machine]);
  assert.equal(again.status, 2);
  assert.match(again.stderr, /exists; pass --overwrite/);
  const bad = runCli(['machine', '--ram', '1K', '-o', join(dir, 'x.dmp')]);
  assert.equal(bad.status, 2);
  assert.match(bad.stderr, /INVALID_ARGUMENT.*--ram/);
});

test('plan agrees with the file and with the same model given as a spec; --svg draws it', () => {
  const svg = join(dir, 'plan.svg');
  const fromFile = JSON.parse(ok(['plan', machine, '--json', '--svg', svg])) as { varieties: { name: string; bytes: number; pageFileBytes: number; pages: Record<string, number> }[] };
  const names = fromFile.varieties.map((v) => v.name);
  assert.deepEqual(names, ['complete', 'active', 'kernel', 'automatic', 'small', 'live-full', 'live-kernel-stacks']);
  const complete = fromFile.varieties[0]!;
  assert.equal(complete.bytes, statSync(machine).size);
  const fromSpec = JSON.parse(ok(['plan', 'server:256M:seed=2', '--json'])) as typeof fromFile;
  assert.deepEqual(
    fromSpec.varieties.map((v) => [v.name, v.bytes, v.pages]),
    fromFile.varieties.map((v) => [v.name, v.bytes, v.pages]),
  );
  assert.ok(readFileSync(svg, 'utf8').startsWith('<svg'));
  const table = ok(['plan', machine]);
  assert.match(table, /^RAM 256\.0 MiB/);
  assert.match(table, /kernel\s+6\s/);
});

test('convert shrinks, refuses to grow with exit 2, and the result opens', () => {
  const kernel = join(dir, 'server-kernel.dmp');
  const r = JSON.parse(ok(['convert', machine, '--to', 'kernel', '-o', kernel, '--json'])) as { bytes: number; from: string; to: string };
  assert.equal(r.bytes, statSync(kernel).size);
  assert.equal(r.from, 'complete');
  assert.ok(r.bytes < statSync(machine).size * 0.6);
  const grow = runCli(['convert', kernel, '--to', 'complete', '-o', join(dir, 'grown.dmp')]);
  assert.equal(grow.status, 2);
  assert.match(grow.stderr, /REFUSED: cannot convert a kernel dump to complete: that would grow the dump/);
  assert.ok(!existsSync(join(dir, 'grown.dmp')));
  const small = join(dir, 'server-small.dmp');
  ok(['convert', kernel, '--to', 'small', '-o', small]);
  assert.ok(statSync(small).size < 1024 * 1024);
  assert.match(ok(['info', small]), /DumpType 4/);
});

test('crash: small dumps named MMDDYY-ms-NN.dmp, MinidumpsCount honoured, JSON report', () => {
  const root = join(dir, 'root');
  const cc = join(dir, 'cc.json');
  writeFileSync(cc, JSON.stringify({ CrashDumpEnabled: 3, PageFileSizeMB: 512, MinidumpsCount: 2 }));
  const reports = [0, 1, 2].map(() => JSON.parse(ok(['crash', machine, '--config', cc, '--root', root])) as { files: { path: string }[]; removed: { path: string }[] });
  const names = reports.map((r) => r.files[0]!.path.split('/').pop()!);
  assert.match(names[0]!, /^\d{6}-\d+-01\.dmp$/);
  assert.equal(names[1], names[0]!.replace('-01.dmp', '-02.dmp'));
  assert.equal(names[2], names[0]!.replace('-01.dmp', '-03.dmp'));
  assert.equal(reports[2]!.removed.length, 1, 'the oldest small dump goes when MinidumpsCount is reached');
  assert.equal(readdirSync(join(root, 'Windows', 'Minidump')).length, 2);
  // Complete dump with too small a page file: not written, said why.
  writeFileSync(cc, JSON.stringify({ CrashDumpEnabled: 1, PageFileSizeMB: 64 }));
  const none = JSON.parse(ok(['crash', machine, '--config', cc, '--root', root])) as { files: unknown[]; notes: string[]; pageFile: { sufficient: boolean } };
  assert.equal(none.files.length, 0);
  assert.equal(none.pageFile.sufficient, false);
  assert.match(none.notes.join(' '), /RAM \+ 1 MiB/);
  // Kernel dump with a short page file: truncated to fit, InsufficientDumpfileSize set, still opens.
  writeFileSync(cc, JSON.stringify({ CrashDumpEnabled: 2, PageFileSizeMB: 24 }));
  const cut = JSON.parse(ok(['crash', machine, '--config', cc, '--root', root])) as { files: { path: string; truncated: boolean; attributes: string }[] };
  assert.equal(cut.files[0]!.truncated, true);
  assert.ok(statSync(cut.files[0]!.path).size <= 24 * 1024 * 1024);
  assert.match(ok(['info', cut.files[0]!.path]), /InsufficientDumpfileSize/);
  writeFileSync(cc, '{"CrashDumpEnabled": "yes"}');
  assert.equal(runCli(['crash', machine, '--config', cc, '--root', root]).status, 2);
});

test('live: writes into LiveKernelDumps with bug check 0x161, refuses while another runs, aborts under memory pressure', () => {
  const root = join(dir, 'liveroot');
  const out = JSON.parse(ok(['live', 'workstation:2G', '--root', root, '--user', 'alice'])) as { file: string; bugCheck: string; partial: boolean };
  assert.match(out.file, /Users\/alice\/AppData\/Local\/Microsoft\/Windows\/TaskManager\/LiveKernelDumps\/LiveKernelDump-full-.*\.dmp$/);
  assert.equal(out.bugCheck, '0x161');
  const info = ok(['info', out.file]);
  assert.match(info, /0x161/);
  const lockDir = join(root, 'Users', 'alice', 'AppData', 'Local', 'Microsoft', 'Windows', 'TaskManager', 'LiveKernelDumps');
  mkdirSync(lockDir, { recursive: true });
  writeFileSync(join(lockDir, '.dumpkit-live.lock'), `${process.pid}\n`);
  const busy = runCli(['live', 'workstation:2G', '--root', root, '--user', 'alice']);
  assert.equal(busy.status, 2);
  assert.match(busy.stderr, /BUSY/);
  rmSync(join(lockDir, '.dumpkit-live.lock'));
  const pressure = runCli(['live', 'hyperv-host:1G', '--root', root, '--hypervisor-pages', 'all', '--user-pages']);
  assert.equal(pressure.status, 2);
  assert.match(pressure.stderr, /MEMORY_PRESSURE/);
  const partial = JSON.parse(ok(['live', 'hyperv-host:1G', '--root', root, '--hypervisor-pages', 'all', '--user-pages', '--no-abort-on-memory-pressure'])) as { partial: boolean; pages: number; freePages: number };
  assert.equal(partial.partial, true);
  assert.equal(partial.pages, partial.freePages);
});
