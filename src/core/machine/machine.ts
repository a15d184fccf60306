import { DumpError } from '../errors.js';
import { CLASS_CODE, NOT_RAM, PAGE_CLASSES, type PageClass } from '../varieties/page-class.js';
import type { MachineState } from './builder-state.js';
import { writeDebuggerData } from './debugger-data.js';
import { KERNEL_BASE_REGION, NTOS_DATA_RVA, PFN_DB_BASE, POOL_BASE, STACK_BASE, SYSTEM_PML4_PFN, USED_KERNEL_PML4 } from './layout.js';
import type { MachineConfig, ModelModule, ModelProcess, ModelProcessor, ModelThread, RamRun } from './model-types.js';
import { buildModuleList, mapKernelImages } from './modules.js';
import { AddressSpace, KERNEL_DATA, PAGE } from './paging.js';
import { buildProcesses } from './processes.js';
import { buildProcessors } from './processors.js';
import { PROFILE_NAMES, profile as getProfile, type Profile } from './profiles.js';
import { assignClasses, ramLayout } from './ram.js';
import { Rng, hash32 } from './rng.js';
import { mapPoolRest, mapUserMemory } from './user-memory.js';

export type { MachineConfig, ModelModule, ModelProcess, ModelProcessor, ModelThread, RamRun } from './model-types.js';
export { ramLayout } from './ram.js';
export { SYSTEM_PML4_PFN } from './layout.js';

/**
 * A modeled x64 Windows machine at the moment of a bug check: physical RAM with holes, a page
 * class for every PFN, real page tables, and the kernel structures a debugger walks (KDBG,
 * PsLoadedModuleList with an MZ kernel image first, processes with their own table bases,
 * threads with kernel stacks, KPRCBs with contexts, KiProcessorBlock).
 *
 * Only structural pages are built in memory. Every other page's bytes are generated on demand
 * from (seed, pfn, class), so a 16 GiB machine costs tens of MiB, not 16 GiB.
 *
 * This class holds the state and the memory primitives; what is built lives in one file each:
 * ram.ts (RAM runs, page classes), modules.ts (images, PsLoadedModuleList), processes.ts and
 * threads.ts, user-memory.ts (user spaces and the rest of pool), processors.ts (KPRCBs, bug
 * check, contexts), debugger-data.ts (KDBG). Members marked "builder state" are for those files;
 * the builders take the `MachineState` interface (builder-state.ts), which this class implements.
 */
export const MIN_RAM = 256 * 1024 * 1024;
/** 256 GiB: page tables are built explicitly (about 1/512 of RAM), so bigger models cost too much. */
export const MAX_RAM = 256 * 1024 * 1024 * 1024;
const MAX_VMS = 64;

const POOL_BYTES = 1 << 20;

export class Machine implements MachineState {
  readonly profile: Profile;
  readonly seed: number;
  readonly vms: number;
  readonly ramRuns: RamRun[];
  readonly ramPages: number;
  /** Number of PFNs covered (highest RAM PFN + 1). */
  readonly pfnCount: number;
  /** One class byte per PFN (NOT_RAM for holes). */
  readonly classes: Uint8Array;
  readonly modules: ModelModule[] = [];
  readonly processes: ModelProcess[] = [];
  readonly processors: ModelProcessor[] = [];
  readonly unloadedDrivers: { name: string; start: bigint; end: bigint }[] = [];

  dtb = 0n;
  kernBase = 0n;
  kdDebuggerDataBlock = 0n;
  psLoadedModuleList = 0n;
  psActiveProcessHead = 0n;
  pfnDataBase = 0n;
  kiProcessorBlock = 0n;
  pteBase = 0n;
  selfMapIndex = 0;
  crashCpu = 0;
  crashProcess!: ModelProcess;
  crashThread!: ModelThread;
  bugCheck!: { code: number; parameters: [bigint, bigint, bigint, bigint] };
  /** FILETIME (100 ns since 1601) of the crash, and uptime in 100 ns. */
  systemTime = 0n;
  systemUpTime = 0n;

