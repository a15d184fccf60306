import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import { DumpError } from '../../../src/core/errors.js';
import { decompressStream, decompressToTemp, type Compression } from '../../../src/node/elfcore/decompress.js';
import { buildElfCore, patternBytes } from '../../fixtures/elf-core-builder.js';

/**
 * The three compressions systemd-coredump uses, made by Debian's own zstd, lz4 and xz tools
 * (LZ4 with independent and with linked blocks, several frames), decompressed by dumpkit as
 * streams; corrupt and cut inputs end in DumpErrors.
 */

const TOOLS: Record<Compression, { cmd: string; pkg: string; variants: string[][] }> = {
  zstd: { cmd: 'zstd', pkg: 'zstd', variants: [['-q', '-3'], ['-q', '-3', '--long=24']] },
  lz4: { cmd: 'lz4', pkg: 'lz4', variants: [['-q', '-B4'], ['-q', '-B4', '-BD', '--no-frame-crc'], ['-q', '-9', '-B7', '-BX']] },
  xz: { cmd: 'xz', pkg: 'xz-utils', variants: [['-q', '-1'], ['-q', '-6', '--check=crc32']] },
};

function skipFor(kind: Compression): string | false {
  if (spawnSync('sh', ['-c', `command -v ${TOOLS[kind].cmd}`]).status === 0) return false;
  if (process.env.CI) throw new Error(`CI=true but ${TOOLS[kind].cmd} is missing (.ci/run installs ${TOOLS[kind].pkg})`);
  return `${TOOLS[kind].cmd} not installed (apt-get install ${TOOLS[kind].pkg})`;
}

/** A 1.5 MiB core: notes, a page of pattern, long zero runs and repeats (matches of every distance). */
function sample(): Uint8Array {
  const heap = new Uint8Array(1 << 20);
  heap.set(patternBytes(0x1000n, 300_000));
  for (let o = 400_000; o < 700_000; o += 3) heap[o] = o & 0xff;
  heap.set(heap.subarray(0, 200_000), 800_000);
  return buildElfCore({
    arch: 'x86_64',
    threads: [{ tid: 1, regs: { rip: 0x401000n, rsp: 0x7ffd00001000n } }],
    segments: [
      { vaddr: 0x600000n, flags: 6, memsz: BigInt(heap.length), data: heap },
      { vaddr: 0x7ffd00000000n, flags: 6, memsz: 0x80000n, data: patternBytes(0x7ffd00000000n, 0x80000) },
    ],
  });
}

async function collect(kind: Compression, bytes: Uint8Array, piece = 7777): Promise<Uint8Array> {
  async function* chunks(): AsyncGenerator<Uint8Array> {
    for (let o = 0; o < bytes.length; o += piece) yield bytes.subarray(o, o + piece);
  }
  const parts: Uint8Array[] = [];
  for await (const c of decompressStream(kind, chunks())) parts.push(c.slice());
  return Buffer.concat(parts);
}

describe('decompressing systemd-coredump cores', () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-decompress-'));
  after(() => rmSync(dir, { recursive: true, force: true }));
  const core = sample();
  const plain = join(dir, 'core');
  writeFileSync(plain, core);

  for (const kind of ['zstd', 'lz4', 'xz'] as const) {
    test(`${kind}: the tool's output comes back byte for byte, fed in odd-sized pieces`, { skip: skipFor(kind) }, async () => {
      for (const [i, args] of TOOLS[kind].variants.entries()) {
        const out = join(dir, `core.${kind}.${i}`);
        const r = spawnSync('sh', ['-c', `${TOOLS[kind].cmd} ${args.join(' ')} -c < ${plain} > ${out}`], { encoding: 'utf8' });
        assert.equal(r.status, 0, r.stderr);
        const packed = readFileSync(out);
        assert.ok(Buffer.from(await collect(kind, packed)).equals(Buffer.from(core)), `${kind} ${args.join(' ')}`);
        // two frames back to back (as `cat a.zst b.zst`) decompress to both
        if (kind !== 'xz' || i === 0) assert.equal((await collect(kind, Buffer.concat([packed, packed]))).length, core.length * 2, `${kind}: concatenated frames`);
        const file = await decompressToTemp(out, kind);
        try {
          assert.ok(readFileSync(file.path).equals(Buffer.from(core)));
        } finally {
          file.remove();
        }
      }
    });

    if (kind === 'xz') {
      test('xz: an SHA-256 check (which systemd does not use: CRC64) is refused as UNSUPPORTED', { skip: skipFor(kind) }, async () => {
        const out = join(dir, 'core.sha256.xz');
        spawnSync('sh', ['-c', `xz -q -1 --check=sha256 -c < ${plain} > ${out}`]);
        await assert.rejects(collect('xz', readFileSync(out)), (e: unknown) => e instanceof DumpError && e.code === 'UNSUPPORTED' && /SHA-256/.test(e.message));
      });
    }

    test(`${kind}: cut and corrupt inputs end in a DumpError`, { skip: skipFor(kind) }, async () => {
      const out = join(dir, `bad.${kind}`);
      spawnSync('sh', ['-c', `${TOOLS[kind].cmd} ${TOOLS[kind].variants[0]!.join(' ')} -c < ${plain} > ${out}`]);
      const packed = readFileSync(out);
      const tries: Uint8Array[] = [packed.subarray(0, packed.length >> 1), packed.subarray(0, 20), new Uint8Array(0)];
      let seed = 12345;
      for (let i = 0; i < 12; i++) {
        const b = Uint8Array.from(packed);
        for (let k = 0; k < 4; k++) {
          seed = (seed * 1103515245 + 12345) >>> 0;
          b[6 + (seed % (b.length - 6))] ^= 1 << (seed % 8);
        }
        tries.push(b);
      }
      for (const [i, t] of tries.entries()) {
        try {
          const got = await collect(kind, t);
          assert.ok(i >= 3, `a cut input (${t.length} bytes) must not decompress`);
          assert.ok(got.length <= core.length * 4, 'bounded output');
        } catch (e) {
          assert.ok(e instanceof DumpError, `input ${i}: ${String(e)}`);
        }
      }
    });
  }
});
