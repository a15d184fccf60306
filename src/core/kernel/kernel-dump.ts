/**
 * A kernel-mode dump (PAGEDUMP / PAGEDU64), opened lazily: the header and the page index are read
 * at open; pages, module lists and triage data only when asked for.
 */
import type { ByteSource } from '../bytes/byte-source.js';
import { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { parseContext, type ContextArch, type CpuContext } from './context.js';
import {
  DUMP_TYPE_NAMES,
  dtbOf,
  dtbReservedBits,
  DUMP_HEADER64,
  IMAGE_FILE_MACHINE_AMD64,
  IMAGE_FILE_MACHINE_ARM64,
  IMAGE_FILE_MACHINE_I386,
  readKernelHeader,
  type KernelDumpHeader,
} from './header.js';
import { buildPageIndex, PhysicalMemory } from './physical.js';
import { readSecondaryData, type SecondaryData } from './secondary-data.js';
import { parseDebuggerData, readDebuggerData, readLoadedModules, readProcesses, type DebuggerData, type KernelModule, type KernelProcess } from './kernel-facts.js';
import { describeLimits } from './limits-text.js';
import { TriageDump } from './triage.js';
import { VirtualMemory, type PagingMode } from './virtual.js';

export type KernelMachine = 'x86' | 'amd64' | 'arm64';

export class KernelDump {
  private readonly spaces = new Map<bigint, VirtualMemory>();

  private constructor(
    readonly source: ByteSource,
    readonly header: KernelDumpHeader,
    readonly machine: KernelMachine,
    /** Undefined for types that hold no physical memory (3 header-only, 4 triage). */
    readonly physical: PhysicalMemory | undefined,
    /** End of the page data (or triage body) in the file. */
    readonly dataEnd: number,
    readonly secondaryData: SecondaryData | undefined,
    readonly diagnostics: Diagnostics,
    readonly bitmapSignature: 'SDMP' | 'FDMP' | undefined,
    /** The small-dump body (DumpType 4). */
    readonly triage: TriageDump | undefined,
  ) {}

  static async open(source: ByteSource, diag: Diagnostics = new Diagnostics()): Promise<KernelDump> {
    const header = await readKernelHeader(source);
    const machine = machineOf(header);
    const reserved = dtbReservedBits(header);
    if (reserved !== 0n) {
      diag.add(
        `DirectoryTableBase ${hex(header.directoryTableBase)} sets bits above the 52 physical-address bits (${hex(reserved)}, bytes ${hex(DUMP_HEADER64.DirectoryTableBase)}-${hex(DUMP_HEADER64.DirectoryTableBase + 8)}); they are ignored`,
      );
    }
    const layout = await buildPageIndex(source, header, diag);
    const physical = layout ? new PhysicalMemory(source, layout.index) : undefined;
    let dataEnd = layout?.dataEnd ?? header.headerSize;
    let triage: TriageDump | undefined;
    if (header.dumpType === 4) {
      triage = await TriageDump.open(source, header.headerSize, header.is64, header.kdDebuggerDataBlock, diag);
      dataEnd = Math.min(triage.header.sizeOfDump, source.size);
    }
    let secondaryData: SecondaryData | undefined;
    if (dataEnd < source.size) {
      try {
        secondaryData = await readSecondaryData(source, dataEnd, diag);
      } catch (e) {
        if (!(e instanceof DumpError)) throw e;
        diag.add(`secondary data ignored: ${e.message}`);
      }
      if (!secondaryData && header.dumpType !== 4) diag.add(`${source.size - dataEnd} bytes after the page data at ${hex(dataEnd)} are not a DumpBlob stream`);
    }
    return new KernelDump(source, header, machine, physical, dataEnd, secondaryData, diag, layout?.bitmapSignature, triage);
  }

  get dumpType(): number {
    return this.header.dumpType;
  }
  get dumpTypeName(): string {
    return DUMP_TYPE_NAMES[this.header.dumpType] ?? `unknown (${this.header.dumpType})`;
  }
  /** DirectoryTableBase without PCID bits. */
  get directoryTableBase(): bigint {
    return dtbOf(this.header);
  }

  /** The crashing processor's CONTEXT from the header. */
  context(): CpuContext {
    const arch: ContextArch = this.machine;
    return parseContext(arch, this.header.contextBytes, this.header.is64 ? 0x348 : 0x320);
  }

  /** The physical address space; LIMIT error for dumps without physical memory (triage). */
  requirePhysical(): PhysicalMemory {
    if (!this.physical) {
      throw new DumpError(
        'LIMIT',
        this.dumpType === 4
          ? 'a small memory dump (DumpType 4) holds no physical memory: only the listed memory blocks and the crashing thread\'s stack'
          : `DumpType ${this.dumpType} holds no physical memory`,
      );
    }
    return this.physical;
  }

  /** True when the dump holds only kernel address space (kernel/automatic/live kernel dumps). */
  get kernelOnly(): boolean {
    return this.dumpType === 6 || this.dumpType === 8 || this.dumpType === 2;
  }

  get pagingMode(): PagingMode {
    if (this.machine === 'amd64') return 'x64';
    if (this.machine === 'x86') return this.header.paeEnabled ? 'pae' : 'x86';
    return 'arm64';
  }

  isUserAddress(va: bigint): boolean {
    return this.machine === 'x86' ? va < 0x80000000n : va < 0x0000800000000000n;
  }

  /**
   * The virtual address space of the table base `dtb` (default: the header's, i.e. the kernel's).
   * In a kernel-only dump, failures on user addresses become LIMIT errors that say so.
   */
  virtual(dtb?: bigint): VirtualMemory {
    const physical = this.requirePhysical();
    const base = dtb ?? this.directoryTableBase;
    const mode = this.pagingMode;
    const explain = (va: bigint, e: DumpError): DumpError => {
      if (e.code === 'LIMIT' || !this.isUserAddress(va)) return e;
      if (!this.kernelOnly) {
        if (dtb !== undefined || e.code !== 'ADDRESS_NOT_MAPPED' || e.message.includes('user addresses belong')) return e;
        return new DumpError(e.code, `${e.message}; user addresses belong to a process: translate with its DirectoryTableBase (dumpkit info lists processes; dumpkit read --dtb)`);
      }
      if (e.code !== 'ADDRESS_NOT_IN_DUMP' && e.code !== 'ADDRESS_NOT_MAPPED') return e;
      return new DumpError(
        'LIMIT',
        `only kernel address space is available in this ${this.dumpTypeName} dump: user address ${hex(va)} cannot be read (${e.message}); a complete memory dump (DumpType 1 or 5) would hold it`,
      );
    };
    if (dtb !== undefined && !physical.hasPage(Number((base & ~0xfffn) >> 12n))) {
      const msg = `the page table at ${hex(base)} is not in this dump, so that address space cannot be used`;
      throw new DumpError(this.kernelOnly ? 'LIMIT' : 'ADDRESS_NOT_IN_DUMP', this.kernelOnly ? `${msg}: only kernel address space is available in a ${this.dumpTypeName} dump` : msg);
    }
    // one translator (and its table-page cache) per table base
    let vm = this.spaces.get(base);
    if (!vm) {
      if (this.spaces.size >= 8) this.spaces.clear();
      vm = new VirtualMemory(physical, base, mode, { explain });
      this.spaces.set(base, vm);
    }
    return vm;
  }

  /** Reads virtual memory: through page tables, or from a small dump's stored blocks. */
  async readVirtual(va: bigint, length: number, options: { dtb?: bigint; ignoreMissing?: boolean } = {}): Promise<Uint8Array> {
    if (this.triage) {
      if (options.dtb !== undefined) throw new DumpError('LIMIT', 'a small memory dump (DumpType 4) has no page tables: no other address space can be selected');
      return this.triage.read(va, length, options);
    }
    return this.virtual(options.dtb).read(va, length, options);
  }

  /** KDDEBUGGER_DATA64 (through virtual memory, or the small dump's copy). */
  async debuggerData(): Promise<DebuggerData | undefined> {
    const va = this.header.kdDebuggerDataBlock;
    if (va === undefined || !this.header.is64) return undefined;
    if (this.triage) {
      const h = this.triage.header;
      if (!h.debuggerDataOffset || !h.debuggerDataSize) return undefined;
      return parseDebuggerData(await this.source.read(h.debuggerDataOffset, Math.min(h.debuggerDataSize, 0x1000)), va, h.debuggerDataOffset);
    }
    if (!this.physical) return undefined;
    return readDebuggerData(this.virtual(), va);
  }

  /** Loaded kernel modules, kernel image first: PsLoadedModuleList, or a small dump's driver list. */
  async modules(): Promise<KernelModule[]> {
    if (this.triage) return this.triage.drivers.map((d) => ({ base: d.base, size: d.size, name: d.name }));
    const head = this.header.psLoadedModuleList;
    if (!this.physical || head === undefined || this.machine === 'x86') return [];
    return readLoadedModules(this.virtual(), head, this.diagnostics);
  }

  /** Processes from PsActiveProcessHead (x64 19041 layout). */
  async processes(): Promise<KernelProcess[]> {
    const head = this.header.psActiveProcessHead;
    if (!this.physical || head === undefined || this.machine === 'x86') return [];
    return readProcesses(this.virtual(), head, this.diagnostics);
  }

  /** What this dump can and cannot answer, in words. */
  limits(): string[] {
    return describeLimits(this);
  }
}


function machineOf(h: KernelDumpHeader): KernelMachine {
  const m = h.machineImageType;
  if (m === IMAGE_FILE_MACHINE_AMD64) return 'amd64';
  if (m === IMAGE_FILE_MACHINE_ARM64) return 'arm64';
  if (m === IMAGE_FILE_MACHINE_I386) return 'x86';
  throw new DumpError('UNSUPPORTED', `MachineImageType 0x${m.toString(16)} is not i386, AMD64 or ARM64`, { offset: h.is64 ? 0x30 : 0x20, length: 4 });
}
