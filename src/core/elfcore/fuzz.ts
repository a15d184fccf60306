/**
 * One entry for the fuzz harness: reads arbitrary bytes as an ELF core the way `info` and
 * `convert` do (the notes, the summary, a minidump of each variety written to a sink that only
 * counts). Any exception other than a DumpError is a bug; the harness reports it. What a core can
 * yield is bounded by its size (memory.ts), so the writes are too.
 */
import type { ByteSink } from '../bytes/byte-sink.js';
import { MemorySource } from '../bytes/memory-source.js';
import { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { VARIETIES } from '../minidump/varieties.js';
import { writeMinidump } from '../minidump/writer/minidump-writer.js';
import { readElfCore } from './elf-core.js';
import { summarize } from './summary.js';
import { coreToSnapshot } from './to-snapshot.js';

/** Discards what is written, keeping the position (patches within it are accepted). */
class CountingSink implements ByteSink {
  position = 0;
  write(bytes: Uint8Array): Promise<number> {
    const at = this.position;
    this.position += bytes.length;
    return Promise.resolve(at);
  }
  patch(offset: number, bytes: Uint8Array): Promise<void> {
    if (offset + bytes.length > this.position) throw new RangeError('patch past end of sink');
    return Promise.resolve();
  }
}

export interface ElfCoreFuzzSummary {
  /** DumpError codes met after the open. */
  errors: string[];
  threads: number;
  segments: number;
  written: number;
}

/** Throws the DumpError of the open (header, program headers, notes); later refusals are recorded. */
export async function parseElfCoreForFuzz(bytes: Uint8Array): Promise<ElfCoreFuzzSummary> {
  const diagnostics = new Diagnostics();
  const core = await readElfCore(new MemorySource(bytes, 'fuzz input'), diagnostics);
  const out: ElfCoreFuzzSummary = { errors: [], threads: core.threads.length, segments: core.segments.length, written: 0 };
  summarize(core, diagnostics);
  for (const variety of VARIETIES) {
    try {
      const sink = new CountingSink();
      await writeMinidump(await coreToSnapshot(core, variety, diagnostics), sink);
      out.written += sink.position;
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      out.errors.push(e.code);
    }
  }
  return out;
}
