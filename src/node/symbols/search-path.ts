// The symbol search path: `--symbols DIR` (repeatable) first, then DUMPKIT_SYMBOLS read like
// _NT_SYMBOL_PATH, keeping only local directories.
import { Diagnostics } from '../../core/diagnostics.js';

const URL_RE = /^[a-z][a-z0-9+.-]*:\/\//i;

/**
 * DUMPKIT_SYMBOLS is `;`-separated. Each element is
 * - `DIR`: a local directory;
 * - `srv*[DIR*]…*URL` or `symsrv*symsrv.dll*DIR*URL`: the local store directories in it count (the
 *   downstream cache first), the server URLs are ignored with a diagnostic (dumpkit does not download);
 * - `cache*DIR`: DIR; `cache*` alone (the debugger's default cache) is skipped with a diagnostic;
 * - a bare URL: ignored with a diagnostic.
 * Duplicates are dropped, first position kept.
 */
export function symbolSearchPath(
  cliDirs: readonly string[],
  env: string | undefined = process.env.DUMPKIT_SYMBOLS,
  diagnostics: Diagnostics = new Diagnostics(),
): string[] {
  const out: string[] = [];
  const add = (d: string) => {
    if (d && !out.includes(d)) out.push(d);
  };
  for (const d of cliDirs) add(d);
  for (const raw of (env ?? '').split(';')) {
    const element = raw.trim();
    if (!element) continue;
    const parts = element.split('*');
    const head = parts[0]!.toLowerCase();
    if (parts.length > 1 && (head === 'srv' || head === 'symsrv' || head === 'cache')) {
      const stores = parts.slice(head === 'symsrv' ? 2 : 1); // symsrv*<dll>*…
      let local = 0;
      for (const s of stores) {
        if (!s) continue;
        if (URL_RE.test(s)) diagnostics.add(`DUMPKIT_SYMBOLS: ${s} is a symbol server; dumpkit reads local directories only and ignores it`);
        else {
          add(s);
          local++;
        }
      }
      if (local === 0 && head === 'cache') diagnostics.add(`DUMPKIT_SYMBOLS: "${element}" names the default cache, which dumpkit does not have; give the directory (cache*DIR)`);
      continue;
    }
    if (URL_RE.test(element)) {
      diagnostics.add(`DUMPKIT_SYMBOLS: ${element} is a symbol server; dumpkit reads local directories only and ignores it`);
      continue;
    }
    add(element);
  }
  return out;
}
