/**
 * The CLI bundle (scripts/build.mjs → dist/cli/, what bin/dumpkit.cjs runs): every command file has
 * its bundle and is listed by --help with no registration; `info` reads both formats; a DumpError
 * thrown inside a command bundle is recognised by main (exit 2, one line), which needs the one shared
 * errors module; the bundle loads only its command (no other command file is read); the code cache
 * is written on a first run, used on the next (same output), and can be turned off.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, test } from 'node:test';
import { fileURLToPath } from 'node:url';
import { buildBitmap, buildMachine } from '../../fixtures/kernel-fixture.js';
import { amd64Context, le, MinidumpBuilder, systemInfo, thread } from '../../fixtures/minidump-builder.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const commandsDir = join(root, 'src/node/cli/commands');
let dir = '';
let out = '';

before(() => {
  // inside node_modules/ so that the bundle finds its external package (koffi) as dist/cli/ does
  mkdirSync(join(root, 'node_modules/.cache'), { recursive: true });
  dir = mkdtempSync(join(root, 'node_modules/.cache/dumpkit-bundle-'));
  out = join(dir, 'cli');
  const r = spawnSync(process.execPath, [join(root, 'scripts/build.mjs'), '--cli-only', '--cli-out', out], { cwd: root, encoding: 'utf8' });
  assert.equal(r.status, 0, r.stderr);
});
after(() => rmSync(dir, { recursive: true, force: true }));

/**
 * Runs the bundle the way bin/dumpkit.cjs does, recording which of its files were read (a preload
 * that notes every path under the bundle given to fs.openSync or fs.readFileSync: how the launcher
 * and Node's CommonJS loader read them).
 */