  /** Builder state. */
  readonly pages = new Map<number, Uint8Array>();
  /** Builder state. */
  readonly rng: Rng;
  private readonly pool: Uint8Array;
  /** Builder state. */
  buckets = new Map<number, { arr: Int32Array; lo: number; hi: number }>();
  /** Builder state. */
  system!: AddressSpace;
  /** Builder state. */
  poolCursor = POOL_BASE;
  /** Builder state. */
  poolMappedEnd = POOL_BASE;
  /** Builder state. */
  stackCursor = STACK_BASE;
  private nextId = 8;

  constructor(readonly config: MachineConfig) {
    const ram = config.ramBytes;
    if (!Number.isSafeInteger(ram) || ram < MIN_RAM || ram > MAX_RAM || ram % (1024 * 1024) !== 0) {
      throw new DumpError('INVALID_ARGUMENT', `--ram must be a whole number of MiB between 256 MiB and 256 GiB (got ${ram} bytes)`);
    }
    if (!(PROFILE_NAMES as readonly string[]).includes(config.profile)) getProfile(config.profile);
    this.profile = getProfile(config.profile);
    this.seed = (config.seed ?? 1) >>> 0;
    this.vms = config.vms ?? this.profile.defaultVms;
    if (!Number.isInteger(this.vms) || this.vms < 0 || this.vms > MAX_VMS) {
      throw new DumpError('INVALID_ARGUMENT', `--vms must be 0..${MAX_VMS} (got ${config.vms})`);
    }
    this.rng = new Rng(this.seed);
    this.pool = new Uint8Array(POOL_BYTES);
    new Rng(this.seed ^ 0xc0ffee).fill(this.pool);

    this.ramPages = ram / PAGE;
    this.ramRuns = ramLayout(this.ramPages);
    const last = this.ramRuns[this.ramRuns.length - 1]!;
    this.pfnCount = last.basePage + last.pageCount;
    this.classes = new Uint8Array(this.pfnCount).fill(NOT_RAM);
    assignClasses(this);
    buildMachine(this);
    this.buckets = new Map(); // allocation is over: drop the bucket arrays
  }

  // ---- PageStore -------------------------------------------------------------------------
  get(pfn: number): Uint8Array | undefined {
    return this.pages.get(pfn);
  }
  set(pfn: number, page: Uint8Array): void {
    this.pages.set(pfn, page);
  }
  /** Number of explicitly built pages (page tables and structures). */
  get structuralPages(): number {
    return this.pages.size;
  }

  classOf(pfn: number): PageClass | 'not-ram' {
    const c = this.classes[pfn];
    return c === undefined || c === NOT_RAM ? 'not-ram' : PAGE_CLASSES[c]!;
  }

  // ---- page contents ---------------------------------------------------------------------
  /** Fills 4096 bytes with the page's contents: built bytes, or generated from (seed, pfn, class). */
  readPage(pfn: number, into: Uint8Array): void {
    const built = this.pages.get(pfn);
    if (built) {
      into.set(built);
      return;
    }
    this.generatePage(pfn, this.classes[pfn] ?? NOT_RAM, into);
  }

  /** Fills count×4096 bytes for consecutive PFNs. */
  readPages(firstPfn: number, count: number, into: Uint8Array): void {
    for (let i = 0; i < count; i++) this.readPage(firstPfn + i, into.subarray(i * PAGE, (i + 1) * PAGE));
  }

  generatePage(pfn: number, cls: number, into: Uint8Array): void {
    if (cls === CLASS_CODE.zeroed || cls === NOT_RAM) {
      into.fill(0, 0, PAGE);
      return;
    }
    const h = hash32(this.seed, pfn, cls);
    const off = (h % ((POOL_BYTES - PAGE) / 16)) * 16;
    into.set(this.pool.subarray(off, off + PAGE));
    if (cls === CLASS_CODE.free) return; // stale bytes, no marker
    // A marker a test can check against the classification: 'dkpg', class, pfn, seed.
    into[0] = 0x64;
    into[1] = 0x6b;
    into[2] = 0x70;
    into[3] = 0x67;
    into[4] = cls;
    into[5] = 0;
    into[6] = 0;
    into[7] = 0;
    const v = new DataView(into.buffer, into.byteOffset, 16);
    v.setUint32(8, pfn, true);
    v.setUint32(12, this.seed, true);
  }

