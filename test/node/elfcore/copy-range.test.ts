import assert from 'node:assert/strict';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { test } from 'node:test';
import { MemorySink } from '../../../src/core/bytes/byte-sink.js';
import { Diagnostics } from '../../../src/core/diagnostics.js';
import { readElfCore } from '../../../src/core/elfcore/elf-core.js';
import { coreToSnapshot } from '../../../src/core/elfcore/to-snapshot.js';
import { writeMinidump } from '../../../src/core/minidump/writer/minidump-writer.js';
import { RangeCopier } from '../../../src/node/elfcore/copy-range.js';
import { FileSource } from '../../../src/node/file-source.js';
import { writeFileSafely } from '../../../src/node/varieties/cli-util.js';
import { buildElfCore, patternBytes } from '../../fixtures/elf-core-builder.js';

/** The in-kernel copy and the buffered fallback write the same minidump as the chunked path into memory. */
test('copy_file_range, the buffered fallback and the chunked writer agree byte for byte', async () => {
  const dir = mkdtempSync(join(tmpdir(), 'dumpkit-copy-range-'));
  try {
    const stack = 0x7ffd00000000n;
    const core = join(dir, 'core');
    writeFileSync(
      core,
      buildElfCore({
        arch: 'x86_64',
        threads: [{ tid: 7, regs: { rip: 0x401000n, rsp: stack + 0x3000n, rax: 0x600010n } }],
        segments: [
          { vaddr: 0x600000n, flags: 6, memsz: 0x300000n, data: patternBytes(0x600000n, 0x300000) },
          { vaddr: 0x900000n, flags: 6, memsz: 0x1000n, data: patternBytes(0x900000n, 0x1000) }, // adjacent reads cross segments
          { vaddr: stack, flags: 6, memsz: 0x4000n, data: patternBytes(stack, 0x4000) },
        ],
      }),
    );
    const source = FileSource.open(core);
    try {
      const d = new Diagnostics();
      const model = await readElfCore(source, d);
      const snapshot = await coreToSnapshot(model, 'full', d);
      const reference = new MemorySink();
      await writeMinidump(snapshot, reference);
      for (const inKernel of [true, false]) {
        const out = join(dir, `out-${inKernel}.dmp`);
        const copier = await writeFileSafely(out, false, async (sink) => {
          const c = new RangeCopier(source.descriptor, () => sink.descriptor, inKernel);
          await writeMinidump({ ...snapshot, memory: c.withFill(snapshot.memory, model.memory) }, sink);
          return c;
        });
        assert.ok(Buffer.from(readFileSync(out)).equals(Buffer.from(reference.toBytes())), `inKernel ${inKernel}`);
        assert.equal(inKernel ? copier.stats.buffered : copier.stats.inKernel, 0);
        assert.ok((inKernel ? copier.stats.inKernel : copier.stats.buffered) >= 0x304000);
      }
    } finally {
      await source.close();
    }
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
});
