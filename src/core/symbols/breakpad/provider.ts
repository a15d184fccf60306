// BreakpadSymbolProvider: SymbolProvider over Breakpad .sym files found in symbol directories.
import type { ByteSource } from '../../bytes/byte-source.js';
import type { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import type { CodeModule, FileOpener, SymbolInfo, SymbolProvider, SymbolStatus, UnwindInfo } from '../types.js';
import { BreakpadSymFile } from './sym-file.js';
import { symbolFileComponents, symbolFilePaths } from './symbol-path.js';

export interface BreakpadSymbolProviderOptions {
  /** Symbol directories, searched in order (the first holding the file wins, as in Breakpad). */
  dirs: readonly string[];
  opener: FileOpener;
  diagnostics: Diagnostics;
}

interface Loaded {
  file: BreakpadSymFile | undefined;
  /** 'corrupt' when indexing failed outright. */
  failed: boolean;
}

export class BreakpadSymbolProvider implements SymbolProvider {
  private readonly loads = new Map<string, Promise<Loaded>>();
  private readonly settled = new Map<string, Loaded>();
  private readonly opened: ByteSource[] = [];

  constructor(private readonly options: BreakpadSymbolProviderOptions) {}

  private key(module: CodeModule): string | undefined {
    const c = symbolFileComponents(module);
    return 'missing' in c ? undefined : `${c.debugFile}\u0000${c.debugId}`;
  }

  /** The indexed .sym file for `module` (found and indexed once per debug file and id), or undefined. */
  async symbolFile(module: CodeModule): Promise<BreakpadSymFile | undefined> {
    const key = this.key(module);
    if (key === undefined) return undefined;
    let p = this.loads.get(key);
    if (!p) {
      p = this.load(module).then((l) => {
        this.settled.set(key, l);
        return l;
      });
      this.loads.set(key, p);
    }
    return (await p).file;
  }

  private async load(module: CodeModule): Promise<Loaded> {
    const { opener, dirs, diagnostics } = this.options;
    for (const path of symbolFilePaths(module, dirs, opener.separator)) {
      let source;
      try {
        source = await opener.open(path);
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        diagnostics.add(e.message);
        continue;
      }
      if (!source) continue;
      this.opened.push(source);
      try {
        const file = await BreakpadSymFile.index(source, diagnostics);
        const id = file.module?.debugId;
        if (id !== undefined && module.debugId !== undefined && id.toUpperCase() !== module.debugId.toUpperCase()) {
          diagnostics.add(
            new DumpError('MISMATCH', `${path}: MODULE record names debug id ${id}, but the module's is ${module.debugId}; used anyway, as Breakpad does`).message,
          );
        }
        return { file, failed: false };
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        diagnostics.add(e.message);
        return { file: undefined, failed: true };
      }
    }
    return { file: undefined, failed: false };
  }

  /** Closes the .sym files this provider opened (lookups after this fail). */
  async close(): Promise<void> {
    for (const s of this.opened.splice(0)) await s.close?.();
  }

  status(module: CodeModule): SymbolStatus {
    const key = this.key(module);
    if (key === undefined) return 'missing'; // no debug file or id: no path can hold its symbols
    const l = this.settled.get(key);
    if (!l) return 'not-tried';
    if (l.failed) return 'corrupt';
    if (!l.file) return 'missing';
    return l.file.errors > 0 ? 'corrupt' : 'loaded';
  }

  async lookup(module: CodeModule, address: bigint): Promise<SymbolInfo | undefined> {
    const rel = relative(module, address);
    if (rel === undefined) return undefined;
    const file = await this.symbolFile(module);
    const s = await file?.lookup(rel);
    if (!s) return undefined;
    const info: SymbolInfo = {
      function: s.name,
      functionBase: module.base + BigInt(s.address),
      parameterSize: s.parameterSize,
      source: 'breakpad',
    };
    if (s.size !== undefined) info.functionSize = BigInt(s.size);
    if (s.file !== undefined) info.file = s.file;
    if (s.line !== undefined) info.line = s.line;
    if (s.lineBase !== undefined) info.lineBase = module.base + BigInt(s.lineBase);
    if (s.inlines.length > 0) info.inlines = s.inlines.map(({ address: a, ...frame }) => ({ ...frame, functionBase: module.base + BigInt(a) }));
    if (s.isPublic) info.isPublic = true;
    if (s.multiple) info.isMultiple = true;
    return info;
  }

  /** STACK WIN (FrameData, then FPO) first, then STACK CFI: the order of Breakpad's and rust-minidump's x86 walkers. */
  async unwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined> {
    const rel = relative(module, address);
    if (rel === undefined) return undefined;
    const file = await this.symbolFile(module);
    if (!file) return undefined;
    const win = await file.stackWin(rel);
    if (win) return { kind: 'win', record: win, source: 'breakpad' };
    const rules = await file.cfiRules(rel);
    return rules ? { kind: 'cfi', rules, source: 'breakpad' } : undefined;
  }
}

function relative(module: CodeModule, address: bigint): number | undefined {
  if (address < module.base) return undefined;
  const rel = address - module.base;
  return rel <= BigInt(Number.MAX_SAFE_INTEGER) ? Number(rel) : undefined;
}
