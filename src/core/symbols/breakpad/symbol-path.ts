// Where a module's .sym file lives under a symbol directory: Breakpad's SimpleSymbolSupplier layout
// `<dir>/<debug file>/<debug id>/<debug file without .pdb>.sym`, which rust-minidump's
// simple_symbol_supplier shares.
import type { CodeModule } from '../types.js';

/** The last component of a path, with either separator (Breakpad's PathnameStripper::File). */
export function baseName(path: string): string {
  return path.slice(Math.max(path.lastIndexOf('/'), path.lastIndexOf('\\')) + 1);
}

/**
 * The three components below a symbol directory, or a reason why there are none.
 * - debug file: its base name (`/breakpad/examples/target/crash_linux` → `crash_linux`); when the
 *   module has none, the code file's base name (rust-minidump's fallback; Breakpad gives up);
 * - the file name drops a trailing `.pdb` (any case) when something precedes it, else it is kept;
 * - names that would leave the directory (`..`, separators in the id) are refused.
 */
export function symbolFileComponents(module: CodeModule): { debugFile: string; debugId: string; fileName: string } | { missing: string } {
  const debugFile = baseName(module.debugFile || module.codeFile || '');
  const debugId = module.debugId ?? '';
  if (!debugFile) return { missing: 'the module has no debug file name' };
  if (!debugId) return { missing: 'the module has no debug identifier' };
  if (debugFile === '.' || debugFile === '..' || debugFile.includes('\0')) return { missing: `debug file name ${JSON.stringify(debugFile)} is not usable in a path` };
  if (!/^[0-9A-Za-z]+$/.test(debugId)) return { missing: `debug identifier ${JSON.stringify(debugId)} is not usable in a path` };
  const stem = debugFile.length > 4 && debugFile.slice(-4).toLowerCase() === '.pdb' ? debugFile.slice(0, -4) : debugFile;
  return { debugFile, debugId, fileName: `${stem}.sym` };
}

/** The candidate .sym paths for `module`, one per directory, in search order. */
export function symbolFilePaths(module: CodeModule, dirs: readonly string[], separator: string): string[] {
  const c = symbolFileComponents(module);
  if ('missing' in c) return [];
  return dirs.map((dir) => {
    const d = dir.endsWith('/') || dir.endsWith('\\') ? dir.slice(0, -1) || dir : dir;
    return [d, c.debugFile, c.debugId, c.fileName].join(separator);
  });
}
