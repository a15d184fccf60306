// Symbol paths for `dumpkit stack`: --symbols directories plus DUMPKIT_SYMBOLS, as one provider.
// Stand-in until the Breakpad .sym provider (branch `symbols`) is merged: it refuses symbol paths
// with a clear error rather than silently walking without them.
import type { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import type { SymbolProvider } from '../../core/symbols/types.js';

/** The symbol provider for these directories (and DUMPKIT_SYMBOLS), or undefined when there are none. */
export async function openSymbolPaths(dirs: string[], env: NodeJS.ProcessEnv, _diagnostics: Diagnostics): Promise<SymbolProvider | undefined> {
  const fromEnv = (env.DUMPKIT_SYMBOLS ?? '').split(':').filter((d) => d !== '');
  const all = [...dirs, ...fromEnv];
  if (all.length === 0) return undefined;
  throw new DumpError('NOT_IMPLEMENTED', `symbol paths (${all.join(', ')}): the Breakpad .sym reader is not in this build yet`);
}
