import { DumpError } from '../errors.js';
import { VirtualMemory, type PageStore } from '../kernel/virtual.js';

/** Reads one physical page (4096 bytes); throws ADDRESS_NOT_IN_DUMP when the source lacks it. */
export type PhysPageReader = (pfn: number) => Uint8Array | Promise<Uint8Array>;

/**
 * x64 virtual reads over any physical page source (a modeled machine, or a dump's page data), for
 * the structure walks convert and derive need. The translation is the kernel reader's own
 * (kernel/virtual.ts: 1 GiB, 2 MiB, transition PTEs); this only adapts a page-reading function to
 * it and adds the few typed reads the walks use.
 */
export class VirtualReader {
  private readonly vm: VirtualMemory;

  constructor(readPhys: PhysPageReader, readonly dtb: bigint) {
    const store: PageStore = {
      // The source says itself which pages it lacks (it throws), so every page is "there" to ask for.
      hasPage: () => true,
      canReadSync: false,
      readPageInto: () => {
        throw new DumpError('UNSUPPORTED', 'VirtualReader reads pages asynchronously');
      },
      readPage: async (pfn) => readPhys(pfn),
    };
    this.vm = new VirtualMemory(store, dtb, 'x64');
  }

  /** Physical address of `va`, or undefined when not mapped. Missing table pages throw. */
  async translate(va: bigint): Promise<bigint | undefined> {
    try {
      return (await this.vm.translate(va)).pa;
    } catch (e) {
      if (e instanceof DumpError && e.code === 'ADDRESS_NOT_MAPPED') return undefined;
      throw e;
    }
  }

  async read(va: bigint, length: number): Promise<Uint8Array> {
    if (length < 0 || length > 64 * 1024 * 1024) throw new DumpError('INVALID_ARGUMENT', `virtual read of ${length} bytes`);
    return this.vm.read(va, length);
  }

  async u64(va: bigint): Promise<bigint> {
    const b = await this.read(va, 8);
    return new DataView(b.buffer, b.byteOffset, 8).getBigUint64(0, true);
  }
  async u32(va: bigint): Promise<number> {
    const b = await this.read(va, 4);
    return new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  }
  async u16(va: bigint): Promise<number> {
    const b = await this.read(va, 2);
    return new DataView(b.buffer, b.byteOffset, 2).getUint16(0, true);
  }
  /** A UNICODE_STRING64 at `va` (Length, MaximumLength, Buffer @+8), capped at 32 KiB. */
  async unicodeString(va: bigint): Promise<string> {
    const len = await this.u16(va);
    const buf = await this.u64(va + 8n);
    if (len === 0 || buf === 0n) return '';
    return new TextDecoder('utf-16le').decode(await this.read(buf, Math.min(len & ~1, 0x8000)));
  }
}
