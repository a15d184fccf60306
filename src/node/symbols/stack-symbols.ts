// Symbols for `dumpkit stack`: Breakpad .sym files under the --symbols directories and
// DUMPKIT_SYMBOLS first, then the ELF files themselves (debug files by build id under the same
// directories and /usr/lib/debug, and each module's own file when its build id matches).
import type { Diagnostics } from '../../core/diagnostics.js';
import { SymbolChain } from '../../core/symbols/chain.js';
import { ElfSymbolProvider } from '../../core/symbols/elf/elf-provider.js';
import type { SymbolProvider } from '../../core/symbols/types.js';
import { fileSystemOpener } from './file-opener.js';
import { openSymbolProvider, symbolSearchPath } from './index.js';

export interface StackSymbolOptions {
  /** Read ELF images and debug files from this machine (default true). */
  elf?: boolean;
}

/** The symbol providers for these directories (and DUMPKIT_SYMBOLS), or undefined when there are none. */
export async function openSymbolPaths(dirs: string[], env: NodeJS.ProcessEnv, diagnostics: Diagnostics, options: StackSymbolOptions = {}): Promise<SymbolProvider | undefined> {
  const all = symbolSearchPath(dirs, env.DUMPKIT_SYMBOLS, diagnostics);
  const providers: SymbolProvider[] = [];
  if (all.length > 0) providers.push(openSymbolProvider(all, diagnostics));
  if (options.elf !== false) providers.push(new ElfSymbolProvider(fileSystemOpener, { debugDirectories: all, diagnostics }));
  return providers.length === 0 ? undefined : providers.length === 1 ? providers[0] : new SymbolChain(providers);
}
