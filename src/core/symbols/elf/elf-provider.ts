/**
 * Symbols, line numbers and CFI for ELF modules, straight from ELF files: the separate debug file
 * found by build id (`<dir>/xx/rest.debug`, `<dir>/.build-id/xx/rest.debug`,
 * `/usr/lib/debug/.build-id/xx/rest.debug`) and the module's own file when its build id matches.
 * Names come from the debug file's `.symtab` when present, else the binary's `.symtab`/`.dynsym`;
 * lines from `.debug_line`; CFI from the binary's `.eh_frame`, then either file's `.debug_frame`.
 */
import type { ByteSource } from '../../bytes/byte-source.js';
import type { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import { breakpadRules, cfaRowAt } from '../../elf/cfi-rules.js';
import { LineTable } from '../../elf/dwarf-line.js';
import { CfiSection, type Fde } from '../../elf/eh-frame.js';
import { ElfFile } from '../../elf/elf-file.js';
import { ElfSymbolTable } from '../../elf/symtab.js';
import type { CodeModule, FileOpener, SymbolInfo, SymbolProvider, SymbolStatus, UnwindInfo } from '../types.js';

export interface ElfSymbolProviderOptions {
  /** Directories holding debug files by build id, searched first, in order. */
  debugDirectories?: string[];
  /** The system's debug directory ('/usr/lib/debug' by default; false to skip it). */
  systemDebugDirectory?: string | false;
  /** Whether the module's own path (CodeModule.codeFile) is tried (true by default). */
  useModulePath?: boolean;
  /** Where oddities go (files with the wrong build id, corrupt sections). */
  diagnostics?: Diagnostics;
}

interface ModuleEntry {
  status: SymbolStatus;
  binary?: ElfFile;
  debug?: ElfFile;
  /** Absolute address minus link-time address. */
  bias: bigint;
  machine: number;
  symbols?: ElfSymbolTable;
  lines?: Promise<LineTable | undefined>;
  cfi: { section: CfiSection; source: 'eh_frame' | 'debug_frame' }[];
}

export class ElfSymbolProvider implements SymbolProvider {
  private readonly modules = new Map<string, Promise<ModuleEntry>>();
  private readonly statuses = new Map<string, SymbolStatus>();

  constructor(
    private readonly opener: FileOpener,
    private readonly options: ElfSymbolProviderOptions = {},
  ) {}

  /** Closes every file the provider opened (a later lookup opens them again). */
  async close(): Promise<void> {
    const entries = await Promise.all(this.modules.values());
    this.modules.clear();
    const seen = new Set<ByteSource>();
    for (const e of entries) {
      for (const f of [e.binary, e.debug]) {
        if (f && !seen.has(f.source)) {
          seen.add(f.source);
          await f.source.close?.();
        }
      }
    }
  }

  status(module: CodeModule): SymbolStatus {
    return this.statuses.get(moduleKey(module)) ?? 'not-tried';
  }

  async lookup(module: CodeModule, address: bigint): Promise<SymbolInfo | undefined> {
    if (!inModule(module, address)) return undefined;
    const e = await this.entry(module);
    if (!e.symbols) return undefined;
    const link = address - e.bias;
    const sym = e.symbols.lookup(link);
    if (!sym) return undefined;
    const info: SymbolInfo = { function: sym.name, functionBase: sym.address + e.bias, source: sym.source };
    if (sym.size > 0n) info.functionSize = sym.size;
    const lines = await this.lines(module, e);
    const pos = lines?.lookup(link);
    if (pos) {
      info.file = pos.file;
      info.line = pos.line;
    }
    return info;
  }

  async unwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined> {
    if (!inModule(module, address)) return undefined;
    const e = await this.entry(module);
    const link = address - e.bias;
    for (const { section, source } of e.cfi) {
      const result = this.guard(module, `${source} at 0x${link.toString(16)}`, () => {
        const fde: Fde | undefined = section.findFde(link);
        this.reportProblems(module, section);
        if (!fde) return undefined;
        const row = cfaRowAt(fde, link, { sectionAddr: section.sectionAddr, ...section.bases });
        return breakpadRules(row, fde.cie, e.machine) ?? null;
      });
      if (result === null) return undefined; // the FDE covers the address but its rules cannot be expressed
      if (result) return { kind: 'cfi', rules: result, source };
    }
    return undefined;
  }

  private readonly reported = new WeakMap<CfiSection, number>();

  /** Entries the section skipped while indexing, as diagnostics (once each). */
  private reportProblems(module: CodeModule, section: CfiSection): void {
    const done = this.reported.get(section) ?? 0;
    for (const p of section.problems.slice(done)) this.options.diagnostics?.add(`${module.codeFile}: .${section.kind}: ${p}`);
    this.reported.set(section, section.problems.length);
  }

  private guard<T>(module: CodeModule, what: string, f: () => T): T | undefined {
    try {
      return f();
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      this.options.diagnostics?.add(`${module.codeFile}: ${what}: ${e.message}`);
      return undefined;
    }
  }

  private lines(module: CodeModule, e: ModuleEntry): Promise<LineTable | undefined> {
    e.lines ??= (async () => {
      for (const f of [e.debug, e.binary]) {
        if (!f?.section('.debug_line')) continue;
        try {
          const t = await LineTable.fromElf(f);
          for (const p of t?.problems ?? []) this.options.diagnostics?.add(`${module.codeFile}: .debug_line: ${p}`);
          if (t) return t;
        } catch (err) {
          if (!(err instanceof DumpError)) throw err;
          this.options.diagnostics?.add(`${module.codeFile}: .debug_line of ${f.source.name}: ${err.message}`);
        }
      }
      return undefined;
    })();
    return e.lines;
  }

  private entry(module: CodeModule): Promise<ModuleEntry> {
    const key = moduleKey(module);
    if (!buildIdOf(module) || (module.format !== undefined && module.format !== 'elf')) {
      // Not an ELF module with a build id: this provider has nothing to try (status stays 'not-tried').
      return Promise.resolve({ status: 'not-tried', bias: 0n, machine: 0, cfi: [] });
    }
    let p = this.modules.get(key);
    if (!p) {
      p = this.load(module).then((e) => {
        this.statuses.set(key, e.status);
        return e;
      });
      this.modules.set(key, p);
    }
    return p;
  }

  /** Candidate paths for the separate debug file, in search order. */
  debugFileCandidates(buildIdHex: string): string[] {
    const sep = this.opener.separator;
    const xx = buildIdHex.slice(0, 2);
    const rest = buildIdHex.slice(2);
    const out: string[] = [];
    for (const dir of this.options.debugDirectories ?? []) {
      out.push(join(sep, dir, xx, `${rest}.debug`), join(sep, dir, '.build-id', xx, `${rest}.debug`));
    }
    const system = this.options.systemDebugDirectory ?? '/usr/lib/debug';
    if (system !== false) out.push(join(sep, system, '.build-id', xx, `${rest}.debug`));
    return out;
  }

  private async load(module: CodeModule): Promise<ModuleEntry> {
    const none: ModuleEntry = { status: 'missing', bias: 0n, machine: 0, cfi: [] };
    const buildId = buildIdOf(module);
    if (!buildId) return none;
    let corrupt = false;
    const openMatching = async (path: string): Promise<ElfFile | undefined> => {
      let source: ByteSource | undefined;
      try {
        source = await this.opener.open(path);
        if (!source) return undefined;
        const elf = await ElfFile.open(source);
        const id = await elf.buildId();
        if (!id || toHex(id) !== buildId) {
          this.options.diagnostics?.add(`${path}: build id ${id ? toHex(id) : '(none)'} is not the module's ${buildId}; not used`);
          await source.close?.();
          return undefined;
        }
        return elf;
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        this.options.diagnostics?.add(`${path}: ${e.message}`);
        if (e.code !== 'IO' && e.code !== 'PERMISSION') corrupt = true;
        await source?.close?.();
        return undefined;
      }
    };
    let debug: ElfFile | undefined;
    for (const path of this.debugFileCandidates(buildId)) {
      debug = await openMatching(path);
      if (debug) break;
    }
    const binary = this.options.useModulePath === false || !module.codeFile.startsWith('/') ? undefined : await openMatching(module.codeFile);
    const main = binary ?? debug;
    if (!main) return { ...none, status: corrupt ? 'corrupt' : 'missing' };
    const e: ModuleEntry = { status: 'loaded', binary, debug, bias: module.base - (main.firstLoadVaddr() ?? 0n), machine: main.machine, cfi: [] };
    const tryLoad = async <T>(what: string, f: () => Promise<T>): Promise<T | undefined> => {
      try {
        return await f();
      } catch (err) {
        if (!(err instanceof DumpError)) throw err;
        this.options.diagnostics?.add(`${module.codeFile}: ${what}: ${err.message}`);
        e.status = 'corrupt';
        return undefined;
      }
    };
    for (const f of [debug, binary]) {
      if (!f) continue;
      const t = await tryLoad(`symbols of ${f.source.name}`, () => ElfSymbolTable.read(f));
      if (t && t.symbols.length > 0) {
        e.symbols = t;
        break;
      }
    }
    for (const [f, kind] of [
      [binary, 'eh_frame'],
      [debug, 'eh_frame'],
      [debug, 'debug_frame'],
      [binary, 'debug_frame'],
    ] as const) {
      if (!f || e.cfi.some((c) => c.source === kind)) continue;
      const s = await tryLoad(`.${kind} of ${f.source.name}`, () => CfiSection.fromElf(f, kind));
      if (s) e.cfi.push({ section: s, source: kind });
    }
    return e;
  }
}

/** The module's GNU build id in hex: CodeModule.buildId, else an ELF code id (the whole build id). */
function buildIdOf(module: CodeModule): string | undefined {
  if (module.buildId && module.buildId.length > 0) return toHex(module.buildId);
  return module.format === 'elf' && module.codeId && /^[0-9a-f]{8,}$/i.test(module.codeId) ? module.codeId.toLowerCase() : undefined;
}

function moduleKey(m: CodeModule): string {
  return `${m.base.toString(16)}:${m.codeFile}`;
}

function inModule(m: CodeModule, address: bigint): boolean {
  return address >= m.base && address < m.base + m.size;
}

function toHex(b: Uint8Array): string {
  return Array.from(b, (x) => x.toString(16).padStart(2, '0')).join('');
}

function join(sep: string, dir: string, ...parts: string[]): string {
  return [dir.endsWith(sep) ? dir.slice(0, -sep.length) : dir, ...parts].join(sep);
}
