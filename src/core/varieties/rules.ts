import { DumpError } from '../errors.js';
import { CLASS_CODE, PAGE_CLASSES, classesInGroup, type PageClass } from './page-class.js';

/**
 * The dump varieties as data. Each variety is one declarative rule set: which page classes it
 * keeps, which DumpType and header it is written with, and what it needs from the page file.
 * The writer, the converter, `plan`, `crash` and `live` all read these tables; nothing else
 * decides what a variety contains.
 */
export const VARIETY_NAMES = ['complete', 'active', 'kernel', 'automatic', 'small', 'live-full', 'live-kernel-stacks'] as const;
export type VarietyName = (typeof VARIETY_NAMES)[number];

/** DUMP_FILE_ATTRIBUTES bits (header 0x1050). */
export const ATTR_INSUFFICIENT_DUMPFILE_SIZE = 1 << 2;
export const ATTR_LIVE_DUMP_GENERATED = 1 << 4;
export const ATTR_DUMP_IS_GENERATED_OFFLINE = 1 << 5;
export const ATTR_FILTER_DUMP_FILE = 1 << 6;

/** LIVE_SYSTEM_DUMP and Task Manager's first parameter, "Taskmgr" as a little-endian u64. */
export const BUGCHECK_LIVE_SYSTEM_DUMP = 0x161;
export const TASKMGR_P1 = 0x005461736b6d6772n;

export type PageFileRule =
  /** RAM + 1 MiB of header + the secondary data (at most 256 MiB): the complete-dump rule. */
  | { kind: 'ram-plus-header' }
  /** Must hold the dump itself (header, bitmap, pages, secondary data). */
  | { kind: 'dump-size' }
  /** Kernel dump size, and Windows grows a system-managed page file to at least RAM after a short one. */
  | { kind: 'automatic' }
  /** A fixed minimum (the small dump's 2 MiB on the boot volume). */
  | { kind: 'fixed'; bytes: number }
  /** Written by a running system into a file, not through the page file. */
  | { kind: 'none' };

export interface Variety {
  readonly name: VarietyName;
  readonly description: string;
  /** DUMP_TYPE_*: 1 full (runs), 4 triage, 5 bitmap full, 6 bitmap kernel. */
  readonly dumpType: 1 | 4 | 5 | 6;
  readonly bitmapSignature?: 'SDMP' | 'FDMP';
  /** Page classes kept (empty for the small dump, which keeps structures, not pages). */
  readonly include: readonly PageClass[];
  /** Attribute bits set in the header. */
  readonly attributes: number;
  /** Overrides the machine's bug check (live dumps). */
  readonly bugCheck?: { code: number; parameters: readonly [bigint, bigint, bigint, bigint] };
  readonly pageFile: PageFileRule;
  /**
   * Containment order for convert: a dump can become any variety of lower rank whose pages are a
   * subset of its own; never one of higher rank ("growing"). complete 50 > active 40 >
   * kernel/automatic/live-full 30 > live-kernel-stacks 20 > small 10.
   */
  readonly rank: number;
  /** Windows' size promise for the small dump, checked by tests: 64 KiB..1 MiB. */
  readonly maxBytes?: number;
}

const KERNEL = classesInGroup('kernel');
const USER = classesInGroup('user');
const PAGEFILE_BACKED_LISTS: PageClass[] = ['standby-pagefile', 'modified-pagefile', 'transition-pagefile'];
const ALL_RAM: PageClass[] = [...PAGE_CLASSES];

export interface LiveOptions {
  hypervisorPages: 'none' | 'essential' | 'all';
  userPages: boolean;
}

export const DEFAULT_LIVE_OPTIONS: LiveOptions = { hypervisorPages: 'none', userPages: false };

function liveFull(o: LiveOptions): Variety {
  const hv: PageClass[] =
    o.hypervisorPages === 'all' ? ['hypervisor-essential', 'hypervisor-nonessential'] : o.hypervisorPages === 'essential' ? ['hypervisor-essential'] : [];
  return {
    name: 'live-full',
    description: 'Task Manager "Full live kernel memory dump": active kernel memory, optionally hypervisor and user pages',
    // Without user pages it is a kernel dump (type 6, as Task Manager's full live dumps are). With
    // them it holds user address space too, so it is written as a bitmap full dump (type 5): a reader
    // that sees type 6 rightly concludes "only kernel address space is available".
    dumpType: o.userPages ? 5 : 6,
    bitmapSignature: o.userPages ? 'FDMP' : 'SDMP',
    include: [...KERNEL, ...hv, ...(o.userPages ? USER : [])],
    attributes: ATTR_LIVE_DUMP_GENERATED,
    bugCheck: { code: BUGCHECK_LIVE_SYSTEM_DUMP, parameters: [TASKMGR_P1, 0n, 0n, 0n] },
    pageFile: { kind: 'none' },
    rank: 30,
  };
}

