// Symbols in a deployment: Breakpad .sym files stored in the ObjectStore under a key that names
// their content (so a re-upload never changes what a cached key means), indexed by (debug file,
// debug id) in the CrashDatabase; and the SymbolProvider the processor walks stacks with.
import { createHash } from 'node:crypto';
import { MemorySource } from '../../core/bytes/memory-source.js';
import { Diagnostics } from '../../core/diagnostics.js';
import { DumpError } from '../../core/errors.js';
import { BreakpadSymbolProvider } from '../../core/symbols/breakpad/provider.js';
import { parseModuleRecord, type ModuleRecord } from '../../core/symbols/breakpad/module.js';
import { symbolFileComponents } from '../../core/symbols/breakpad/symbol-path.js';
import type { CodeModule, FileOpener, SymbolInfo, SymbolProvider, SymbolStatus, UnwindInfo } from '../../core/symbols/types.js';
import type { CrashDatabase, ObjectStore } from './contract.js';

/** Where a .sym without a MODULE line is filed: symupload's debug_file/debug_identifier fields, or its path. */
export interface SymbolIdentity {
  debugFile: string;
  debugId: string;
}

/** `<debug file>/<debug id>/<name>.sym` at the end of a path (the symbol-store layout), when it has that shape. */
export function identityFromPath(path: string): SymbolIdentity | undefined {
  const parts = path.split(/[\\/]/);
  if (parts.length < 3) return undefined;
  const debugFile = parts[parts.length - 3]!;
  const debugId = parts[parts.length - 2]!;
  return /^[0-9A-Fa-f]{33,40}$/.test(debugId) && debugFile ? { debugFile, debugId } : undefined;
}

/**
 * The MODULE record of a .sym file's first line; without one (some dump_syms outputs start with
 * STACK CFI), the identity the upload gives; a DumpError saying why when there is neither.
 */
export function symModuleRecord(head: Uint8Array, name: string, fallback?: SymbolIdentity): ModuleRecord {
  const nl = head.indexOf(0x0a);
  const line = new TextDecoder().decode(head.subarray(0, nl < 0 ? Math.min(head.length, 4096) : nl)).replace(/\r$/, '');
  let rec = line.startsWith('MODULE ') ? parseModuleRecord(line) : undefined;
  if (!rec && fallback && /^(STACK |FILE |FUNC |PUBLIC |INFO |INLINE)/.test(line)) rec = { os: '', arch: '', ...fallback };
  if (!rec) throw new DumpError('BAD_RECORD', `${name}: not a Breakpad symbol file (the first line is not "MODULE <os> <arch> <debug id> <debug file>")`, { offset: 0, length: Math.max(nl, 0) });
  const c = symbolFileComponents({ base: 0n, size: 0n, codeFile: rec.debugFile, debugFile: rec.debugFile, debugId: rec.debugId });
  if ('missing' in c) throw new DumpError('BAD_RECORD', `${name}: MODULE record: ${c.missing}`, { offset: 0, length: Math.max(nl, 0) });
  return { ...rec, debugFile: c.debugFile, debugId: c.debugId.toUpperCase() };
}

/** Stores one .sym file's bytes and indexes it; returns its MODULE record and key. */
export async function storeSymbolFile(
  objects: ObjectStore,
  db: CrashDatabase,
  bytes: Uint8Array,
  name: string,
  fallback?: SymbolIdentity,
): Promise<{ module: ModuleRecord; key: string; size: number }> {
  const module = symModuleRecord(bytes.subarray(0, 4096), name, fallback);
  const c = symbolFileComponents({ base: 0n, size: 0n, codeFile: module.debugFile, debugFile: module.debugFile, debugId: module.debugId });
  if ('missing' in c) throw new DumpError('BAD_RECORD', `${name}: ${c.missing}`);
  const digest = createHash('sha256').update(bytes).digest('hex').slice(0, 16);
  const key = `symbols/${c.debugFile}/${c.debugId}/${digest}/${c.fileName}`;
  try {
    await objects.put(key, bytes);
  } catch (e) {
    if (!(e instanceof DumpError && e.code === 'REFUSED')) throw e; // the same bytes are already stored
  }
  await db.putSymbolFile(c.debugFile, c.debugId, key);
  return { module, key, size: bytes.length };
}