  // ---- classification --------------------------------------------------------------------
  hypervisorRunning(): boolean {
    return this.vms > 0 || this.profile.name === 'hyperv-host';
  }

  /** Takes PFNs out of a class bucket and gives them a new class (front or back of the bucket). */
  take(from: PageClass, n: number, as: PageClass, back = false): number[] {
    const b = this.buckets.get(CLASS_CODE[from]);
    if (!b || b.hi - b.lo < n) {
      throw new DumpError(
        'INVALID_ARGUMENT',
        `a ${this.profile.name} machine with ${this.config.ramBytes / 1048576} MiB has too few ${from} pages for its structures; give it more --ram`,
      );
    }
    const out: number[] = [];
    for (let i = 0; i < n; i++) {
      const pfn = back ? b.arr[--b.hi]! : b.arr[b.lo++]!;
      this.classes[pfn] = CLASS_CODE[as];
      out.push(pfn);
    }
    return out;
  }

  remaining(from: PageClass): number[] {
    const b = this.buckets.get(CLASS_CODE[from])!;
    const out = Array.from(b.arr.subarray(b.lo, b.hi));
    b.lo = b.hi;
    return out;
  }

  // ---- virtual memory helpers ------------------------------------------------------------
  /** The built page behind a kernel VA (materialising generated contents if needed). */
  pageAt(va: bigint, space: AddressSpace = this.system): Uint8Array {
    const pfn = space.translatePfn(va);
    if (pfn === undefined) throw new Error(`model: ${va.toString(16)} is not mapped`);
    let page = this.pages.get(pfn);
    if (!page) {
      page = new Uint8Array(PAGE);
      this.generatePage(pfn, this.classes[pfn]!, page);
      this.pages.set(pfn, page);
    }
    return page;
  }

  writeBytes(va: bigint, bytes: Uint8Array, space?: AddressSpace): void {
    let done = 0;
    while (done < bytes.length) {
      const cur = va + BigInt(done);
      const off = Number(cur & 0xfffn);
      const n = Math.min(PAGE - off, bytes.length - done);
      this.pageAt(cur, space).set(bytes.subarray(done, done + n), off);
      done += n;
    }
  }
  w64(va: bigint, value: bigint, space?: AddressSpace): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.writeBytes(va, b, space);
  }
  w32(va: bigint, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.writeBytes(va, b);
  }
  w16(va: bigint, value: number): void {
    this.writeBytes(va, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff));
  }

  /** Allocates zeroed kernel pool (mapped, built pages) and returns its VA. */
  poolAlloc(size: number, align = 16): bigint {
    const a = BigInt(align);
    let va = (this.poolCursor + a - 1n) & ~(a - 1n);
    const end = va + BigInt(size);
    while (this.poolMappedEnd < end) {
      const [pfn] = this.take('kernel-pool', 1, 'kernel-pool');
      this.pages.set(pfn!, new Uint8Array(PAGE));
      this.system.mapPages(this.poolMappedEnd, [pfn!], KERNEL_DATA);
      this.poolMappedEnd += BigInt(PAGE);
    }
    this.poolCursor = end;
    return va;
  }

  unicodeString(at: bigint, text: string): void {
    const buf = this.poolAlloc(text.length * 2 + 2, 8);
    const bytes = new Uint8Array(text.length * 2);
    for (let i = 0; i < text.length; i++) {
      bytes[i * 2] = text.charCodeAt(i) & 0xff;
      bytes[i * 2 + 1] = text.charCodeAt(i) >>> 8;
    }
    this.writeBytes(buf, bytes);
    this.w16(at, text.length * 2);
    this.w16(at + 2n, text.length * 2 + 2);
    this.w64(at + 8n, buf);
  }

  listInit(head: bigint): void {
    this.w64(head, head);
    this.w64(head + 8n, head);
  }
  /** Inserts `entry` at the tail of the doubly linked list at `head` (LIST_ENTRY64). */
  listAppend(head: bigint, entry: bigint): void {
    const blink = this.r64(head + 8n);
    this.w64(entry, head);
    this.w64(entry + 8n, blink);
    this.w64(blink, entry);
    this.w64(head + 8n, entry);
  }
  r64(va: bigint, space?: AddressSpace): bigint {
    const off = Number(va & 0xfffn);
    if (off > PAGE - 8) throw new Error('model: unaligned read across a page');
    const p = this.pageAt(va, space);
    return new DataView(p.buffer, p.byteOffset).getBigUint64(off, true);
  }

  /** A new process or thread id (multiples of 4, as Windows hands them out). */
  newId(): number {
    const id = this.nextId;
    this.nextId += 4 * this.rng.int(1, 40);
    return id;
  }

  /** Pages left in a class's allocation bucket. */
  bucketSize(c: PageClass): number {
    const b = this.buckets.get(CLASS_CODE[c]);
    return b ? b.hi - b.lo : 0;
  }

  /** The crashing processor's context (the header's ContextRecord). */
  get crashContext(): Uint8Array {
    return this.processors[this.crashCpu]!.context;
  }

  /** Page counts per class. */
  classCounts(): Record<PageClass, number> {
    const counts = new Float64Array(256);
    for (let i = 0; i < this.classes.length; i++) counts[this.classes[i]!]!++;
    const out = {} as Record<PageClass, number>;
    PAGE_CLASSES.forEach((c, i) => (out[c] = counts[i]!));
    return out;
  }
}

