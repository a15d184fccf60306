/** What the debugger engine's commands return and what a host (CLI, browser) lends it. */
import type { ByteSink } from '../bytes/byte-sink.js';
import type { SymbolProvider } from '../symbols/types.js';
import type { Disassembler } from './disassembler.js';

/** The result of one command: the text a debugger prints, structured data when there is some, an error. */
export interface CommandResult {
  text: string;
  data?: unknown;
  error?: { code: string; message: string };
  /** `q`: the session ends. */
  quit?: boolean;
}

/** What the host (the Node shell, a browser page) gives the engine. All optional. */
export interface DebuggerHost {
  /** Loads a disassembler (`u`, `r`'s current instruction). */
  disassembler?: () => Promise<Disassembler>;
  /** Symbols beyond the in-memory PE exports (Breakpad .sym files: `--symbols DIR`). */
  symbols?: SymbolProvider;
  /**
   * Writes a file safely (temporary name, rename when complete, never over an existing file unless
   * `overwrite`): `.dump` of a minidump streams into the sink.
   */
  writeFile?: <T>(path: string, overwrite: boolean, write: (sink: ByteSink) => Promise<T>) => Promise<T>;
  /**
   * Derives a kernel dump of another variety from the open one (`.dump /f|/k|/a|/s`) with the
   * varieties engine; returns the line to print. Refuses to grow a dump.
   */
  deriveKernelDump?: (variety: string, path: string, overwrite: boolean) => Promise<string>;
}

export interface CommandContext {
  /** Text after the command name. */
  args: string;
  /** The command name as typed (`dq`, `lmv`). */
  name: string;
  signal: AbortSignal;
}