/**
 * Indexed .sym files shared by every crash a process handles, keyed by object key (content
 * addressed, so never stale), least recently used dropped past `maxBytes` of symbol text.
 */
export class SymbolFileCache {
  private readonly entries = new Map<string, { provider: Promise<BreakpadSymbolProvider | undefined>; bytes: number }>();
  private total = 0;
  /** What indexing the shared files reported (malformed records): the files', not one crash's. */
  readonly diagnostics = new Diagnostics();

  constructor(
    private readonly objects: ObjectStore,
    private readonly maxBytes = 512 * 1024 * 1024,
  ) {}

  /** A provider over the one .sym file at `key` (loaded once however many crashes ask at once), or undefined when the object is gone. */
  provider(key: string): Promise<BreakpadSymbolProvider | undefined> {
    const hit = this.entries.get(key);
    if (hit) {
      this.entries.delete(key);
      this.entries.set(key, hit);
      return hit.provider;
    }
    const entry = { provider: this.load(key), bytes: 0 };
    this.entries.set(key, entry);
    void entry.provider.then(
      (p) => {
        if (!p) this.entries.delete(key);
      },
      () => this.entries.delete(key),
    );
    return entry.provider;
  }

  private async load(key: string): Promise<BreakpadSymbolProvider | undefined> {
    const bytes = await this.objects.get(key);
    if (!bytes) return undefined;
    const opener: FileOpener = { separator: '/', open: () => Promise.resolve(new MemorySource(bytes, key)) };
    const provider = new BreakpadSymbolProvider({ dirs: ['store'], opener, diagnostics: this.diagnostics });
    const entry = this.entries.get(key);
    if (entry) entry.bytes = bytes.length;
    this.total += bytes.length;
    for (const [k, e] of this.entries) {
      if (this.total <= this.maxBytes || k === key) break;
      this.entries.delete(k);
      this.total -= e.bytes;
    }
    return provider;
  }
}

/** The symbols of one crash: each module's .sym from the store (looked up once per module). */
export class StoreSymbolProvider implements SymbolProvider {
  private readonly resolved = new Map<string, Promise<BreakpadSymbolProvider | undefined>>();
  private readonly settled = new Map<string, BreakpadSymbolProvider | undefined>();

  constructor(
    private readonly db: CrashDatabase,
    private readonly cache: SymbolFileCache,
  ) {}

  private static idOf(module: CodeModule): { debugFile: string; debugId: string } | undefined {
    const c = symbolFileComponents(module);
    return 'missing' in c ? undefined : { debugFile: c.debugFile, debugId: c.debugId.toUpperCase() };
  }

  private forModule(module: CodeModule): Promise<BreakpadSymbolProvider | undefined> {
    const id = StoreSymbolProvider.idOf(module);
    if (!id) return Promise.resolve(undefined);
    const k = `${id.debugFile}\0${id.debugId}`;
    let p = this.resolved.get(k);
    if (!p) {
      p = this.db.symbolKey(id.debugFile, id.debugId).then(async (key) => {
        const provider = key === undefined ? undefined : await this.cache.provider(key);
        this.settled.set(k, provider);
        return provider;
      });
      this.resolved.set(k, p);
    }
    return p;
  }

  async lookup(module: CodeModule, address: bigint): Promise<SymbolInfo | undefined> {
    return (await this.forModule(module))?.lookup(module, address);
  }

  async unwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined> {
    return (await this.forModule(module))?.unwindInfo(module, address);
  }

  status(module: CodeModule): SymbolStatus {
    const id = StoreSymbolProvider.idOf(module);
    if (!id) return 'missing';
    const k = `${id.debugFile}\0${id.debugId}`;
    if (!this.settled.has(k)) return 'not-tried';
    const p = this.settled.get(k);
    return p ? p.status(module) : 'missing';
  }
}
