// Symbols for the CLI commands: the search path and a provider over the local file system.
import type { Diagnostics } from '../../core/diagnostics.js';
import { BreakpadSymbolProvider } from '../../core/symbols/breakpad/provider.js';
import { fileSystemOpener } from './file-opener.js';

export { fileSystemOpener } from './file-opener.js';
export { symbolSearchPath } from './search-path.js';

/** A Breakpad symbol provider over `dirs` (from symbolSearchPath); `close()` it when done. */
export function openSymbolProvider(dirs: readonly string[], diagnostics: Diagnostics): BreakpadSymbolProvider {
  return new BreakpadSymbolProvider({ dirs, opener: fileSystemOpener, diagnostics });
}
