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
  IMAGE_FILE_MACHINE_AMD64,
  IMAGE_FILE_MACHINE_ARM64,
  IMAGE_FILE_MACHINE_I386,
  readKernelHeader,
  type KernelDumpHeader,
} from './header.js';
import { buildPageIndex, PhysicalMemory } from './physical.js';
import { readSecondaryData, type SecondaryData } from './secondary-data.js';

export type KernelMachine = 'x86' | 'amd64' | 'arm64';

export class KernelDump {
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
  ) {}

  static async open(source: ByteSource, diag: Diagnostics = new Diagnostics()): Promise<KernelDump> {
    const header = await readKernelHeader(source);
    const machine = machineOf(header);
    const layout = await buildPageIndex(source, header, diag);
    const physical = layout ? new PhysicalMemory(source, layout.index) : undefined;
    let dataEnd = layout?.dataEnd ?? header.headerSize;
    if (header.dumpType === 4) dataEnd = await triageEnd(source, header);
    let secondaryData: SecondaryData | undefined;
    if (dataEnd < source.size) {
      secondaryData = await readSecondaryData(source, dataEnd, diag);
      if (!secondaryData && header.dumpType !== 4) diag.add(`${source.size - dataEnd} bytes after the page data at ${hex(dataEnd)} are not a DumpBlob stream`);
    }
    return new KernelDump(source, header, machine, physical, dataEnd, secondaryData, diag, layout?.bitmapSignature);
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
}

function machineOf(h: KernelDumpHeader): KernelMachine {
  const m = h.machineImageType;
  if (m === IMAGE_FILE_MACHINE_AMD64) return 'amd64';
  if (m === IMAGE_FILE_MACHINE_ARM64) return 'arm64';
  if (m === IMAGE_FILE_MACHINE_I386) return 'x86';
  throw new DumpError('UNSUPPORTED', `MachineImageType 0x${m.toString(16)} is not i386, AMD64 or ARM64`, { offset: h.is64 ? 0x30 : 0x20, length: 4 });
}

async function triageEnd(source: ByteSource, h: KernelDumpHeader): Promise<number> {
  const at = h.headerSize;
  if (at + 8 > source.size) return source.size;
  const b = await source.read(at + 4, 4);
  const sizeOfDump = new DataView(b.buffer, b.byteOffset, 4).getUint32(0, true);
  return Math.min(sizeOfDump, source.size);
}
