/** The debugger's view of a user-mode minidump (MDMP). */
import type { ByteSource } from '../bytes/byte-source.js';
import { DumpError } from '../errors.js';
import { MinidumpType, StreamType } from '../minidump/constants.js';
import { exceptionName } from '../minidump/exception-name.js';
import { Minidump } from '../minidump/minidump.js';
import { moduleDebugFile, moduleDebugId, moduleVersion } from '../minidump/reader/module-list.js';
import { osVersionOf } from '../minidump/reader/system-info.js';
import {
  clipExtents,
  moduleNameOf,
  normalizeRegisters,
  uniqueModuleNames,
  type DebugArch,
  type DebugModule,
  type DebugTargetBase,
  type DebugThread,
  type ExceptionInfo,
  type Extent,
  type Registers,
  TargetOver,
} from './target.js';


export class MinidumpTarget extends TargetOver<Minidump> implements DebugTargetBase {
  readonly kind = 'user' as const;
  private threadsCache: DebugThread[] | undefined;

  private constructor(dump: Minidump, arch: DebugArch, pointerSize: 4 | 8) {
    super(dump, arch, pointerSize);
  }

  static async open(source: ByteSource): Promise<MinidumpTarget> {
    const dump = await Minidump.open(source);
    const si = await dump.systemInfo();
    const a = si?.arch;
    const arch: DebugArch = a === 'x86' || a === 'amd64' || a === 'arm64' || a === 'arm' ? a : 'other';
    return new MinidumpTarget(dump, arch, (await dump.wordSize()) === 4 ? 4 : 8);
  }

  get fullMemory(): boolean {
    return (this.dump.header.flags & BigInt(MinidumpType.MiniDumpWithFullMemory)) !== 0n;
  }

  bannerLine(): string {
    // WinDbg's words (seen in published session logs, e.g. dumpchk's documentation).
    return this.fullMemory
      ? 'User Mini Dump File with Full Memory: Only application data is available'
      : 'User Mini Dump File: Only registers, stack and portions of memory are available';
  }

  async bannerNotes(): Promise<string[]> {
    const notes: string[] = [];
    // the totals, not the ranges: a full-memory dump has tens of thousands of them
    const { ranges, bytes } = await this.dump.memoryTotals();
    notes.push(`${ranges} memory ranges (${bytes} bytes) are in the dump; other addresses read as ????????`);
    if (!this.fullMemory) notes.push('limited information: memory outside thread stacks and the ranges the writer chose is not available');
    if (await this.dump.exception()) {
      notes.push('This dump file has an exception of interest stored in it.');
      notes.push('The stored exception information can be accessed via .ecxr.');
    }
    return notes;
  }

  /** The process id: MiscInfo's, else the `Pid:` line of a Linux dump's /proc/PID/status copy. */
  async processId(): Promise<number | undefined> {
    const misc = await this.dump.miscInfo().catch(soft);
    if (misc?.processId !== undefined) return misc.processId;
    const status = await this.dump.linuxText(StreamType.LinuxProcStatus).catch(soft);
    const m = status ? /^Pid:\s*(\d+)/m.exec(status) : null;
    return m ? Number(m[1]) : undefined;
  }

  sessionKind(): string {
    return this.fullMemory ? 'Full memory user mini dump' : 'User mini dump';
  }

  async versionLines(): Promise<string[]> {
    const si = await this.dump.systemInfo();
    const lines: string[] = [];
    const archName = this.arch === 'amd64' ? 'x64' : this.arch === 'x86' ? 'x86 compatible' : this.arch === 'arm64' ? 'ARM64' : this.arch;
    if (si) {
      const procs = si.numberOfProcessors;
      const mp = procs > 1 ? 'MP' : 'UP';
      if (si.os === 'windows') {
        const name = si.majorVersion >= 10 ? 'Windows 10' : `Windows ${si.majorVersion}.${si.minorVersion}`;
        lines.push(`${name} Version ${si.buildNumber} ${mp} (${procs} procs) Free ${archName}`);
        lines.push(`Product: ${si.productType === 1 ? 'WinNt' : si.productType === 2 ? 'LanManNt' : 'Server'}, suite: ${suiteText(si.suiteMask)}`);
      } else {
        lines.push(`${si.os} ${osVersionOf(si)} ${mp} (${procs} procs) ${archName}${si.csdVersion ? ` (${si.csdVersion})` : ''}`);
      }
    } else lines.push('No SystemInfo stream: the operating system and CPU are unknown');
    const ts = this.dump.header.timeDateStamp;
    lines.push(`Debug session time: ${new Date(ts * 1000).toUTCString()}`);
    const misc = await this.dump.miscInfo().catch(soft);
    if (misc?.processCreateTime) {
      const up = ts - misc.processCreateTime;
      lines.push(`Process Uptime: ${uptime(up)}`);
    }
    const pid = await this.processId();
    if (pid !== undefined) lines.push(`Process ID: ${pid.toString(16)}`);
    return lines;
  }