const TABLE: Readonly<Record<Exclude<VarietyName, 'live-full'>, Variety>> = {
  complete: {
    name: 'complete',
    description: 'Complete memory dump: all physical memory',
    dumpType: 5,
    bitmapSignature: 'FDMP',
    include: ALL_RAM,
    attributes: 0,
    pageFile: { kind: 'ram-plus-header' },
    rank: 50,
  },
  active: {
    name: 'active',
    description:
      'Active memory dump: kernel and user pages, page-file-backed standby/modified/transition pages, essential hypervisor pages; no free/zeroed, file cache or guest VM pages',
    dumpType: 5,
    bitmapSignature: 'FDMP',
    include: [...KERNEL, ...USER, ...PAGEFILE_BACKED_LISTS, 'hypervisor-essential'],
    attributes: ATTR_FILTER_DUMP_FILE,
    pageFile: { kind: 'dump-size' },
    rank: 40,
  },
  kernel: {
    name: 'kernel',
    description: 'Kernel memory dump: kernel pages only (no user pages, no unallocated memory)',
    dumpType: 6,
    bitmapSignature: 'SDMP',
    include: KERNEL,
    attributes: 0,
    pageFile: { kind: 'dump-size' },
    rank: 30,
  },
  automatic: {
    name: 'automatic',
    description: 'Automatic memory dump: a kernel dump; Windows grows a system-managed page file to RAM size when it was too small',
    dumpType: 6,
    bitmapSignature: 'SDMP',
    include: KERNEL,
    attributes: 0,
    pageFile: { kind: 'automatic' },
    rank: 30,
  },
  small: {
    name: 'small',
    description: 'Small memory dump: bug check, processor context, crashed thread and process, its kernel stack, loaded and unloaded drivers, secondary data',
    dumpType: 4,
    include: [],
    attributes: 0,
    pageFile: { kind: 'fixed', bytes: 2 * 1024 * 1024 },
    rank: 10,
    maxBytes: 1024 * 1024,
  },
  'live-kernel-stacks': {
    name: 'live-kernel-stacks',
    description: 'Task Manager "Kernel stacks memory dump": processor states and every kernel thread stack (plus what reads them: kernel page tables, ntoskrnl and HAL)',
    dumpType: 6,
    bitmapSignature: 'SDMP',
    include: ['kernel-stack', 'processor-state', 'kernel-page-table', 'kernel-image', 'hal'],
    attributes: ATTR_LIVE_DUMP_GENERATED,
    bugCheck: { code: BUGCHECK_LIVE_SYSTEM_DUMP, parameters: [TASKMGR_P1, 0n, 0n, 0n] },
    pageFile: { kind: 'none' },
    rank: 20,
  },
};

export function isVarietyName(s: string): s is VarietyName {
  return (VARIETY_NAMES as readonly string[]).includes(s);
}

/** The rule set of a variety (live-full depends on the Task Manager options). */
export function variety(name: VarietyName, live: LiveOptions = DEFAULT_LIVE_OPTIONS): Variety {
  if (name === 'live-full') return liveFull(live);
  const v = TABLE[name];
  if (!v) throw new DumpError('INVALID_ARGUMENT', `unknown dump variety ${JSON.stringify(name)}; known: ${VARIETY_NAMES.join(', ')}`);
  return v;
}

export function parseVariety(s: string): VarietyName {
  if (!isVarietyName(s)) throw new DumpError('INVALID_ARGUMENT', `unknown dump variety ${JSON.stringify(s)}; known: ${VARIETY_NAMES.join(', ')}`);
  return s;
}

/** A 256-entry lookup table: keep[classByte] === 1 when the variety keeps pages of that class. */
export function inclusionTable(v: Variety): Uint8Array {
  const t = new Uint8Array(256);
  for (const c of v.include) t[CLASS_CODE[c]] = 1;
  return t;
}

/**
 * Page classes a variety with `from` pages can still deliver for `to`: refuses when `to` would
 * need classes `from` does not keep (growing a dump), with the classes that are missing.
 */
export function checkDerivable(from: Variety, to: Variety): void {
  if (to.rank > from.rank || (to.dumpType !== 4 && to.include.some((c) => !from.include.includes(c)))) {
    const missing = to.include.filter((c) => !from.include.includes(c) && c !== 'unknown');
    const shown = missing.length > 4 ? `${missing.slice(0, 4).join(', ')} and ${missing.length - 4} more classes of` : missing.join(', ');
    throw new DumpError(
      'REFUSED',
      `cannot convert a ${from.name} dump to ${to.name}: that would grow the dump` + (missing.length ? ` (the source has no ${shown} pages)` : ''),
    );
  }
}
