import { DumpError } from '../errors.js';
import { hex } from '../hex.js';

/** Reads one physical page (4096 bytes); throws ADDRESS_NOT_IN_DUMP when the source lacks it. */
export type PhysPageReader = (pfn: number) => Uint8Array | Promise<Uint8Array>;

const PFN_MASK = 0xffffffffffn; // bits 12..51

/**
 * x64 4-level translation over any physical page source (a modeled machine, or a dump's page
 * data), for the few structure walks convert and derive need. Accepts transition PTEs at the
 * last level, as kdmp-parser-rs does. Reads are capped: a hostile list cannot make it loop.
 */
export class VirtualReader {
  private readonly cache = new Map<number, Uint8Array>();
  constructor(
    private readonly readPhys: PhysPageReader,
    readonly dtb: bigint,
  ) {}

  private async page(pfn: number): Promise<Uint8Array> {
    let p = this.cache.get(pfn);
    if (!p) {
      p = (await this.readPhys(pfn)).slice();
      if (this.cache.size > 4096) this.cache.clear();
      this.cache.set(pfn, p);
    }
    return p;
  }

  /** Physical address of `va`, or undefined when not mapped. Missing table pages throw. */
  async translate(va: bigint): Promise<bigint | undefined> {
    let table = Number((this.dtb >> 12n) & PFN_MASK);
    const shifts = [39n, 30n, 21n, 12n];
    for (let level = 0; level < 4; level++) {
      const idx = Number((va >> shifts[level]!) & 0x1ffn);
      const p = await this.page(table);
      const e = new DataView(p.buffer, p.byteOffset, 4096).getBigUint64(idx * 8, true);
      const present = (e & 1n) === 1n;
      const transition = level === 3 && (e & 0xc01n) === 0x800n;
      if (!present && !transition) return undefined;
      const pfn = (e >> 12n) & PFN_MASK;
      if (present && level > 0 && level < 3 && (e & 0x80n)) {
        const mask = level === 1 ? 0x3fffffffn : 0x1fffffn;
        return ((pfn << 12n) & ~mask) + (va & mask);
      }
      table = Number(pfn);
    }
    return BigInt(table) * 4096n + (va & 0xfffn);
  }

  async read(va: bigint, length: number): Promise<Uint8Array> {
    if (length < 0 || length > 64 * 1024 * 1024) throw new DumpError('INVALID_ARGUMENT', `virtual read of ${length} bytes`);
    const out = new Uint8Array(length);
    for (let done = 0; done < length; ) {
      const cur = va + BigInt(done);
      const pa = await this.translate(cur);
      if (pa === undefined) throw new DumpError('ADDRESS_NOT_MAPPED', `virtual address ${hex(cur)} is not mapped (DTB ${hex(this.dtb)})`);
      const off = Number(pa & 0xfffn);
      const n = Math.min(4096 - off, length - done);
      out.set((await this.page(Number(pa >> 12n))).subarray(off, off + n), done);
      done += n;
    }
    return out;
  }

  async u64(va: bigint): Promise<bigint> {
    const b = await this.read(va, 8);
    return new DataView(b.buffer).getBigUint64(0, true);
  }
  async u32(va: bigint): Promise<number> {
    const b = await this.read(va, 4);
    return new DataView(b.buffer).getUint32(0, true);
  }
  async u16(va: bigint): Promise<number> {
    const b = await this.read(va, 2);
    return new DataView(b.buffer).getUint16(0, true);
  }
  /** A UNICODE_STRING64 at `va` (Length, MaximumLength, Buffer @+8), capped at 32 KiB. */
  async unicodeString(va: bigint): Promise<string> {
    const len = await this.u16(va);
    const buf = await this.u64(va + 8n);
    if (len === 0 || buf === 0n) return '';
    return new TextDecoder('utf-16le').decode(await this.read(buf, Math.min(len & ~1, 0x8000)));
  }
}