function run(args: string[], env: NodeJS.ProcessEnv = { DUMPKIT_COMPILE_CACHE: '0' }): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const record = join(dir, 'record.cjs');
  writeFileSync(
    record,
    `const fs = require('node:fs');\n` +
      `const note = (p) => { if (typeof p === 'string' && p.startsWith(${JSON.stringify(out)})) fs.appendFileSync(${JSON.stringify(join(dir, 'loaded.txt'))}, p + '\\n'); };\n` +
      `for (const name of ['openSync', 'readFileSync']) { const f = fs[name]; fs[name] = function (p, ...rest) { note(p); return f.call(this, p, ...rest); }; }\n`,
  );
  rmSync(join(dir, 'loaded.txt'), { force: true });
  const r = spawnSync(process.execPath, ['-r', record, join(out, 'launch.cjs'), ...args], { encoding: 'utf8', env: { ...process.env, ...env } });
  let loaded: string[] = [];
  try {
    loaded = readFileSync(join(dir, 'loaded.txt'), 'utf8').trim().split('\n').map((p) => p.slice(out.length + 1));
  } catch {
    // nothing under the bundle was read
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

test('every command file has a bundle, and --help lists every command', () => {
  const sources = readdirSync(commandsDir).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
  const bundles = readdirSync(join(out, 'commands')).filter((f) => f.endsWith('.cjs')).map((f) => f.replace(/\.cjs$/, '')).sort();
  assert.deepEqual(bundles, sources);
  const r = run(['--help']);
  assert.equal(r.status, 0, r.stderr);
  for (const c of sources) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'), `--help lists ${c}`);
});

test('info on a kernel dump and a minidump loads launch, main, errors and commands/info.cjs only', () => {
  const kernel = join(dir, 'k.dmp');
  writeFileSync(kernel, buildBitmap(buildMachine(), { dumpType: 5 }));
  const k = run(['info', kernel]);
  assert.equal(k.status, 0, k.stderr);
  assert.match(k.stdout, /DumpType 5/);
  assert.deepEqual([...new Set(k.loaded)].sort(), ['commands/info.cjs', 'errors.cjs', 'launch.cjs', 'main.cjs']);

  const b = new MinidumpBuilder({ capacity: 2 });
  b.stream(7, systemInfo({ arch: 9, platform: 0x8201, ncpu: 2, csdRva: b.string('Linux') }));
  const ctx = b.loc(amd64Context({ rip: 0x401000n, rsp: 0x7000n }), 16);
  b.stream(3, thread(le().u32(1), { id: 7, stackStart: 0x7000n, stack: { size: 0, rva: 0 }, context: ctx }).toBytes());
  const mini = join(dir, 'm.dmp');
  writeFileSync(mini, b.build());
  const m = run(['info', '--json', mini]);
  assert.equal(m.status, 0, m.stderr);
  assert.equal((JSON.parse(m.stdout) as { threads: { id: number }[] }).threads[0]!.id, 7);
});

test('a DumpError thrown in a command bundle is reported by main as one line, exit 2', () => {
  const cut = join(dir, 'cut.dmp');
  writeFileSync(cut, buildBitmap(buildMachine(), { dumpType: 5 }).subarray(0, 100));
  const r = run(['info', cut]);
  assert.equal(r.status, 2, r.stderr);
  assert.match(r.stderr, /^dumpkit: TRUNCATED: DUMP_HEADER64 .*\n$/);
});

test('the code cache: written by a first run, used by the next with the same output, off with DUMPKIT_COMPILE_CACHE=0', () => {
  const cache = join(dir, 'code-cache');
  const kernel = join(dir, 'k2.dmp');
  writeFileSync(kernel, buildBitmap(buildMachine(), { dumpType: 5 }));
  const first = run(['info', kernel], { DUMPKIT_COMPILE_CACHE: cache });
  assert.equal(first.status, 0, first.stderr);
  const files = readdirSync(cache).sort();
  assert.deepEqual(files.map((f) => f.replace(/-\d+-\d+\.v8$/, '')), ['info.cjs', 'main.cjs']);
  for (const f of files) assert.equal(statSync(join(cache, f)).mode & 0o777, 0o600);
  assert.equal(statSync(cache).mode & 0o777, 0o700);
  const mtimes = files.map((f) => statSync(join(cache, f)).mtimeMs);
  const second = run(['info', kernel], { DUMPKIT_COMPILE_CACHE: cache });
  assert.equal(second.status, 0, second.stderr);
  assert.equal(second.stdout, first.stdout);
  assert.deepEqual(second.loaded.filter((p) => p.endsWith('.v8')).length, 0, 'cache files are outside the bundle');
  // accepted, so not rewritten
  assert.deepEqual(readdirSync(cache).sort(), files);
  assert.deepEqual(files.map((f) => statSync(join(cache, f)).mtimeMs), mtimes);

  // a damaged cache is refused by V8: the bundle is compiled as usual and the cache rewritten
  const mainCache = join(cache, files.find((f) => f.startsWith('main.cjs-'))!);
  writeFileSync(mainCache, Buffer.alloc(4096, 0x5a), { mode: 0o600 });
  const damaged = run(['info', kernel], { DUMPKIT_COMPILE_CACHE: cache });
  assert.equal(damaged.stdout, first.stdout);
  assert.notEqual(readFileSync(mainCache)[100], 0x5a, 'rewritten');

  // a rebuilt bundle (another size or time) gets a new cache and the old one goes
  const info = join(out, 'commands/info.cjs');
  writeFileSync(info, readFileSync(info, 'utf8') + '\n');
  const third = run(['info', kernel], { DUMPKIT_COMPILE_CACHE: cache });
  assert.equal(third.stdout, first.stdout);
  const after = readdirSync(cache).filter((f) => f.startsWith('info.cjs-'));
  assert.equal(after.length, 1);
  assert.notEqual(after[0], files[0]);

  // a cache folder that cannot be made: no cache, same output, nothing printed
  const blocked = join(dir, 'not-a-folder');
  writeFileSync(blocked, '');
  const none = run(['info', kernel], { DUMPKIT_COMPILE_CACHE: join(blocked, 'cache') });
  assert.equal(none.status, 0, none.stderr);
  assert.equal(none.stdout, first.stdout);
  assert.equal(none.stderr, '');
});