/** Builds the machine's structures in a fixed order (the seed's random draws depend on it). */
function buildMachine(m: Machine): void {
  const rng = m.rng;
  // System address space; its tables come from the back of the pool bucket.
  m.system = new AddressSpace(SYSTEM_PML4_PFN, m, () => m.take('kernel-pool', 1, 'kernel-page-table', true)[0]!);
  m.dtb = BigInt(SYSTEM_PML4_PFN * PAGE);
  do m.selfMapIndex = rng.int(0x100, 0x1fe);
  while (USED_KERNEL_PML4.has(m.selfMapIndex));
  m.system.setSelfMap(m.selfMapIndex);
  m.pteBase = 0xffff000000000000n | (BigInt(m.selfMapIndex) << 39n);

  // ntoskrnl.exe, hal.dll and drivers.
  m.kernBase = KERNEL_BASE_REGION + BigInt(0x4000000 + rng.int(0, 0x3ff) * 0x200000);
  const kernel = mapKernelImages(m);
  const data = m.kernBase + BigInt(NTOS_DATA_RVA);
  m.kdDebuggerDataBlock = data + 0x100n;
  m.psLoadedModuleList = data + 0x500n;
  m.psActiveProcessHead = data + 0x510n;
  m.pfnDataBase = data + 0x520n; // nt!MmPfnDatabase
  const mmUnloadedDrivers = data + 0x528n;
  const mmLastUnloadedDriver = data + 0x530n;
  m.kiProcessorBlock = data + 0x600n; // up to 256 KPRCB pointers
  m.listInit(m.psLoadedModuleList);
  m.listInit(m.psActiveProcessHead);
  m.w64(m.pfnDataBase, PFN_DB_BASE);
  buildModuleList(m, kernel, mmUnloadedDrivers, mmLastUnloadedDriver);

  // Processes, each with threads and kernel stacks. The System process uses the system space.
  const userSpaces = buildProcesses(m);
  // User memory is spread over the processes (not System).
  mapUserMemory(m, userSpaces);
  // Processors: a KPCR+KPRCB each (processor-state pages), KiProcessorBlock, contexts.
  buildProcessors(m);
  writeDebuggerData(m, mmUnloadedDrivers, mmLastUnloadedDriver);

  // What is left of the pool is mapped after the structures, so every kernel page is reachable.
  // mapPages may take table pages from the same bucket: it is empty now, so reserve them first.
  mapPoolRest(m, m.remaining('kernel-pool'));
  // Every process shares the kernel half of the system PML4 (self-map excepted).
  for (const { space } of userSpaces) {
    space.copyEntries(m.system, 0x100, 0x200);
    space.setSelfMap(m.selfMapIndex);
  }

  // Time: a boot some days before the crash.
  const day = 864_000_000_000n;
  m.systemTime = 0x01dc0000_00000000n + BigInt(rng.int(0, 300)) * day + BigInt(rng.u32()) * 1000n;
  m.systemUpTime = BigInt(rng.int(600, 10 * 86400)) * 10_000_000n + BigInt(rng.int(0, 9_999_999));
}
