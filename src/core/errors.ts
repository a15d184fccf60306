/**
 * Errors with stable codes. Every error that comes from bad input says which byte range of
 * which structure is wrong, so a user can look at it with a hex editor.
 *
 * Codes are part of the public API: add new ones, never rename.
 */
export type DumpErrorCode =
  | 'UNKNOWN_FORMAT' // no known signature at offset 0
  | 'BAD_SIGNATURE' // a structure's magic value is wrong
  | 'BAD_VERSION'
  | 'TRUNCATED' // a structure or data block runs past the end of the file
  | 'OUT_OF_BOUNDS' // an offset/RVA points outside the file
  | 'BAD_SIZE' // a size field disagrees with the structure it describes
  | 'COUNT_TOO_LARGE' // a count exceeds a hard limit or the space available
  | 'DUPLICATE_STREAM'
  | 'OVERLAP'
  | 'UNSUPPORTED' // recognised but not supported (e.g. an unknown dump type)
  | 'MISSING_STREAM'
  | 'ADDRESS_NOT_IN_DUMP' // the page/byte is valid but the dump does not contain it
  | 'ADDRESS_NOT_MAPPED' // translation failed: not present in memory
  | 'LIMIT' // the dump kind cannot answer the question (e.g. user space in a kernel dump)
  | 'INVALID_ARGUMENT'
  | 'REFUSED' // a requested operation is refused by a rule (e.g. growing a dump)
  | 'IO'
  | 'CAPTURE'
  | 'PERMISSION'
  | 'NO_SUCH_PROCESS'
  | 'PROCESS_EXITED'
  | 'MEMORY_PRESSURE'
  | 'BUSY'
  | 'NO_SPACE' // the disk or store holding data is full (ENOSPC): `dumpkit serve` answers 507
  | 'TIMEOUT' // waited as long as asked; what was awaited (e.g. a crash) did not happen
  | 'NOT_IMPLEMENTED'
  | 'BAD_RECORD' // a text record (a Breakpad .sym line) is malformed
  | 'MISMATCH'; // a file found for something describes something else (a .sym whose MODULE id is not the module's)

export interface ByteRange {
  /** Absolute file offset of the first byte concerned. */
  offset: number;
  /** Number of bytes concerned (0 when only a position is meant). */
  length: number;
}

export class DumpError extends Error {
  readonly code: DumpErrorCode;
  readonly range: ByteRange | undefined;

  constructor(code: DumpErrorCode, message: string, range?: ByteRange) {
    super(range ? `${message} (bytes ${formatRange(range)})` : message);
    this.name = 'DumpError';
    this.code = code;
    this.range = range;
  }
}

export function formatRange(range: ByteRange): string {
  const start = range.offset;
  const end = range.offset + Math.max(range.length, 0);
  return range.length > 0 ? `0x${start.toString(16)}-0x${end.toString(16)}` : `at 0x${start.toString(16)}`;
}

export function isDumpError(e: unknown): e is DumpError {
  return e instanceof DumpError;
}

/**
 * For a catch that turns bad input into a diagnostic: returns `e` when it is a DumpError and
 * rethrows anything else — any other exception is a bug and must surface, never become a note.
 */
export function onlyDumpError(e: unknown): DumpError {
  if (e instanceof DumpError) return e;
  throw e;
}
