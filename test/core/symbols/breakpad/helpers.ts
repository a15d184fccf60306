import { MemorySource } from '../../../../src/core/bytes/memory-source.js';
import { Diagnostics } from '../../../../src/core/diagnostics.js';
import { BreakpadSymbolProvider } from '../../../../src/core/symbols/breakpad/provider.js';
import { indexBreakpadSym, type BreakpadSymFile } from '../../../../src/core/symbols/breakpad/sym-file.js';
import type { CodeModule, FileOpener } from '../../../../src/core/symbols/types.js';

/** Indexes a .sym text held in memory. */
export async function symText(text: string | Uint8Array, name = 'test.sym'): Promise<{ sym: BreakpadSymFile; diagnostics: Diagnostics }> {
  const diagnostics = new Diagnostics();
  const bytes = typeof text === 'string' ? new TextEncoder().encode(text) : text;
  const sym = await indexBreakpadSym(new MemorySource(bytes, name), diagnostics);
  return { sym, diagnostics };
}

/** A FileOpener over an in-memory map of path → text (the browser's situation). */
export function memoryOpener(files: Record<string, string>): FileOpener & { opened: string[] } {
  const opened: string[] = [];
  return {
    separator: '/',
    opened,
    open(path: string) {
      opened.push(path);
      const t = files[path];
      return Promise.resolve(t === undefined ? undefined : new MemorySource(new TextEncoder().encode(t), path));
    },
  };
}

export const module = (m: Partial<CodeModule> = {}): CodeModule => ({
  base: 0x10000n,
  size: 0x100000n,
  codeFile: 'app.exe',
  debugFile: 'app.pdb',
  debugId: '0123456789ABCDEF0123456789ABCDEF1',
  ...m,
});

export function provider(files: Record<string, string>, dirs = ['/syms']) {
  const opener = memoryOpener(files);
  const diagnostics = new Diagnostics();
  return { p: new BreakpadSymbolProvider({ dirs, opener, diagnostics }), opener, diagnostics };
}
