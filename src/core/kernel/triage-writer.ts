/**
 * Body of a DumpType 4 (small memory / triage) dump. Filled in by writeTriageBody (below).
 */
export interface TriageDriver {
  base: bigint;
  size: number;
  /** Base name, e.g. "ntoskrnl.exe". */
  name: string;
  /** Full path; default `\SystemRoot\system32\drivers\<name>` (ntoskrnl/hal: `\SystemRoot\system32\<name>`). */
  fullName?: string;
  entryPoint?: bigint;
  checkSum?: number;
  timeDateStamp?: number;
}

export interface TriageUnloadedDriver {
  name: string;
  start: bigint;
  end: bigint;
}

export interface TriageDumpSpec {
  /** Crashing thread's kernel stack: lowest captured VA (RSP at KeBugCheckEx) and its bytes. */
  stack: { topOfStack: bigint; bytes: Uint8Array };
  /** Loaded drivers, kernel image first. */
  drivers: TriageDriver[];
  unloadedDrivers?: TriageUnloadedDriver[];
  /** Raw copies: _KPRCB (SizePrcb bytes), _EPROCESS (SizeEProcess), _ETHREAD (SizeEThread). */
  prcb?: Uint8Array;
  process?: Uint8Array;
  thread?: Uint8Array;
  /** A decrypted KDDEBUGGER_DATA64 copy. */
  debuggerData?: Uint8Array;
  /** Extra virtual memory ranges (TRIAGE_DATA_BLOCK). */
  dataBlocks?: { va: bigint; bytes: Uint8Array }[];
  /** Default 0xFFFFFFFF as in Windows-written files. */
  triageOptions?: number;
}

import type { ByteSink } from '../bytes/byte-sink.js';
import { DumpError } from '../errors.js';

/** Writes header + TRIAGE_DUMP64 body + secondary data. (Lands in the triage step.) */
export async function writeTriageBody(
  _sink: ByteSink,
  _spec: { triage?: TriageDumpSpec },
  _header: Uint8Array,
  _secondary: Uint8Array | undefined,
): Promise<{ pages: number }> {
  throw new DumpError('NOT_IMPLEMENTED', 'DumpType 4 writer not built yet');
}
