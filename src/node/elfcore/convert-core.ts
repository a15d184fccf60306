import { statSync } from 'node:fs';
import type { ByteSource } from '../../core/bytes/byte-source.js';
import { Diagnostics } from '../../core/diagnostics.js';
import { readElfCore } from '../../core/elfcore/elf-core.js';
import { coreToSnapshot } from '../../core/elfcore/to-snapshot.js';
import type { Variety } from '../../core/minidump/varieties.js';
import { writeMinidump, type WriteResult } from '../../core/minidump/writer/minidump-writer.js';
import { writeFileSafely } from '../varieties/cli-util.js';

export interface CoreConversion extends WriteResult {
  arch: string;
  threads: number;
  modules: number;
  signal?: number;
  diagnostics: string[];
}

/**
 * Writes a minidump of `variety` from the ELF core in `source` to `out` (temporary name, 0600,
 * renamed when complete). The header's time is the core file's modification time.
 */
export async function convertCoreFile(source: ByteSource, corePath: string, out: string, variety: Variety, options: { overwrite?: boolean; sync?: boolean } = {}): Promise<CoreConversion> {
  const diagnostics = new Diagnostics();
  const core = await readElfCore(source, diagnostics);
  const snapshot = await coreToSnapshot(core, variety, diagnostics, { timestamp: Math.floor(statSync(corePath).mtimeMs / 1000) });
  const result = await writeFileSafely(out, !!options.overwrite, (sink) => writeMinidump(snapshot, sink), !!options.sync);
  return { ...result, arch: core.arch, threads: snapshot.threads.length, modules: snapshot.modules.length, ...(core.signal ? { signal: core.signal.signo } : {}), diagnostics: diagnostics.list() };
}
