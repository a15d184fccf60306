import { statSync } from 'node:fs';
import { Diagnostics } from '../../core/diagnostics.js';
import { readElfCore } from '../../core/elfcore/elf-core.js';
import { coreToSnapshot } from '../../core/elfcore/to-snapshot.js';
import type { Variety } from '../../core/minidump/varieties.js';
import { writeMinidump, type WriteResult } from '../../core/minidump/writer/minidump-writer.js';
import type { FileSource } from '../file-source.js';
import { writeFileSafely } from '../varieties/cli-util.js';
import { RangeCopier } from './copy-range.js';

export interface CoreConversion extends WriteResult {
  arch: string;
  threads: number;
  modules: number;
  signal?: number;
  diagnostics: string[];
}

/**
 * Writes a minidump of `variety` from the ELF core in `source` to `out` (temporary name, 0600,
 * renamed when complete). The header's time is the core file's modification time. Memory is copied
 * from file to file inside the kernel (copy-range.ts).
 */
export async function convertCoreFile(source: FileSource, corePath: string, out: string, variety: Variety, options: { overwrite?: boolean; sync?: boolean } = {}): Promise<CoreConversion> {
  const diagnostics = new Diagnostics();
  const core = await readElfCore(source, diagnostics);
  const snapshot = await coreToSnapshot(core, variety, diagnostics, { timestamp: Math.floor(statSync(corePath).mtimeMs / 1000) });
  const result = await writeFileSafely(
    out,
    !!options.overwrite,
    (sink) => {
      const copier = new RangeCopier(source.descriptor, () => sink.descriptor);
      return writeMinidump({ ...snapshot, memory: copier.withFill(snapshot.memory, core.memory) }, sink);
    },
    !!options.sync,
  );
  return { ...result, arch: core.arch, threads: snapshot.threads.length, modules: snapshot.modules.length, ...(core.signal ? { signal: core.signal.signo } : {}), diagnostics: diagnostics.list() };
}
