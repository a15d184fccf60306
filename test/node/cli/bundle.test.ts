/**
 * The CLI bundle (scripts/build.mjs → dist/cli/, what bin/dumpkit.mjs runs): every command file has
 * its bundle and is listed by --help with no registration; `info` reads both formats; a DumpError
 * thrown inside a command bundle is recognised by main (exit 2, one line), which needs the one shared
 * errors module; the bundle loads only its command (no other command file is read).
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdirSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
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

/** Runs the bundle the way bin/dumpkit.mjs does, recording which of its files were loaded. */
function run(args: string[]): { status: number | null; stdout: string; stderr: string; loaded: string[] } {
  const runner = join(dir, 'run.mjs');
  writeFileSync(
    runner,
    `const { main, reportError } = await import(${JSON.stringify(join(out, 'main.js'))});\n` +
      `main(process.argv.slice(2)).then((c) => process.exit(c), (e) => process.exit(reportError(e)));\n`,
  );
  // the loaded modules, from a loader hook that records every resolved URL under the bundle
  const hook = join(dir, 'hook.mjs');
  writeFileSync(hook, `import { appendFileSync } from 'node:fs';\nexport async function resolve(s, c, next) { const r = await next(s, c); if (r.url.includes(${JSON.stringify(out)})) appendFileSync(${JSON.stringify(join(dir, 'loaded.txt'))}, r.url + '\\n'); return r; }\n`);
  const register = join(dir, 'register.mjs');
  writeFileSync(register, `import { register } from 'node:module';\nregister(${JSON.stringify('file://' + hook)});\n`);
  rmSync(join(dir, 'loaded.txt'), { force: true });
  const r = spawnSync(process.execPath, ['--import', register, runner, ...args], { encoding: 'utf8' });
  let loaded: string[] = [];
  try {
    loaded = readFileSync(join(dir, 'loaded.txt'), 'utf8').trim().split('\n').map((u) => u.slice(u.indexOf('/cli/') + 5));
  } catch {
    // nothing under the bundle was loaded
  }
  return { status: r.status, stdout: r.stdout, stderr: r.stderr, loaded };
}

test('every command file has a bundle, and --help lists every command', () => {
  const sources = readdirSync(commandsDir).filter((f) => f.endsWith('.ts')).map((f) => f.replace(/\.ts$/, '')).sort();
  const bundles = readdirSync(join(out, 'commands')).filter((f) => f.endsWith('.js')).map((f) => f.replace(/\.js$/, '')).sort();
  assert.deepEqual(bundles, sources);
  const r = run(['--help']);
  assert.equal(r.status, 0, r.stderr);
  for (const c of sources) assert.match(r.stdout, new RegExp(`^  ${c} `, 'm'), `--help lists ${c}`);
});

test('info on a kernel dump and a minidump loads main, errors and commands/info.js only', () => {
  const kernel = join(dir, 'k.dmp');
  writeFileSync(kernel, buildBitmap(buildMachine(), { dumpType: 5 }));
  const k = run(['info', kernel]);
  assert.equal(k.status, 0, k.stderr);
  assert.match(k.stdout, /DumpType 5/);
  assert.deepEqual([...new Set(k.loaded)].sort(), ['commands/info.js', 'errors.js', 'main.js']);

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
