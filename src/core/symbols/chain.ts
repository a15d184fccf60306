import type { CodeModule, SymbolInfo, SymbolProvider, SymbolStatus, UnwindInfo } from './types.js';

/** How good a status is, best last: a module is 'loaded' if any provider loaded it. */
const RANK: Record<SymbolStatus, number> = { 'not-tried': 0, missing: 1, corrupt: 2, loaded: 3 };

/**
 * Several symbol sources asked in order (e.g. Breakpad .sym files, then the ELF image, then PE
 * exports): the first provider with an answer wins for `lookup` and `unwindInfo`; `status` is the
 * best status any of them reports.
 */
export class SymbolChain implements SymbolProvider {
  readonly providers: readonly SymbolProvider[];

  constructor(providers: SymbolProvider[]) {
    this.providers = [...providers];
  }

  async lookup(module: CodeModule, address: bigint): Promise<SymbolInfo | undefined> {
    for (const p of this.providers) {
      const info = await p.lookup(module, address);
      if (info) return info;
    }
    return undefined;
  }

  async unwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined> {
    for (const p of this.providers) {
      const info = await p.unwindInfo(module, address);
      if (info) return info;
    }
    return undefined;
  }

  status(module: CodeModule): SymbolStatus {
    let best: SymbolStatus = 'not-tried';
    for (const p of this.providers) {
      const s = p.status(module);
      if (RANK[s] > RANK[best]) best = s;
    }
    return best;
  }
}
