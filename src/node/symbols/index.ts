// Symbols for the CLI commands: the search path and providers over the local file system.
import type { Diagnostics } from '../../core/diagnostics.js';
import { BreakpadSymbolProvider } from '../../core/symbols/breakpad/provider.js';
import { SymbolChain } from '../../core/symbols/chain.js';
import { ElfSymbolProvider } from '../../core/symbols/elf/elf-provider.js';
import type { SymbolProvider } from '../../core/symbols/types.js';
import { fileSystemOpener } from './file-opener.js';
import { symbolSearchPath } from './search-path.js';

export { fileSystemOpener } from './file-opener.js';
export { symbolSearchPath } from './search-path.js';

/** A Breakpad symbol provider over `dirs` (from symbolSearchPath); `close()` it when done. */
export function openSymbolProvider(dirs: readonly string[], diagnostics: Diagnostics): BreakpadSymbolProvider {
  return new BreakpadSymbolProvider({ dirs, opener: fileSystemOpener, diagnostics });
}

/** What every command that names frames (`stack`, `analyze`, `dbg`) takes from its options. */
export interface LocalSymbolOptions {
  /** `--symbols DIR`, repeatable; DUMPKIT_SYMBOLS adds more. */
  symbols?: readonly string[];
  /** false with `--no-elf`: no ELF files read from this machine. */
  elf?: boolean;
}

/** The symbol sources of this machine, in order of trust, and how to release their files. */
export interface LocalSymbols {
  provider: SymbolProvider | undefined;
  close(): Promise<void>;
}

/**
 * The symbol sources the CLI uses, in order: Breakpad `.sym` files in the search path, then ELF
 * files on this machine (debug files by build id in the same directories and /usr/lib/debug, and
 * each module's own file when its build id matches). Images in the dump's memory (PE exports and
 * .pdata) are added by the processor itself, after these.
 */
export function openLocalSymbols(opts: LocalSymbolOptions, diagnostics: Diagnostics, env = process.env.DUMPKIT_SYMBOLS): LocalSymbols {
  const dirs = symbolSearchPath(opts.symbols ?? [], env, diagnostics);
  const breakpad = dirs.length ? openSymbolProvider(dirs, diagnostics) : undefined;
  const elf = opts.elf === false ? undefined : new ElfSymbolProvider(fileSystemOpener, { debugDirectories: dirs, diagnostics });
  const providers = [breakpad, elf].filter((p): p is NonNullable<typeof p> => p !== undefined);
  return {
    provider: providers.length > 1 ? new SymbolChain(providers) : providers[0],
    async close() {
      await breakpad?.close();
      await elf?.close();
    },
  };
}

/** The `--symbols` / `--no-elf` options, with the same help in every command. */
export const SYMBOLS_OPTION_HELP =
  'a Breakpad symbol directory (<debug file>/<debug id>/<name>.sym; also searched for ELF debug files by build id); repeatable; then DUMPKIT_SYMBOLS (`;`-separated, srv*DIR*URL keeps DIR)';
export const NO_ELF_OPTION_HELP = 'do not read ELF images and debug files on this machine (module paths, /usr/lib/debug, <dir>/.build-id)';
