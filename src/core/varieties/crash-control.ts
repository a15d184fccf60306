import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { ATTR_INSUFFICIENT_DUMPFILE_SIZE, type VarietyName } from './rules.js';
import { MIB, COMPLETE_HEADER_ALLOWANCE, type VarietyPlan } from './plan.js';
import { bitmapBits, bitmapFirstPage } from './sizes.js';

/**
 * What Windows does on a bug check, from its CrashControl settings
 * (HKLM\SYSTEM\CurrentControlSet\Control\CrashControl) plus the page file and the disk.
 * Pure decisions here; the CLI carries them out on files under --root.
 */
export interface CrashControl {
  /** 0 none, 1 complete (active with FilterPages=1), 2 kernel, 3 small, 7 automatic; 4–6 are not defined. */
  CrashDumpEnabled: number;
  DumpFile: string;
  MinidumpDir: string;
  Overwrite: number;
  FilterPages: number;
  AlwaysKeepMemoryDump: number;
  MinidumpsCount: number;
  /** FILETIME of the last automatic page-file growth, if any. */
  LastCrashTime?: bigint;
  /**
   * Size of the page file on the boot volume (bytes), and whether Windows manages it. Undefined:
   * not given — a system-managed page file then has the size Windows gives it on a machine that
   * has not crashed yet (systemManagedPageFileBytes); a fixed one that was not given is none.
   */
  PageFileBytes?: number;
  PageFileSystemManaged: boolean;
  /** Free space on the volume of DumpFile (bytes), when known: the low-disk rule needs it. */
  DiskFreeBytes?: number;
}

export const CRASH_CONTROL_DEFAULTS: CrashControl = {
  CrashDumpEnabled: 7,
  DumpFile: '%SystemRoot%\\MEMORY.DMP',
  MinidumpDir: '%SystemRoot%\\Minidump',
  Overwrite: 1,
  FilterPages: 0,
  AlwaysKeepMemoryDump: 0,
  MinidumpsCount: 50,
  PageFileSystemManaged: true,
};

const GIB = 1024 * MIB;

/**
 * The size Windows 10/11 (and Server 2016 on) gives a system-managed page file before any crash,
 * after Microsoft's "How to determine the appropriate page file size for 64-bit versions of
 * Windows" (section "System-managed page files"): the minimum is RAM ÷ 8, at most 32 GB, and is
 * raised to back the crash dump setting (`dumpRequirementBytes`: what the configured dump needs,
 * e.g. RAM + 257 MB for a complete dump); the maximum is 3 × RAM or 4 GB, whichever is larger.
 * The article's further limit, the volume size ÷ 8, is not modeled (the volume size is not known).
 * An automatic dump asks for no more than the minimum: its page file grows after a crash that
 * found it too small (see growIfAutomatic). docs/varieties.md states the rule and its sources.
 */
export function systemManagedPageFileBytes(ramBytes: number, dumpRequirementBytes: number): number {
  const minimum = Math.min(Math.floor(ramBytes / 8), 32 * GIB);
  const maximum = Math.max(3 * ramBytes, 4 * GIB);
  return Math.max(minimum, Math.min(dumpRequirementBytes, maximum));
}

/** Automatic-dump page-file growth is kept for four weeks after LastCrashTime. */
export const AUTOMATIC_GROWTH_KEPT = 28n * 864_000_000_000n;
/** Client Windows deletes MEMORY.DMP when less than 25 GB are free, unless AlwaysKeepMemoryDump=1. */
export const LOW_DISK_BYTES = 25 * 1000 * 1000 * 1000;
export const SMALL_DUMP_PAGE_FILE = 2 * MIB;

const FILETIME_UNIX_EPOCH = 116444736000000000n;

export function filetimeToDate(ft: bigint): Date {
  return new Date(Number((ft - FILETIME_UNIX_EPOCH) / 10000n));
}
export function dateToFiletime(d: Date): bigint {
  return BigInt(d.getTime()) * 10000n + FILETIME_UNIX_EPOCH;
}

/**
 * Reads a CrashControl JSON object: registry value names as keys (numbers as JSON numbers),
 * plus `PageFileSizeMB`, `PageFileSystemManaged`, `DiskFreeMB`. Unknown keys are an error, so
 * a typo does not silently fall back to a default.
 */
