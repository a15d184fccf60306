import type { ByteSource } from '../bytes/byte-source.js';
import { StructView, readStruct } from '../bytes/struct-view.js';
import { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import {
  MINIDUMP_DIRECTORY_SIZE,
  MINIDUMP_HEADER_SIZE,
  MINIDUMP_SIGNATURE,
  MINIDUMP_VERSION,
  StreamType,
  streamTypeName,
} from './constants.js';
import { parseContext, type CpuContext } from './context/index.js';
import { MinidumpLimits } from './limits.js';
import { readLocation, type MinidumpDirectoryEntry, type MinidumpLocation, type StreamContext } from './reader/common.js';
import { readBreakpadInfo, type BreakpadInfo } from './reader/breakpad-info.js';
import { readException, type MinidumpException } from './reader/exception.js';
import { readMemoryList, type MemoryRange } from './reader/memory-list.js';
import { memory64Ranges, readMemory64Layout, type Memory64Layout } from './reader/memory64-list.js';
import { readMiscInfo, type MinidumpMiscInfo } from './reader/misc-info.js';
import { readModuleList, type MinidumpModule } from './reader/module-list.js';
import { readSystemInfo, type MinidumpSystemInfo } from './reader/system-info.js';
import { readThreadExList } from './reader/thread-ex-list.js';
import { readThreadList, type MinidumpThread } from './reader/thread-list.js';
import { readAssertionInfo, type BreakpadAssertionInfo } from './reader/assertion-info.js';
import { readCommentA, readCommentW } from './reader/comment.js';
import { readCrashpadInfo, type CrashpadInfo } from './reader/crashpad-info.js';
import { readHandleData, type MinidumpHandleDescriptor } from './reader/handle-data.js';
import {
  parseLinuxMaps,
  readLinuxAuxv,
  readLinuxDsoDebug,
  readLinuxNulList,
  readLinuxText,
  type LinuxDsoDebug,
  type LinuxMapping,
} from './reader/linux.js';
import { readMemoryInfoList, type MinidumpMemoryInfo } from './reader/memory-info-list.js';
import { readProcessVmCounters, type MinidumpProcessVmCounters } from './reader/process-vm-counters.js';
import { readSystemMemoryInfo, type MinidumpSystemMemoryInfo } from './reader/system-memory-info.js';
import { readThreadInfoList, type MinidumpThreadInfo } from './reader/thread-info-list.js';
import { readThreadNames, type MinidumpThreadName } from './reader/thread-names.js';
import { readToken, type MinidumpTokenInfo } from './reader/token.js';
import { readUnloadedModuleList, type MinidumpUnloadedModule } from './reader/unloaded-module-list.js';

/** MINIDUMP_HEADER (32 bytes). */
export interface MinidumpHeader {
  signature: number;
  version: number;
  numberOfStreams: number;
  streamDirectoryRva: number;
  checkSum: number;
  timeDateStamp: number;
  /** MINIDUMP_TYPE. */
  flags: bigint;
}

export interface MinidumpOpenOptions {
  /** Collects non-fatal oddities; a new one is made when absent. */
  diagnostics?: Diagnostics;
}

/**
 * A minidump opened lazily: `open` reads only the header and directory; every stream is parsed on
 * first use and cached. Broken optional data becomes a diagnostic; broken structure a DumpError.
 */
export class Minidump {
  readonly diagnostics: Diagnostics;
  /** Directory entries that are not UnusedStream padding, in directory order. */
  readonly streams: readonly MinidumpDirectoryEntry[];
  private readonly firstOfType = new Map<number, MinidumpDirectoryEntry>();
  private readonly cache = new Map<string, Promise<unknown>>();

  private constructor(
    readonly source: ByteSource,
    readonly header: MinidumpHeader,
    /** All directory entries including padding. */
    readonly directory: readonly MinidumpDirectoryEntry[],
    diagnostics: Diagnostics,
  ) {
    this.diagnostics = diagnostics;
    this.streams = directory.filter((e) => e.streamType !== StreamType.UnusedStream);
    for (const e of this.streams) {
      const first = this.firstOfType.get(e.streamType);
      if (!first) this.firstOfType.set(e.streamType, e);
      else
        diagnostics.add(
          `directory entry ${e.index}: duplicate ${e.name} stream (first is entry ${first.index}); the first is used`,
        );
    }
    this.checkOverlaps();
  }

  /** Reads and checks the header and the stream directory; nothing else. */
  static async open(source: ByteSource, options: MinidumpOpenOptions = {}): Promise<Minidump> {
    const diagnostics = options.diagnostics ?? new Diagnostics();
    if (source.size < MINIDUMP_HEADER_SIZE) {
      throw new DumpError('TRUNCATED', `${source.name}: ${source.size} bytes is too small for a MINIDUMP_HEADER (32 bytes)`, {
        offset: 0,
        length: source.size,
      });
    }
    const h = await readStruct(source, 0, MINIDUMP_HEADER_SIZE, 'MINIDUMP_HEADER');
    const header: MinidumpHeader = {
      signature: h.u32(0),
      version: h.u32(4),
      numberOfStreams: h.u32(8),
      streamDirectoryRva: h.u32(12),
      checkSum: h.u32(16),
      timeDateStamp: h.u32(20),
      flags: h.u64(24),
    };
    if (header.signature !== MINIDUMP_SIGNATURE) {
      throw new DumpError('BAD_SIGNATURE', `MINIDUMP_HEADER.Signature is 0x${header.signature.toString(16)}, not 'MDMP' (0x504d444d)`, {
        offset: 0,
        length: 4,
      });
    }
    if ((header.version & 0xffff) !== MINIDUMP_VERSION) {
      throw new DumpError('BAD_VERSION', `MINIDUMP_HEADER.Version low word is 0x${(header.version & 0xffff).toString(16)}, not 0xa793`, {
        offset: 4,
        length: 4,
      });
    }
    const n = header.numberOfStreams;
    if (n > MinidumpLimits.maxStreams) {
      throw new DumpError('COUNT_TOO_LARGE', `MINIDUMP_HEADER.NumberOfStreams is ${n}, more than the limit of ${MinidumpLimits.maxStreams}`, {
        offset: 8,
        length: 4,
      });
    }
    const dirRva = header.streamDirectoryRva;
    const dirLen = n * MINIDUMP_DIRECTORY_SIZE;
    if (dirRva + dirLen > source.size) {
      throw new DumpError(
        'TRUNCATED',
        `stream directory (${n} entries = ${dirLen} bytes at 0x${dirRva.toString(16)}) runs past the end of the file (0x${source.size.toString(16)})`,
        { offset: dirRva, length: dirLen },
      );
    }
    const d = await readStruct(source, dirRva, dirLen, 'MINIDUMP_DIRECTORY');
    const directory: MinidumpDirectoryEntry[] = [];
    for (let i = 0; i < n; i++) {
      const off = i * MINIDUMP_DIRECTORY_SIZE;
      const streamType = d.u32(off);
      const location = { dataSize: d.u32(off + 4), rva: d.u32(off + 8) };
      const entry: MinidumpDirectoryEntry = { index: i, streamType, name: streamTypeName(streamType), location };
      if (streamType !== StreamType.UnusedStream && location.rva + location.dataSize > source.size) {
        throw new DumpError(
          'OUT_OF_BOUNDS',
          `directory entry ${i} (${entry.name}): ${location.dataSize} bytes at RVA 0x${location.rva.toString(16)} run past the end of the file (0x${source.size.toString(16)})`,
          { offset: dirRva + off, length: MINIDUMP_DIRECTORY_SIZE },
        );
      }
      directory.push(entry);
    }
    return new Minidump(source, header, directory, diagnostics);
  }

  private checkOverlaps(): void {
    const sorted = this.streams.filter((e) => e.location.dataSize > 0).sort((a, b) => a.location.rva - b.location.rva);
    for (let i = 1; i < sorted.length; i++) {
      const a = sorted[i - 1]!;
      const b = sorted[i]!;
      if (b.location.rva < a.location.rva + a.location.dataSize) {
        this.diagnostics.add(
          `directory entries ${a.index} (${a.name}) and ${b.index} (${b.name}) overlap at 0x${b.location.rva.toString(16)}`,
        );
      }
    }
  }

  private get ctx(): StreamContext {
    return { source: this.source, diagnostics: this.diagnostics };
  }

  private memo<T>(key: string, f: () => Promise<T>): Promise<T> {
    let p = this.cache.get(key) as Promise<T> | undefined;
    if (!p) {
      p = f();
      this.cache.set(key, p);
    }
    return p;
  }

  /** The first directory entry of a type (duplicates: the first wins). */
  stream(type: number): MinidumpDirectoryEntry | undefined {
    return this.firstOfType.get(type);
  }

  /** All directory entries of a type (several user streams of one type are legal). */
  streamsOfType(type: number): MinidumpDirectoryEntry[] {
    return this.streams.filter((e) => e.streamType === type);
  }

  /** The bytes of a stream (capped at MinidumpLimits.maxRawStreamBytes). */
  async streamBytes(entry: MinidumpDirectoryEntry): Promise<Uint8Array> {
    return (await this.streamView(entry)).bytes;
  }

  /** Reads bytes at a location descriptor (e.g. a thread's context). */
  async readLocation(loc: MinidumpLocation, what: string, cap?: number): Promise<Uint8Array> {
    return (await readLocation(this.source, loc, what, cap)).bytes;
  }

  /** The stream's bytes as a bounds-checked view. */
  streamView(entry: MinidumpDirectoryEntry): Promise<StructView> {
    return readLocation(this.source, entry.location, `${entry.name} stream (directory entry ${entry.index})`, MinidumpLimits.maxRawStreamBytes);
  }

  /** Parses the first stream of `type` with `parse`, cached; undefined when the dump has none. */
  protected parsed<T>(type: number, parse: (ctx: StreamContext, v: StructView) => T | Promise<T>): Promise<T | undefined> {
    return this.memo(`stream:${type}`, async () => {
      const entry = this.stream(type);
      if (!entry) return undefined;
      return parse(this.ctx, await this.streamView(entry));
    });
  }

  systemInfo(): Promise<MinidumpSystemInfo | undefined> {
    return this.parsed(StreamType.SystemInfoStream, readSystemInfo);
  }

  /** ThreadList threads (ThreadExList when there is no ThreadList); [] when neither exists. */
  threads(): Promise<MinidumpThread[]> {
    return this.memo('threads', async () => {
      const list = await this.parsed(StreamType.ThreadListStream, readThreadList);
      if (list) return list;
      return (await this.parsed(StreamType.ThreadExListStream, readThreadExList)) ?? [];
    });
  }

  /** ModuleList modules in directory order; [] when absent. */
  modules(): Promise<MinidumpModule[]> {
    return this.memo('modules', async () => (await this.parsed(StreamType.ModuleListStream, readModuleList)) ?? []);
  }

  exception(): Promise<MinidumpException | undefined> {
    return this.parsed(StreamType.ExceptionStream, readException);
  }

  miscInfo(): Promise<MinidumpMiscInfo | undefined> {
    return this.parsed(StreamType.MiscInfoStream, readMiscInfo);
  }

  breakpadInfo(): Promise<BreakpadInfo | undefined> {
    return this.parsed(StreamType.BreakpadInfoStream, readBreakpadInfo);
  }

  threadExList(): Promise<MinidumpThread[] | undefined> {
    return this.parsed(StreamType.ThreadExListStream, readThreadExList);
  }

  unloadedModules(): Promise<MinidumpUnloadedModule[] | undefined> {
    return this.parsed(StreamType.UnloadedModuleListStream, readUnloadedModuleList);
  }

  memoryInfoList(): Promise<MinidumpMemoryInfo[] | undefined> {
    return this.parsed(StreamType.MemoryInfoListStream, readMemoryInfoList);
  }

  threadInfoList(): Promise<MinidumpThreadInfo[] | undefined> {
    return this.parsed(StreamType.ThreadInfoListStream, readThreadInfoList);
  }

  handleData(): Promise<MinidumpHandleDescriptor[] | undefined> {
    return this.parsed(StreamType.HandleDataStream, readHandleData);
  }

  threadNames(): Promise<MinidumpThreadName[] | undefined> {
    return this.parsed(StreamType.ThreadNamesStream, readThreadNames);
  }

  commentA(): Promise<string | undefined> {
    return this.parsed(StreamType.CommentStreamA, readCommentA);
  }

  commentW(): Promise<string | undefined> {
    return this.parsed(StreamType.CommentStreamW, readCommentW);
  }

  token(): Promise<MinidumpTokenInfo[] | undefined> {
    return this.parsed(StreamType.TokenStream, readToken);
  }

  systemMemoryInfo(): Promise<MinidumpSystemMemoryInfo | undefined> {
    return this.parsed(StreamType.SystemMemoryInfoStream, readSystemMemoryInfo);
  }

  processVmCounters(): Promise<MinidumpProcessVmCounters | undefined> {
    return this.parsed(StreamType.ProcessVmCountersStream, readProcessVmCounters);
  }

  assertionInfo(): Promise<BreakpadAssertionInfo | undefined> {
    return this.parsed(StreamType.AssertionInfoStream, readAssertionInfo);
  }

  crashpadInfo(): Promise<CrashpadInfo | undefined> {
    return this.parsed(StreamType.CrashpadInfoStream, readCrashpadInfo);
  }

  /** A verbatim text stream (LinuxCpuInfo, LinuxProcStatus, LinuxLsbRelease, LinuxMaps, LinuxProcStat…). */
  linuxText(type: number): Promise<string | undefined> {
    return this.parsed(type, readLinuxText);
  }

  /** LinuxCmdLine as its NUL-separated arguments. */
  linuxCmdLine(): Promise<string[] | undefined> {
    return this.parsed(StreamType.LinuxCmdLine, readLinuxNulList);
  }

  /** LinuxEnviron as its NUL-separated `NAME=value` entries. */
  linuxEnviron(): Promise<string[] | undefined> {
    return this.parsed(StreamType.LinuxEnviron, readLinuxNulList);
  }

  linuxMaps(): Promise<LinuxMapping[] | undefined> {
    return this.memo('linuxMaps', async () => {
      const text = await this.linuxText(StreamType.LinuxMaps);
      return text === undefined ? undefined : parseLinuxMaps(this.ctx, text);
    });
  }

  /** Native word size of the target (from SystemInfo; 8 when unknown). */
  async wordSize(): Promise<4 | 8> {
    const arch = (await this.systemInfo())?.arch;
    return arch === 'x86' || arch === 'arm' || arch === 'mips' || arch === 'ppc' || arch === 'sparc' ? 4 : 8;
  }

  async linuxAuxv(): Promise<{ type: bigint; value: bigint }[] | undefined> {
    const ws = await this.wordSize();
    return this.parsed(StreamType.LinuxAuxv, (ctx, v) => readLinuxAuxv(ctx, v, ws));
  }

  async linuxDsoDebug(): Promise<LinuxDsoDebug | undefined> {
    const ws = await this.wordSize();
    return this.parsed(StreamType.LinuxDsoDebug, (ctx, v) => readLinuxDsoDebug(ctx, v, ws));
  }

  /** The Memory64List stream checked once (diagnostics made here); undefined when absent. */
  memory64Layout(): Promise<Memory64Layout | undefined> {
    return this.parsed(StreamType.Memory64ListStream, readMemory64Layout);
  }

  /** How many captured ranges and bytes the memory lists hold, without materializing Memory64List's ranges. */
  async memoryTotals(): Promise<{ ranges: number; bytes: number }> {
    const a = (await this.parsed(StreamType.MemoryListStream, readMemoryList)) ?? [];
    const layout = await this.memory64Layout();
    return { ranges: a.length + (layout?.count ?? 0), bytes: a.reduce((n, r) => n + r.size, 0) + (layout?.bytes ?? 0) };
  }

  /** MemoryList ranges then Memory64List ranges, in file order; [] when neither exists. */
  memoryRanges(): Promise<MemoryRange[]> {
    return this.memo('memoryRanges', async () => {
      const a = (await this.parsed(StreamType.MemoryListStream, readMemoryList)) ?? [];
      const layout = await this.memory64Layout();
      const b = layout ? memory64Ranges(layout) : [];
      return a.length === 0 ? b : b.length === 0 ? a : [...a, ...b];
    });
  }

  /** Ranges sorted by start address, with the running maximum of their ends (ranges may overlap or nest). */
  private rangeIndex(): Promise<{ ranges: MemoryRange[]; maxEnd: bigint[] }> {
    return this.memo('rangeIndex', async () => {
      const ranges = [...(await this.memoryRanges())].sort((x, y) => (x.start < y.start ? -1 : x.start > y.start ? 1 : 0));
      const maxEnd: bigint[] = [];
      let m = 0n;
      for (const r of ranges) {
        const end = r.start + BigInt(r.size);
        if (end > m) m = end;
        maxEnd.push(m);
      }
      return { ranges, maxEnd };
    });
  }

  /** The captured range containing `address`, if any (the one starting last, when several do). */
  async rangeAt(address: bigint): Promise<MemoryRange | undefined> {
    const { ranges, maxEnd } = await this.rangeIndex();
    // Last range starting at or below the address…
    let lo = 0;
    let hi = ranges.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (ranges[mid]!.start <= address) lo = mid + 1;
      else hi = mid;
    }
    // …then back while some earlier range still reaches past the address.
    for (let i = lo - 1; i >= 0 && maxEnd[i]! > address; i--) {
      const r = ranges[i]!;
      if (address < r.start + BigInt(r.size)) return r;
    }
    return undefined;
  }

  /**
   * Reads `length` bytes of process memory at `address` from MemoryList/Memory64List. The bytes may
   * span adjacent ranges; any gap raises ADDRESS_NOT_IN_DUMP.
   */
  async readMemory(address: bigint, length: number): Promise<Uint8Array> {
    if (!Number.isSafeInteger(length) || length < 0) throw new DumpError('INVALID_ARGUMENT', `readMemory: bad length ${length}`);
    // Find every piece first, so a gap is reported before anything is allocated or read.
    const pieces: { fileOffset: number; n: number }[] = [];
    for (let done = 0; done < length; ) {
      const at = address + BigInt(done);
      const r = await this.rangeAt(at);
      if (!r) throw new DumpError('ADDRESS_NOT_IN_DUMP', `address 0x${at.toString(16)} is not in any captured memory range`);
      const skip = Number(at - r.start);
      const n = Math.min(length - done, r.size - skip);
      pieces.push({ fileOffset: r.fileOffset + skip, n });
      done += n;
    }
    const out = new Uint8Array(length);
    let at = 0;
    for (const p of pieces) {
      out.set(await this.source.read(p.fileOffset, p.n), at);
      at += p.n;
    }
    return out;
  }

  /** Decodes a thread's (or the exception's) CPU context; undefined when empty or of unknown layout. */
  async context(loc: MinidumpLocation, what = 'thread context'): Promise<CpuContext | undefined> {
    if (loc.dataSize === 0) return undefined;
    const bytes = await this.readLocation(loc, what, MinidumpLimits.maxContextBytes);
    const si = await this.systemInfo();
    return parseContext(bytes, si?.processorArchitecture, si?.os);
  }
}
