import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, realpathSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Minidump } from '../../../src/core/minidump/minidump.js';
import { FileSource } from '../../../src/node/file-source.js';
import { runCli } from '../../helpers/cli.js';
import { buildTarget, gccSkip, RunningTarget } from '../../helpers/target.js';

/**
 * LinuxDsoDebug of a live capture against the process's own /proc/PID/maps (parsed here, not by
 * dumpkit): each library's link_map entry has l_addr at the start of its first mapping and l_ld
 * inside one of its mappings, r_brk lies in ld.so's code, and the vDSO is listed.
 */
interface LiveMapping {
  start: bigint;
  end: bigint;
  perms: string;
  offset: bigint;
  path: string;
}

function liveMaps(pid: number): LiveMapping[] {
  const out: LiveMapping[] = [];
  for (const line of readFileSync(`/proc/${pid}/maps`, 'utf8').split('\n')) {
    const m = /^([0-9a-f]+)-([0-9a-f]+) (\S{4}) ([0-9a-f]+) \S+ \d+\s*(.*)$/.exec(line);
    if (m) out.push({ start: BigInt('0x' + m[1]), end: BigInt('0x' + m[2]), perms: m[3]!, offset: BigInt('0x' + m[4]), path: m[5]! });
  }
  return out;
}

const inside = (maps: LiveMapping[], address: bigint): LiveMapping | undefined => maps.find((m) => address >= m.start && address < m.end);

for (const bits of [64, 32] as const) {
  describe(`capture writes LinuxDsoDebug, ${bits}-bit target`, { skip: gccSkip }, () => {
    let target: RunningTarget | undefined;
    let dir: string;
    before(async () => {
      dir = mkdtempSync(join(tmpdir(), `dumpkit-dso${bits}-`));
      const binary = buildTarget(bits);
      if (binary) target = await RunningTarget.start(binary);
    });
    after(async () => {
      await target?.stop();
      rmSync(dir, { recursive: true, force: true });
    });

    test('r_debug and the link_map list agree with /proc/PID/maps', async (t) => {
      if (!target) return t.skip('32-bit target not built: gcc-multilib missing (apt-get install gcc-multilib)');
      const file = join(dir, 'mini.dmp');
      const r = runCli(['capture', String(target.pid), '--type', 'mini', '--json', '-o', file]);
      assert.equal(r.status, 0, r.stderr);
      const report = JSON.parse(r.stdout) as { diagnostics: string[] };
      assert.deepEqual(report.diagnostics.filter((d) => d.includes('LinuxDsoDebug')), []);
      const maps = liveMaps(target.pid);
      const ofFile = (path: string): LiveMapping[] => maps.filter((m) => m.path === path);

      const source = FileSource.open(file);
      try {
        const md = await Minidump.open(source);
        const d = await md.linuxDsoDebug();
        assert.ok(d, 'LinuxDsoDebug present');
        assert.ok(d.version >= 1, `r_version ${d.version}`);
        assert.equal(d.dsoCount, d.linkMap.length);
        assert.ok(d.dsoCount >= 3, `${d.dsoCount} entries`);

        // The main executable comes first, unnamed, with l_ld = the dynamic section the stream records.
        const exe = d.linkMap[0]!;
        assert.equal(exe.name, '');
        assert.equal(exe.ld, d.dynamic);
        const binary = buildTarget(bits)!;
        assert.equal(inside(maps, d.dynamic)?.path, binary, 'dynamic lies in the executable');
        assert.ok(exe.addr === 0n || exe.addr === ofFile(binary).find((m) => m.offset === 0n)?.start, `executable l_addr 0x${exe.addr.toString(16)}`);

        // Each named library: l_addr = start of its offset-0 mapping, l_ld inside one of its mappings.
        const library = (pattern: RegExp) => {
          const e = d.linkMap.find((x) => pattern.test(basename(x.name)));
          assert.ok(e, `${pattern} in ${d.linkMap.map((x) => x.name).join(', ')}`);
          const path = realpathSync(e.name);
          const mappings = ofFile(path);
          assert.ok(mappings.length, `${path} is mapped`);
          assert.equal(e.addr, mappings.find((m) => m.offset === 0n)?.start, `${e.name} l_addr`);
          assert.equal(inside(mappings, e.ld)?.path, path, `${e.name} l_ld 0x${e.ld.toString(16)} inside its mappings`);
          return { entry: e, mappings };
        };
        library(/^libc\.so\.6$/);
        const ld = library(/^ld-linux/);
        assert.equal(d.ldbase, ld.entry.addr, 'r_ldbase = ld.so load base');
        assert.match(inside(ld.mappings, d.brk)?.perms ?? '', /^r-x/, `r_brk 0x${d.brk.toString(16)} in ld.so's code`);

        // The vDSO (listed by glibc under its soname).
        const vdso = maps.find((m) => m.path === '[vdso]');
        if (vdso) {
          const e = d.linkMap.find((x) => x.ld >= vdso.start && x.ld < vdso.end);
          assert.ok(e, 'a link_map entry for the vDSO');
          assert.equal(e.addr, vdso.start);
          assert.match(e.name, /^linux-(vdso|gate)\.so\.1$|^$/);
        }

        // The dynamic section after the header: native-word tag/value pairs ending with DT_NULL, with DT_DEBUG set.
        const entry = md.stream(0x4767000a)!;
        const bytes = await md.streamBytes(entry);
        const header = bits === 64 ? 40 : 24;
        const ws = bits / 8;
        const v = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
        const word = (o: number): bigint => (ws === 8 ? v.getBigUint64(o, true) : BigInt(v.getUint32(o, true)));
        assert.equal((bytes.length - header) % (2 * ws), 0);
        const tags: [bigint, bigint][] = [];
        for (let o = header; o < bytes.length; o += 2 * ws) tags.push([word(o), word(o + ws)]);
        assert.equal(tags.at(-1)?.[0], 0n, 'ends with DT_NULL');
        assert.ok(tags.some(([tag, value]) => tag === 21n && value !== 0n), 'DT_DEBUG set');
      } finally {
        await source.close();
      }
    });
  });
}