export function parseCrashControl(json: unknown): CrashControl {
  if (typeof json !== 'object' || json === null || Array.isArray(json)) {
    throw new DumpError('INVALID_ARGUMENT', 'crash-control configuration must be a JSON object of CrashControl values');
  }
  const cc: CrashControl = { ...CRASH_CONTROL_DEFAULTS };
  const int = (k: string, v: unknown, lo: number, hi: number): number => {
    if (typeof v !== 'number' || !Number.isInteger(v) || v < lo || v > hi) {
      throw new DumpError('INVALID_ARGUMENT', `crash-control ${k} must be an integer ${lo}..${hi} (got ${JSON.stringify(v)})`);
    }
    return v;
  };
  const str = (k: string, v: unknown): string => {
    if (typeof v !== 'string' || v.length === 0 || v.length > 260) throw new DumpError('INVALID_ARGUMENT', `crash-control ${k} must be a path string`);
    return v;
  };
  for (const [k, v] of Object.entries(json as Record<string, unknown>)) {
    switch (k) {
      case 'CrashDumpEnabled':
        cc.CrashDumpEnabled = int(k, v, 0, 7);
        break;
      case 'DumpFile':
        cc.DumpFile = str(k, v);
        break;
      case 'MinidumpDir':
        cc.MinidumpDir = str(k, v);
        break;
      case 'Overwrite':
      case 'FilterPages':
      case 'AlwaysKeepMemoryDump':
        cc[k] = int(k, v, 0, 1);
        break;
      case 'MinidumpsCount':
        cc.MinidumpsCount = int(k, v, 1, 10000);
        break;
      case 'LastCrashTime':
        if (typeof v === 'string' && /^\d{4}-/.test(v)) {
          const t = Date.parse(v);
          if (Number.isNaN(t)) throw new DumpError('INVALID_ARGUMENT', `crash-control LastCrashTime ${JSON.stringify(v)} is not a date`);
          cc.LastCrashTime = dateToFiletime(new Date(t));
        } else if ((typeof v === 'string' && /^(0x[0-9a-f]+|\d+)$/i.test(v)) || (typeof v === 'number' && Number.isSafeInteger(v) && v >= 0)) {
          cc.LastCrashTime = BigInt(v);
        } else throw new DumpError('INVALID_ARGUMENT', 'crash-control LastCrashTime must be an ISO date or a FILETIME');
        break;
      case 'PageFileSizeMB':
        cc.PageFileBytes = int(k, v, 0, 16 * 1024 * 1024) * MIB;
        break;
      case 'PageFileSystemManaged':
        if (typeof v !== 'boolean') throw new DumpError('INVALID_ARGUMENT', 'crash-control PageFileSystemManaged must be true or false');
        cc.PageFileSystemManaged = v;
        break;
      case 'DiskFreeMB':
        cc.DiskFreeBytes = int(k, v, 0, 2 ** 40) * MIB;
        break;
      default:
        throw new DumpError('INVALID_ARGUMENT', `crash-control: unknown value ${JSON.stringify(k)}`);
    }
  }
  return cc;
}

/** `MMDDYY-<ms since boot>-NN.dmp` — the small dump's name, NN the first free sequence number. */
export function minidumpName(systemTime: bigint, systemUpTime: bigint, taken: (name: string) => boolean): string {
  const d = filetimeToDate(systemTime);
  const two = (n: number) => String(n).padStart(2, '0');
  const stem = `${two(d.getUTCMonth() + 1)}${two(d.getUTCDate())}${two(d.getUTCFullYear() % 100)}-${systemUpTime / 10000n}`;
  for (let seq = 1; seq <= 99; seq++) {
    const name = `${stem}-${two(seq)}.dmp`;
    if (!taken(name)) return name;
  }
  throw new DumpError('REFUSED', `no free small-dump name for ${stem}-NN.dmp (01..99 all exist)`);
}

export interface CrashMachine {
  ramBytes: number;
  pfnCount: number;
  productType: number;
  systemTime: bigint;
  systemUpTime: bigint;
  plans: Partial<Record<VarietyName, VarietyPlan>>;
  /** Secondary-data payload bytes (DumpBlob stream) each page dump would carry. */
  secondaryBytes: number;
}

export interface CrashFileState {
  dumpFileExists: boolean;
  /** Existing *.dmp in MinidumpDir with modification times. */
  minidumps: { name: string; mtimeMs: number }[];
}

export interface CrashWrite {
  variety: VarietyName;
  /** Windows path (with %SystemRoot% as configured); the CLI maps it under --root. */
  windowsPath: string;
  /** Keep at most this many pages (page file too small), PFN order. */
  maxPages?: number;
  dropSecondaryData: boolean;
  attributes: number;
  expectedBytes: number;
}

