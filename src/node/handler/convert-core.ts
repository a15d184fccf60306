import type { ByteSink } from '../../core/bytes/byte-sink.js';
import type { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import type { Variety } from '../../core/minidump/varieties.js';
import type { ProcFiles } from './proc-files.js';

export interface ConvertCoreOptions {
  variety: Variety;
  procFiles: ProcFiles;
  /** What the kernel said about the crash (%P %i %s %t). */
  crash: { pid: number; tid: number; signal: number; time: number };
  diagnostics: Diagnostics;
}

/** The spooled ELF core at `corePath` → a minidump into `sink`. */
export async function convertCore(corePath: string, sink: ByteSink, opts: ConvertCoreOptions): Promise<{ size: number; notes: string[] }> {
  void corePath;
  void sink;
  void opts;
  throw new DumpError('NOT_IMPLEMENTED', 'ELF core conversion is not merged yet (branch elfcore)');
}