  async modules(): Promise<DebugModule[]> {
    if (this.modulesCache) return this.modulesCache;
    const mods = (await this.dump.modules()).map(
      (m): DebugModule => ({
        base: m.baseOfImage,
        size: BigInt(m.sizeOfImage),
        name: moduleNameOf(m.name),
        path: m.name,
        timestamp: m.timeDateStamp,
        checksum: m.checkSum,
        version: moduleVersion(m),
        debugFile: moduleDebugFile(m),
        debugId: moduleDebugId(m),
      }),
    );
    this.modulesCache = uniqueModuleNames(mods);
    return this.modulesCache;
  }

  async threads(): Promise<DebugThread[]> {
    if (this.threadsCache) return this.threadsCache;
    const names = new Map<number, string>();
    for (const n of (await this.dump.threadNames().catch(soft)) ?? []) if (n.name !== undefined) names.set(n.threadId, n.name);
    const list = await this.dump.threads();
    this.threadsCache = list.map((t, index): DebugThread => {
      let regs: Promise<Registers | undefined> | undefined;
      return {
        index,
        id: t.threadId,
        suspendCount: t.suspendCount,
        teb: t.teb,
        name: names.get(t.threadId),
        stack: { start: t.stack.startOfMemoryRange, size: t.stack.memory.dataSize },
        registers: () =>
          (regs ??= this.dump.context(t.threadContext, `thread ${t.threadId} context`).then((c) => (c ? normalizeRegisters(c.registers) : undefined))),
      };
    });
    return this.threadsCache;
  }

  async exception(): Promise<ExceptionInfo | undefined> {
    const ex = await this.dump.exception();
    if (!ex) return undefined;
    const si = await this.dump.systemInfo();
    return {
      threadId: ex.threadId,
      code: ex.exceptionCode,
      flags: ex.exceptionFlags,
      record: ex.exceptionRecord,
      address: ex.exceptionAddress,
      parameters: ex.exceptionInformation,
      name: exceptionName(ex, si?.os ?? 'unknown'),
      registers: async () => {
        const c = await this.dump.context(ex.threadContext, 'exception context');
        return c ? normalizeRegisters(c.registers) : undefined;
      },
    };
  }

  read(address: bigint, length: number, options: { ignoreMissing?: boolean } = {}): Promise<Uint8Array> {
    if (!options.ignoreMissing) return this.dump.readMemory(address, length);
    return this.readZeroFilled(address, length);
  }

  private async readZeroFilled(address: bigint, length: number): Promise<Uint8Array> {
    const out = new Uint8Array(length);
    for (const e of clipExtents(await this.sortedExtents(), address, address + BigInt(length))) {
      out.set(await this.dump.readMemory(e.start, Number(e.end - e.start)), Number(e.start - address));
    }
    return out;
  }

  private async sortedExtents(): Promise<Extent[]> {
    const r = [...(await this.dump.memoryRanges())].map((m) => ({ start: m.start, end: m.start + BigInt(m.size) }));
    return r.sort((a, b) => (a.start < b.start ? -1 : a.start > b.start ? 1 : 0));
  }

  async *extents(start: bigint, end: bigint): AsyncIterable<Extent> {
    yield* clipExtents(await this.sortedExtents(), start, end);
  }
}

function soft(e: unknown): undefined {
  if (e instanceof DumpError) return undefined;
  throw e;
}

function uptime(seconds: number): string {
  if (!(seconds >= 0)) return 'not available';
  const d = Math.floor(seconds / 86400);
  const h = Math.floor((seconds % 86400) / 3600);
  const m = Math.floor((seconds % 3600) / 60);
  const s = seconds % 60;
  return `${d} days ${h}:${String(m).padStart(2, '0')}:${String(s).padStart(2, '0')}.000`;
}

/** The suite mask bits WinDbg names in `vertarget`. */
export function suiteText(mask: number): string {
  const names: [number, string][] = [
    [0x1, 'SmallBusiness'], [0x2, 'Enterprise'], [0x4, 'BackOffice'], [0x10, 'TerminalServer'], [0x20, 'SmallBusinessRestricted'],
    [0x40, 'EmbeddedNT'], [0x80, 'DataCenter'], [0x100, 'SingleUserTS'], [0x200, 'Personal'], [0x400, 'Blade'],
  ];
  return names.filter(([b]) => (mask & b) !== 0).map(([, n]) => n).join(' ');
}

export { uptime };