export interface CrashDecision {
  setting: string;
  write?: CrashWrite;
  /** Files Windows removes (older small dumps over MinidumpsCount, a MEMORY.DMP on a low disk). */
  remove: string[];
  /** True when the written MEMORY.DMP is deleted again at reboot (low disk space). */
  deletedAtReboot: boolean;
  pageFile: {
    configuredBytes: number;
    effectiveBytes: number;
    requiredBytes: number;
    sufficient: boolean;
    systemManaged: boolean;
    action: 'none' | 'grown-to-ram' | 'still-grown';
    newSizeBytes?: number;
  };
  registry: Record<string, string>;
  notes: string[];
}

function settingOf(cc: CrashControl): { setting: string; variety?: VarietyName } {
  switch (cc.CrashDumpEnabled) {
    case 0:
      return { setting: 'none' };
    case 1:
      return cc.FilterPages === 1 ? { setting: 'active', variety: 'active' } : { setting: 'complete', variety: 'complete' };
    case 2:
      return { setting: 'kernel', variety: 'kernel' };
    case 3:
      return { setting: 'small', variety: 'small' };
    case 7:
      return { setting: 'automatic', variety: 'automatic' };
    default:
      return { setting: `undefined (${cc.CrashDumpEnabled})` };
  }
}

/** The page file before the crash: as configured, else as Windows sizes a system-managed one (with a note saying so). */
function pageFileBefore(cc: CrashControl, m: CrashMachine, variety: VarietyName | undefined, notes: string[]): number {
  if (cc.PageFileBytes !== undefined) return cc.PageFileBytes;
  if (!cc.PageFileSystemManaged) {
    notes.push('no PageFileSizeMB and PageFileSystemManaged=false: no page file');
    return 0;
  }
  const required = variety && variety !== 'automatic' ? (m.plans[variety]?.pageFileBytes ?? 0) : 0;
  const bytes = systemManagedPageFileBytes(m.ramBytes, required);
  notes.push(
    `no PageFileSizeMB: a system-managed page file of ${bytes} bytes, as Windows sizes it before any crash ` +
      `(RAM ÷ 8 up to 32 GiB${required ? `, or the ${required} bytes the ${variety} dump setting needs if more, up to 3 × RAM or 4 GiB` : ''})`,
  );
  return bytes;
}

