/**
 * Symbols and unwind data from the PE images themselves, read from the dump's memory (kernel
 * dumps, full user dumps): exports become public symbols (source 'pe-export'), and x64 .pdata
 * with its UNWIND_INFO becomes CFI rules (source 'pe-pdata'). Indexes each module once.
 */
import type { Diagnostics } from '../../diagnostics.js';
import { DumpError } from '../../errors.js';
import { hex } from '../../hex.js';
import { readExports } from '../../pe/exports.js';
import { IMAGE_FILE_MACHINE_AMD64 } from '../../kernel/header.js';
import { PeImage } from '../../pe/image.js';
import { findRuntimeFunction, readRuntimeFunctions, type RuntimeFunction } from '../../pe/pdata.js';
import { x64UnwindRulesAt } from '../../pe/unwind-x64.js';
import type { MemoryReader } from '../../unwind/types.js';
import type { CodeModule, SymbolInfo, SymbolProvider, SymbolStatus, UnwindInfo } from '../types.js';

interface IndexedImage {
  image: PeImage;
  /** Named (or ordinal-only) non-forwarded exports, sorted by RVA. */
  exports: { rva: number; name: string }[];
  pdata: RuntimeFunction[];
}

export interface PeImageProviderOptions {
  memory: MemoryReader;
  diagnostics?: Diagnostics;
}

export class PeImageProvider implements SymbolProvider {
  private readonly images = new Map<bigint, Promise<IndexedImage | undefined>>();
  private readonly statuses = new Map<bigint, SymbolStatus>();

  constructor(private readonly options: PeImageProviderOptions) {}

  /** The module's image as indexed (undefined when its headers are not in memory or broken). */
  image(module: CodeModule): Promise<IndexedImage | undefined> {
    let p = this.images.get(module.base);
    if (!p) {
      p = this.index(module);
      this.images.set(module.base, p);
    }
    return p;
  }

  private async index(module: CodeModule): Promise<IndexedImage | undefined> {
    const diag = this.options.diagnostics;
    if (module.format !== undefined && module.format !== 'pe') {
      this.statuses.set(module.base, 'not-tried');
      return undefined;
    }
    try {
      const image = await PeImage.open(this.options.memory, module.base, `${module.codeFile} at ${hex(module.base)}`);
      if (!image) {
        this.statuses.set(module.base, 'missing');
        return undefined;
      }
      const table = await readExports(image, diag);
      const exports: { rva: number; name: string }[] = [];
      for (const e of table?.exports ?? []) {
        if (e.rva === undefined) continue;
        exports.push({ rva: e.rva, name: e.name ?? `Ordinal${e.ordinal}` });
      }
      exports.sort((a, b) => a.rva - b.rva);
      const pdata = image.headers.machine === IMAGE_FILE_MACHINE_AMD64 ? await readRuntimeFunctions(image, diag) : [];
      this.statuses.set(module.base, exports.length || pdata.length ? 'loaded' : 'missing');
      return { image, exports, pdata };
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      diag?.add(`${module.codeFile}: PE image not usable: ${e.message}`);
      this.statuses.set(module.base, 'corrupt');
      return undefined;
    }
  }

  async lookup(module: CodeModule, address: bigint): Promise<SymbolInfo | undefined> {
    const img = await this.image(module);
    if (!img || img.exports.length === 0) return undefined;
    const rva = Number(address - module.base);
    if (rva < 0 || rva >= img.image.sizeOfImage) return undefined;
    // The last export at or before the address, within the same section.
    let lo = 0;
    let hi = img.exports.length - 1;
    let found = -1;
    while (lo <= hi) {
      const mid = (lo + hi) >>> 1;
      if (img.exports[mid]!.rva <= rva) {
        found = mid;
        lo = mid + 1;
      } else hi = mid - 1;
    }
    if (found < 0) return undefined;
    const e = img.exports[found]!;
    if (img.image.sectionAt(e.rva) !== img.image.sectionAt(rva)) return undefined;
    const info: SymbolInfo = { function: e.name, functionBase: module.base + BigInt(e.rva), source: 'pe-export', isPublic: true };
    const fn = findRuntimeFunction(img.pdata, e.rva);
    if (fn && rva < fn.endAddress) info.functionSize = BigInt(fn.endAddress - fn.beginAddress);
    return info;
  }

  /** Rules per address (threads share most return addresses); bounded. */
  private readonly rulesCache = new Map<bigint, Promise<UnwindInfo | undefined>>();
  static readonly MAX_CACHED_RULES = 1 << 16;

  unwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined> {
    let p = this.rulesCache.get(address);
    if (!p) {
      if (this.rulesCache.size >= PeImageProvider.MAX_CACHED_RULES) this.rulesCache.clear();
      p = this.computeUnwindInfo(module, address);
      this.rulesCache.set(address, p);
    }
    return p;
  }

  private async computeUnwindInfo(module: CodeModule, address: bigint): Promise<UnwindInfo | undefined> {
    const img = await this.image(module);
    if (!img || img.image.headers.machine !== IMAGE_FILE_MACHINE_AMD64) return undefined;
    try {
      const rules = await x64UnwindRulesAt(img.image, img.pdata, address);
      return rules ? { kind: 'cfi', rules, source: 'pe-pdata' } : undefined;
    } catch (e) {
      if (!(e instanceof DumpError)) throw e;
      this.options.diagnostics?.add(`${module.codeFile}: unwind data at ${hex(address)} not usable: ${e.message}`);
      return undefined;
    }
  }

  status(module: CodeModule): SymbolStatus {
    return this.statuses.get(module.base) ?? 'not-tried';
  }
}