export function decideCrash(cc: CrashControl, m: CrashMachine, fs: CrashFileState): CrashDecision {
  const { setting, variety } = settingOf(cc);
  const notes: string[] = [];
  const pageFileBytes = pageFileBefore(cc, m, variety, notes);
  const d: CrashDecision = {
    setting,
    remove: [],
    deletedAtReboot: false,
    pageFile: {
      configuredBytes: pageFileBytes,
      effectiveBytes: pageFileBytes,
      requiredBytes: 0,
      sufficient: true,
      systemManaged: cc.PageFileSystemManaged,
      action: 'none',
    },
    registry: {},
    notes,
  };
  if (!variety) {
    d.notes.push(cc.CrashDumpEnabled === 0 ? 'CrashDumpEnabled=0: Windows writes no dump' : `CrashDumpEnabled=${cc.CrashDumpEnabled} is not a value Windows defines: no dump`);
    return d;
  }
  const plan = m.plans[variety];
  if (!plan) throw new DumpError('INVALID_ARGUMENT', `no size plan for ${variety}`);
  const pf = d.pageFile;
  pf.requiredBytes = plan.pageFileBytes;
  // Automatic dumps: a growth within the last four weeks is still in force.
  if (variety === 'automatic' && cc.PageFileSystemManaged && cc.LastCrashTime !== undefined && m.systemTime - cc.LastCrashTime < AUTOMATIC_GROWTH_KEPT) {
    pf.effectiveBytes = Math.max(pf.configuredBytes, m.ramBytes);
    pf.action = 'still-grown';
    d.notes.push(`LastCrashTime ${filetimeToDate(cc.LastCrashTime).toISOString()} is less than four weeks old: the page file is still at least RAM size`);
  }
  pf.sufficient = pf.effectiveBytes >= pf.requiredBytes;

  const write: CrashWrite = {
    variety,
    windowsPath: cc.DumpFile,
    dropSecondaryData: false,
    attributes: 0,
    expectedBytes: plan.bytes,
  };
  if (variety === 'small') {
    if (pf.effectiveBytes < SMALL_DUMP_PAGE_FILE) {
      d.notes.push(`page file of ${pf.effectiveBytes} bytes is under the 2 MiB a small dump needs: no dump written`);
      return d;
    }
    const taken = new Set(fs.minidumps.map((f) => f.name.toLowerCase()));
    const name = minidumpName(m.systemTime, m.systemUpTime, (n) => taken.has(n.toLowerCase()));
    write.windowsPath = `${cc.MinidumpDir.replace(/[\\/]+$/, '')}\\${name}`;
    d.write = write;
    const over = fs.minidumps.length + 1 - cc.MinidumpsCount;
    if (over > 0) {
      const oldest = [...fs.minidumps].sort((a, b) => a.mtimeMs - b.mtimeMs || a.name.localeCompare(b.name)).slice(0, over);
      for (const f of oldest) d.remove.push(`${cc.MinidumpDir.replace(/[\\/]+$/, '')}\\${f.name}`);
      d.notes.push(`MinidumpsCount=${cc.MinidumpsCount}: removed the ${over} oldest small dump(s)`);
    }
    return d;
  }

  if (fs.dumpFileExists && cc.Overwrite === 0) {
    d.notes.push(`${cc.DumpFile} exists and Overwrite=0: the existing dump is kept, the new one is not saved`);
    return d;
  }
  const firstPage = plan.dumpType === 1 ? 0x2000 : bitmapFirstPage(bitmapBits(m.pfnCount));
  if (variety === 'complete') {
    if (pf.effectiveBytes < m.ramBytes + COMPLETE_HEADER_ALLOWANCE) {
      pf.sufficient = false;
      d.notes.push(`a complete dump needs a page file of RAM + 1 MiB (${m.ramBytes + COMPLETE_HEADER_ALLOWANCE} bytes); it has ${pf.effectiveBytes}: no dump written`);
      return d;
    }
    if (!pf.sufficient) {
      write.dropSecondaryData = true;
      write.expectedBytes = plan.bytes - m.secondaryBytes;
      d.notes.push('the page file holds RAM + 1 MiB but not the secondary data: the dump is written without it');
    }
  } else if (!pf.sufficient) {
    const pages = Math.floor((pf.effectiveBytes - firstPage) / 4096);
    const total = Object.values(plan.pages).reduce((s, n) => s + n, 0);
    if (pages <= 0) {
      d.notes.push(`page file of ${pf.effectiveBytes} bytes cannot hold even the dump header: no dump written`);
      return growIfAutomatic(d, cc, m, variety);
    }
    write.maxPages = Math.min(pages, total);
    write.dropSecondaryData = true;
    write.attributes |= ATTR_INSUFFICIENT_DUMPFILE_SIZE;
    write.expectedBytes = firstPage + write.maxPages * 4096;
    d.notes.push(`page file too small (${pf.effectiveBytes} < ${pf.requiredBytes} bytes): dump truncated to ${write.maxPages} of ${total} pages, InsufficientDumpfileSize set`);
  }
  if (cc.DiskFreeBytes !== undefined && cc.DiskFreeBytes < write.expectedBytes) {
    d.notes.push(`only ${cc.DiskFreeBytes} bytes free for ${cc.DumpFile}: the dump cannot be saved`);
    return growIfAutomatic(d, cc, m, variety);
  }
  d.write = write;
  if (cc.AlwaysKeepMemoryDump !== 1 && m.productType === 1 && cc.DiskFreeBytes !== undefined && cc.DiskFreeBytes - write.expectedBytes < LOW_DISK_BYTES) {
    d.deletedAtReboot = true;
    d.notes.push('client Windows with under 25 GB free and AlwaysKeepMemoryDump=0: MEMORY.DMP is deleted at the next boot');
  }
  return growIfAutomatic(d, cc, m, variety);
}

function growIfAutomatic(d: CrashDecision, cc: CrashControl, m: CrashMachine, variety: VarietyName): CrashDecision {
  const pf = d.pageFile;
  if (variety === 'automatic' && !pf.sufficient) {
    if (cc.PageFileSystemManaged) {
      pf.action = 'grown-to-ram';
      pf.newSizeBytes = Math.max(m.ramBytes, pf.configuredBytes);
      d.registry.LastCrashTime = hex(m.systemTime);
      d.notes.push(`automatic dump: the system-managed page file grows to at least RAM (${pf.newSizeBytes} bytes) at the next boot, for four weeks (LastCrashTime recorded)`);
    } else {
      d.notes.push('automatic dump with a fixed-size page file: Windows cannot grow it');
    }
  }
  return d;
}
