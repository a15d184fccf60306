import { DumpError } from '../errors.js';
import { CLASS_CODE, NOT_RAM, PAGE_CLASSES, type PageClass } from '../varieties/page-class.js';
import { AMD64_CONTEXT, makeAmd64Context } from '../kernel/context.js';
import { AddressSpace, KERNEL_DATA, PAGE, PTE_P, PTE_RW, PTE_TRANSITION, PTE_US, USER_DATA, type PageStore } from './paging.js';
import { peHeaderPage } from './pe-image.js';
import { PROFILE_NAMES, profile as getProfile, type Profile, type ProfileName } from './profiles.js';
import { EPROCESS, ETHREAD, KDBG, KDBG_MmLastUnloadedDriver, KDBG_OWNER_TAG, KDBG_SIZE, KPCR, KPRCB, LDR, UNLOADED_DRIVER_SIZE } from './nt-layout.js';
import { Rng, hash32 } from './rng.js';

/**
 * A modeled x64 Windows machine at the moment of a bug check: physical RAM with holes, a page
 * class for every PFN, real page tables, and the kernel structures a debugger walks (KDBG,
 * PsLoadedModuleList with an MZ kernel image first, processes with their own table bases,
 * threads with kernel stacks, KPRCBs with contexts, KiProcessorBlock).
 *
 * Only structural pages are built in memory. Every other page's bytes are generated on demand
 * from (seed, pfn, class), so a 16 GiB machine costs tens of MiB, not 16 GiB.
 */
export interface MachineConfig {
  ramBytes: number;
  profile: ProfileName;
  vms?: number;
  seed?: number;
}

export interface RamRun {
  basePage: number;
  pageCount: number;
}

export interface ModelModule {
  name: string;
  path: string;
  base: bigint;
  size: number;
  entry: bigint;
  ldrEntry: bigint;
}

export interface ModelThread {
  tid: number;
  ethread: bigint;
  stackBase: bigint;
  stackLimit: bigint;
  kernelStack: bigint;
}

export interface ModelProcess {
  pid: number;
  name: string;
  eprocess: bigint;
  dtb: bigint;
  threads: ModelThread[];
}

export interface ModelProcessor {
  index: number;
  kpcr: bigint;
  prcb: bigint;
  currentThread: bigint;
  context: Uint8Array;
}

export const MIN_RAM = 256 * 1024 * 1024;
/** 256 GiB: page tables are built explicitly (about 1/512 of RAM), so bigger models cost too much. */
export const MAX_RAM = 256 * 1024 * 1024 * 1024;
const MAX_VMS = 64;

const POOL_BYTES = 1 << 20;
/** Software PTE protection field (bits 5..9) = MM_READWRITE (4). */
const MM_READWRITE_PROTECTION = 4 << 5;
/** Physical window where Volatility looks for the system PML4 (0x150000–0x2A0000). */
export const SYSTEM_PML4_PFN = 0x1ad;

const KERNEL_BASE_REGION = 0xfffff80000000000n;
const POOL_BASE = 0xffffa80000000000n;
const STACK_BASE = 0xffffb00000000000n;
const PRCB_BASE = 0xffffb80000000000n;
const PFN_DB_BASE = 0xffffc00000000000n; // value of nt!MmPfnDatabase (the database itself is not modeled)
const USED_KERNEL_PML4 = new Set([0x150, 0x160, 0x170, 0x180, 0x1f0]);

const NTOS_SIZE = 0xa00000;
const NTOS_DATA_RVA = 0x800000;
const HAL_SIZE = 0x60000;
const STACK_PAGES = 6;

const DRIVERS = [
  'kdcom.dll', 'mcupdate_GenuineIntel.dll', 'CLFS.SYS', 'tm.sys', 'PSHED.dll', 'BOOTVID.dll', 'FLTMGR.SYS', 'msrpc.sys',
  'ksecdd.sys', 'clipsp.sys', 'cmimcext.sys', 'werkernel.sys', 'ntosext.sys', 'CI.dll', 'cng.sys', 'Wdf01000.sys',
  'WDFLDR.SYS', 'acpiex.sys', 'ACPI.sys', 'WMILIB.SYS', 'intelpep.sys', 'pcw.sys', 'msisadrv.sys', 'pci.sys',
  'vdrvroot.sys', 'pdc.sys', 'CEA.sys', 'partmgr.sys', 'spaceport.sys', 'volmgr.sys', 'volmgrx.sys', 'mountmgr.sys',
  'storahci.sys', 'storport.sys', 'fileinfo.sys', 'Wof.sys', 'Ntfs.sys', 'Fs_Rec.sys', 'ndis.sys', 'NETIO.SYS',
  'ksecpkg.sys', 'tcpip.sys', 'fwpkclnt.sys', 'volsnap.sys', 'disk.sys', 'CLASSPNP.SYS', 'crashdmp.sys', 'intelppm.sys',
  'dxgkrnl.sys', 'watchdog.sys', 'afd.sys', 'win32k.sys', 'win32kbase.sys', 'win32kfull.sys', 'dump_storport.sys', 'dump_storahci.sys',
];
const HYPERV_DRIVERS = ['vmbusr.sys', 'vid.sys', 'hvsocket.sys', 'winhvr.sys', 'vmswitch.sys', 'storvsp.sys'];
const UNLOADED = ['dam.sys', 'WdBoot.sys', 'dump_storport.sys'];

const PROCESS_NAMES = [
  'smss.exe', 'csrss.exe', 'wininit.exe', 'services.exe', 'lsass.exe', 'winlogon.exe', 'fontdrvhost.exe', 'dwm.exe', 'spoolsv.exe',
  'MsMpEng.exe', 'explorer.exe', 'SearchHost.exe', 'RuntimeBroker.exe', 'taskhostw.exe', 'sihost.exe', 'ctfmon.exe', 'conhost.exe',
];

export class Machine implements PageStore {
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

  private readonly pages = new Map<number, Uint8Array>();
  private readonly rng: Rng;
  private readonly pool: Uint8Array;
  private buckets = new Map<number, { arr: Int32Array; lo: number; hi: number }>();
  private system!: AddressSpace;
  private poolCursor = POOL_BASE;
  private poolMappedEnd = POOL_BASE;
  private stackCursor = STACK_BASE;
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
    this.assignClasses();
    this.build();
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

  private generatePage(pfn: number, cls: number, into: Uint8Array): void {
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
  private hypervisorRunning(): boolean {
    return this.vms > 0 || this.profile.name === 'hyperv-host';
  }

  private assignClasses(): void {
    const p = this.profile;
    const weights = Object.entries(p.weights) as [PageClass, number][];
    const hv = this.hypervisorRunning();
    const guestFrac = hv ? Math.min(p.guestCap, p.guestShare * this.vms) : 0;
    const hvNonEss = hv ? p.hypervisorNonessential : 0;
    const hvEss = hv ? p.hypervisorEssential : 0;
    // Kernel pool must hold the structures (images, stacks, tables, processor blocks): give it a floor.
    const hostPages = this.ramPages * (1 - guestFrac - hvNonEss - hvEss);
    const need = structuralEstimate(p, this.hypervisorRunning());
    const rawTotal = weights.reduce((s, [, w]) => s + w, 0);
    const poolIdx = weights.findIndex(([c]) => c === 'kernel-pool');
    const wp = weights[poolIdx]![1];
    const f = Math.min(0.9, Math.max(wp / rawTotal, (need * 1.25) / Math.max(1, hostPages)));
    weights[poolIdx] = ['kernel-pool', (f * (rawTotal - wp)) / (1 - f)];
    const total = weights.reduce((s, [, w]) => s + w, 0);
    // Cumulative thresholds on a 32-bit hash.
    const cut: number[] = [];
    let acc = 0;
    for (const [, w] of weights) {
      acc += w;
      cut.push(Math.floor((acc / total) * 4294967295));
    }
    const codes = weights.map(([c]) => CLASS_CODE[c]);
    const cls = this.classes;
    for (const run of this.ramRuns) {
      const end = run.basePage + run.pageCount;
      for (let pfn = run.basePage; pfn < end; pfn++) {
        // Guest VM memory and the hypervisor's pages come in 2 MiB chunks (below 16 MiB stays host).
        if (pfn >= 0x1000) {
          const r = hash32(this.seed, pfn >>> 9, 0x6e57) / 4294967296;
          if (r < guestFrac) {
            cls[pfn] = CLASS_CODE['guest-vm'];
            continue;
          }
          if (r < guestFrac + hvNonEss) {
            cls[pfn] = CLASS_CODE['hypervisor-nonessential'];
            continue;
          }
          if (r < guestFrac + hvNonEss + hvEss) {
            cls[pfn] = CLASS_CODE['hypervisor-essential'];
            continue;
          }
        }
        const h = hash32(this.seed, pfn, 0xc1a55);
        let k = 0;
        while (k < cut.length - 1 && h > cut[k]!) k++;
        cls[pfn] = codes[k]!;
      }
    }
    cls[SYSTEM_PML4_PFN] = CLASS_CODE['kernel-page-table'];
    // Buckets of PFNs per class, ascending, for structural allocation.
    const counts = new Int32Array(256);
    for (let i = 0; i < cls.length; i++) counts[cls[i]!]!++;
    const arrays = new Map<number, { arr: Int32Array; lo: number; hi: number }>();
    for (const code of [CLASS_CODE['kernel-pool'], CLASS_CODE['user-private'], CLASS_CODE['user-image'], CLASS_CODE['user-shared'], CLASS_CODE['transition-pagefile']]) {
      arrays.set(code, { arr: new Int32Array(counts[code]!), lo: 0, hi: 0 });
    }
    for (let pfn = 0; pfn < cls.length; pfn++) {
      const b = arrays.get(cls[pfn]!);
      if (b) b.arr[b.hi++] = pfn;
    }
    this.buckets = arrays;
  }

  /** Takes PFNs out of a class bucket and gives them a new class (front or back of the bucket). */
  private take(from: PageClass, n: number, as: PageClass, back = false): number[] {
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

  private remaining(from: PageClass): number[] {
    const b = this.buckets.get(CLASS_CODE[from])!;
    const out = Array.from(b.arr.subarray(b.lo, b.hi));
    b.lo = b.hi;
    return out;
  }

  // ---- virtual memory helpers ------------------------------------------------------------
  /** The built page behind a kernel VA (materialising generated contents if needed). */
  private pageAt(va: bigint, space: AddressSpace = this.system): Uint8Array {
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

  private writeBytes(va: bigint, bytes: Uint8Array, space?: AddressSpace): void {
    let done = 0;
    while (done < bytes.length) {
      const cur = va + BigInt(done);
      const off = Number(cur & 0xfffn);
      const n = Math.min(PAGE - off, bytes.length - done);
      this.pageAt(cur, space).set(bytes.subarray(done, done + n), off);
      done += n;
    }
  }
  private w64(va: bigint, value: bigint, space?: AddressSpace): void {
    const b = new Uint8Array(8);
    new DataView(b.buffer).setBigUint64(0, BigInt.asUintN(64, value), true);
    this.writeBytes(va, b, space);
  }
  private w32(va: bigint, value: number): void {
    const b = new Uint8Array(4);
    new DataView(b.buffer).setUint32(0, value >>> 0, true);
    this.writeBytes(va, b);
  }
  private w16(va: bigint, value: number): void {
    this.writeBytes(va, Uint8Array.of(value & 0xff, (value >>> 8) & 0xff));
  }

  /** Allocates zeroed kernel pool (mapped, built pages) and returns its VA. */
  private poolAlloc(size: number, align = 16): bigint {
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

  private unicodeString(at: bigint, text: string): void {
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

  private listInit(head: bigint): void {
    this.w64(head, head);
    this.w64(head + 8n, head);
  }
  /** Inserts `entry` at the tail of the doubly linked list at `head` (LIST_ENTRY64). */
  private listAppend(head: bigint, entry: bigint): void {
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

  /** Maps a module image: first page a PE header, the rest generated with the module's class. */
  private mapImage(base: bigint, size: number, cls: PageClass, dataRva: number): bigint {
    const pages = size / PAGE;
    const pfns = this.take('kernel-pool', pages, cls);
    this.system.mapPages(base, pfns, KERNEL_DATA, false);
    const entryRva = 0x1000 + (hash32(this.seed, Number(base & 0xffffffn)) % Math.max(1, dataRva - 0x2000)) & ~0xf;
    this.pages.set(pfns[0]!, peHeaderPage(base, size, 0x5f000000 + (hash32(this.seed, pages) % 0x1000000), entryRva, dataRva));
    return base + BigInt(entryRva);
  }

  // ---- building --------------------------------------------------------------------------
  private build(): void {
    const rng = this.rng;
    const p = this.profile;
    // System address space; its tables come from the back of the pool bucket.
    this.system = new AddressSpace(SYSTEM_PML4_PFN, this, () => this.take('kernel-pool', 1, 'kernel-page-table', true)[0]!);
    this.dtb = BigInt(SYSTEM_PML4_PFN * PAGE);
    do this.selfMapIndex = rng.int(0x100, 0x1fe);
    while (USED_KERNEL_PML4.has(this.selfMapIndex));
    this.system.setSelfMap(this.selfMapIndex);
    this.pteBase = 0xffff000000000000n | (BigInt(this.selfMapIndex) << 39n);

    // ntoskrnl.exe, hal.dll and drivers.
    this.kernBase = KERNEL_BASE_REGION + BigInt(0x4000000 + rng.int(0, 0x3ff) * 0x200000);
    const ntEntry = this.mapImage(this.kernBase, NTOS_SIZE, 'kernel-image', NTOS_DATA_RVA);
    const halBase = this.kernBase + BigInt(NTOS_SIZE + 0x200000);
    const halEntry = this.mapImage(halBase, HAL_SIZE, 'hal', 0x40000);
    const data = this.kernBase + BigInt(NTOS_DATA_RVA);
    this.kdDebuggerDataBlock = data + 0x100n;
    this.psLoadedModuleList = data + 0x500n;
    this.psActiveProcessHead = data + 0x510n;
    this.pfnDataBase = data + 0x520n; // nt!MmPfnDatabase
    const mmUnloadedDrivers = data + 0x528n;
    const mmLastUnloadedDriver = data + 0x530n;
    this.kiProcessorBlock = data + 0x600n; // up to 256 KPRCB pointers
    this.listInit(this.psLoadedModuleList);
    this.listInit(this.psActiveProcessHead);
    this.w64(this.pfnDataBase, PFN_DB_BASE);

    const addModule = (name: string, path: string, base: bigint, size: number, entry: bigint) => {
      const ldr = this.poolAlloc(LDR.size);
      this.w64(ldr + BigInt(LDR.DllBase), base);
      this.w64(ldr + BigInt(LDR.EntryPoint), entry);
      this.w32(ldr + BigInt(LDR.SizeOfImage), size);
      this.unicodeString(ldr + BigInt(LDR.FullDllName), path);
      this.unicodeString(ldr + BigInt(LDR.BaseDllName), name);
      this.listAppend(this.psLoadedModuleList, ldr + BigInt(LDR.InLoadOrderLinksFlink));
      this.modules.push({ name, path, base, size, entry, ldrEntry: ldr });
    };
    addModule('ntoskrnl.exe', '\\SystemRoot\\system32\\ntoskrnl.exe', this.kernBase, NTOS_SIZE, ntEntry);
    addModule('hal.dll', '\\SystemRoot\\system32\\hal.dll', halBase, HAL_SIZE, halEntry);
    let driverBase = this.kernBase + 0x4000000n;
    const drivers = this.hypervisorRunning() ? [...DRIVERS, ...HYPERV_DRIVERS] : DRIVERS;
    for (const name of drivers) {
      const size = rng.int(4, 48) * 0x2000;
      const entry = this.mapImage(driverBase, size, 'driver', size - 0x2000);
      const path = name.toLowerCase().endsWith('.dll') ? `\\SystemRoot\\system32\\${name}` : `\\SystemRoot\\System32\\drivers\\${name}`;
      addModule(name, path, driverBase, size, entry);
      driverBase += BigInt(size + 0x10000);
    }

    // Unloaded drivers: nt!MmUnloadedDrivers points at an array, nt!MmLastUnloadedDriver is the count.
    const unloadedArray = this.poolAlloc(UNLOADED_DRIVER_SIZE * UNLOADED.length);
    UNLOADED.forEach((name, i) => {
      const e = unloadedArray + BigInt(i * UNLOADED_DRIVER_SIZE);
      const start = driverBase + BigInt(i) * 0x100000n;
      const end = start + BigInt(rng.int(4, 32) * 0x1000);
      this.unicodeString(e, name);
      this.w64(e + 0x10n, start);
      this.w64(e + 0x18n, end);
      this.w64(e + 0x20n, 0n);
      this.unloadedDrivers.push({ name, start, end });
    });
    this.w64(mmUnloadedDrivers, unloadedArray);
    this.w32(mmLastUnloadedDriver, UNLOADED.length);

    // Processes, each with threads and kernel stacks. The System process uses the system space.
    const names = ['System', 'Registry', ...PROCESS_NAMES];
    if (p.name === 'hyperv-host') names.push('vmms.exe', 'vmcompute.exe');
    for (let i = 0; i < this.vms; i++) names.push('vmwp.exe', 'vmmem');
    while (names.length < p.processes) names.push(rng.float() < 0.6 ? 'svchost.exe' : rng.pick(PROCESS_NAMES));
    const userSpaces: { proc: ModelProcess; space: AddressSpace }[] = [];
    for (const name of names) {
      const proc = this.createProcess(name, name === 'System' ? 4 : this.newId());
      if (proc.space !== this.system) userSpaces.push({ proc: proc.model, space: proc.space });
    }

    // User memory is spread over the processes (not System).
    this.mapUserMemory(userSpaces);

    // Processors: a KPCR+KPRCB each (processor-state pages), KiProcessorBlock, contexts.
    this.buildProcessors(halEntry);

    // KDBG (stored decrypted, as in dumps Windows writes).
    const k = this.kdDebuggerDataBlock;
    this.w64(k, k); // List: a one-element list is fine for readers
    this.w64(k + 8n, k);
    this.w32(k + BigInt(KDBG.OwnerTag), KDBG_OWNER_TAG);
    this.w32(k + BigInt(KDBG.Size), KDBG_SIZE);
    this.w64(k + BigInt(KDBG.KernBase), this.kernBase);
    this.w64(k + BigInt(KDBG.PsLoadedModuleList), this.psLoadedModuleList);
    this.w64(k + BigInt(KDBG.PsActiveProcessHead), this.psActiveProcessHead);
    this.w64(k + BigInt(KDBG.MmPfnDatabase), this.pfnDataBase);
    this.w64(k + BigInt(KDBG.KiProcessorBlock), this.kiProcessorBlock);
    this.w64(k + BigInt(KDBG.MmUnloadedDrivers), mmUnloadedDrivers);
    this.w64(k + BigInt(KDBG_MmLastUnloadedDriver), mmLastUnloadedDriver);
    this.w16(k + BigInt(KDBG.OffsetKThreadTeb), ETHREAD.Teb);
    this.w16(k + BigInt(KDBG.SizeEProcess), EPROCESS.size);
    this.w16(k + BigInt(KDBG.OffsetEprocessPeb), EPROCESS.Peb);
    this.w16(k + BigInt(KDBG.OffsetEprocessDirectoryTableBase), EPROCESS.DirectoryTableBase);
    this.w16(k + BigInt(KDBG.SizePrcb), KPRCB.size);
    this.w16(k + BigInt(KDBG.OffsetPrcbCurrentThread), KPRCB.CurrentThread);
    this.w16(k + BigInt(KDBG.SizeEThread), ETHREAD.size);
    this.w16(k + BigInt(KDBG.OffsetPrcbContext), KPRCB.Context);
    this.w32(k + BigInt(KDBG.OffsetKThreadStackLimit), ETHREAD.StackLimit);
    this.w32(k + BigInt(KDBG.OffsetKThreadStackBase), ETHREAD.StackBase);
    this.w64(k + BigInt(KDBG.PteBase), this.pteBase);

    // What is left of the pool is mapped after the structures, so every kernel page is reachable.
    const rest = this.remaining('kernel-pool');
    // mapPages may take table pages from the same bucket: it is empty now, so reserve them first.
    this.mapPoolRest(rest);
    // Every process shares the kernel half of the system PML4 (self-map excepted).
    for (const { space } of userSpaces) {
      space.copyEntries(this.system, 0x100, 0x200);
      space.setSelfMap(this.selfMapIndex);
    }

    // Time: a boot some days before the crash.
    const day = 864_000_000_000n;
    this.systemTime = 0x01dc0000_00000000n + BigInt(rng.int(0, 300)) * day + BigInt(rng.u32()) * 1000n;
    this.systemUpTime = BigInt(rng.int(600, 10 * 86400)) * 10_000_000n + BigInt(rng.int(0, 9_999_999));
  }

  private newId(): number {
    const id = this.nextId;
    this.nextId += 4 * this.rng.int(1, 40);
    return id;
  }

  private createProcess(name: string, pid: number): { model: ModelProcess; space: AddressSpace } {
    let space: AddressSpace;
    if (pid === 4) space = this.system;
    else {
      // From the top of memory: Volatility's DTB scan (0x150000–0x2A0000, 0x650000–0x6F0000) must meet only the system PML4.
      const [pml4] = this.take('user-private', 1, 'user-page-table', true);
      space = new AddressSpace(pml4!, this, () => this.take('user-private', 1, 'user-page-table', true)[0]!);
    }
    const ep = this.poolAlloc(EPROCESS.size, 64);
    this.writeBytes(ep, Uint8Array.of(3, 0, 0xb8 >> 2, 0)); // DISPATCHER_HEADER Type = ProcessObject
    const dtb = BigInt(space.pml4Pfn * PAGE);
    this.w64(ep + BigInt(EPROCESS.DirectoryTableBase), dtb);
    this.w64(ep + BigInt(EPROCESS.UniqueProcessId), BigInt(pid));
    this.listAppend(this.psActiveProcessHead, ep + BigInt(EPROCESS.ActiveProcessLinks));
    const peb = pid === 4 ? 0n : 0x000000a000000000n + BigInt(this.rng.int(0x100, 0xfff)) * 0x1000n;
    this.w64(ep + BigInt(EPROCESS.Peb), peb);
    const img = new TextEncoder().encode(name.slice(0, 14));
    this.writeBytes(ep + BigInt(EPROCESS.ImageFileName), img);
    this.listInit(ep + BigInt(EPROCESS.ThreadListHead));
    const model: ModelProcess = { pid, name, eprocess: ep, dtb, threads: [] };
    const [lo, hi] = this.profile.threads;
    const n = pid === 4 ? this.profile.systemThreads : this.rng.int(lo, hi);
    for (let t = 0; t < n; t++) model.threads.push(this.createThread(model, peb));
    this.processes.push(model);
    return { model, space };
  }

  private createThread(proc: ModelProcess, peb: bigint): ModelThread {
    const et = this.poolAlloc(ETHREAD.size, 64);
    this.writeBytes(et, Uint8Array.of(6, 0, 0, 0)); // Type = ThreadObject
    // Kernel stack: STACK_PAGES pages with an unmapped guard page below.
    const slot = this.stackCursor;
    this.stackCursor += BigInt((STACK_PAGES + 1) * PAGE);
    const limit = slot + BigInt(PAGE);
    const base = limit + BigInt(STACK_PAGES * PAGE);
    this.system.mapPages(limit, this.take('kernel-pool', STACK_PAGES, 'kernel-stack'), KERNEL_DATA);
    const kernelStack = base - BigInt(0x200 + this.rng.int(0, 0x100) * 16);
    this.w64(et + BigInt(ETHREAD.InitialStack), base - 0x1d0n);
    this.w64(et + BigInt(ETHREAD.StackLimit), limit);
    this.w64(et + BigInt(ETHREAD.StackBase), base);
    this.w64(et + BigInt(ETHREAD.KernelStack), kernelStack);
    this.w64(et + BigInt(ETHREAD.Teb), peb === 0n ? 0n : peb + 0x1000n * BigInt(1 + proc.threads.length));
    this.w64(et + BigInt(ETHREAD.Process), proc.eprocess);
    this.w64(et + BigInt(ETHREAD.CidUniqueProcess), BigInt(proc.pid));
    const tid = this.newId();
    this.w64(et + BigInt(ETHREAD.CidUniqueThread), BigInt(tid));
    this.listAppend(proc.eprocess + BigInt(EPROCESS.ThreadListHead), et + BigInt(ETHREAD.ThreadListEntry));
    return { tid, ethread: et, stackBase: base, stackLimit: limit, kernelStack };
  }

  private mapUserMemory(spaces: { proc: ModelProcess; space: AddressSpace }[]): void {
    if (spaces.length === 0) return;
    // Shares: a few big processes, many small ones (deterministic weights).
    const weights = spaces.map(({ proc }, i) => (proc.name === 'explorer.exe' || proc.name === 'MsMpEng.exe' ? 8 : proc.name === 'vmmem' ? 6 : 1 + (hash32(this.seed, i, 7) % 4)));
    const totalW = weights.reduce((a, b) => a + b, 0);
    const split = (pfns: number[]): number[][] => {
      const out: number[][] = [];
      let at = 0;
      weights.forEach((w, i) => {
        const n = i === weights.length - 1 ? pfns.length - at : Math.floor((pfns.length * w) / totalW);
        out.push(pfns.slice(at, at + n));
        at += n;
      });
      return out;
    };
    // Page tables come from the back of user-private: leave room (1 table per 512 pages, ×1.1 + per-process overhead).
    const priv = this.buckets.get(CLASS_CODE['user-private'])!;
    const userTotal = priv.hi - priv.lo + this.bucketSize('user-image') + 2 * this.bucketSize('user-shared') + this.bucketSize('transition-pagefile');
    const reserve = Math.ceil(userTotal / 512) * 1.2 + spaces.length * 12;
    const privFree = Math.max(0, priv.hi - priv.lo - Math.ceil(reserve));
    const privPfns = Array.from(priv.arr.subarray(priv.lo, priv.lo + privFree));
    priv.lo += privFree;
    const privParts = split(privPfns);
    const imageParts = split(this.remaining('user-image'));
    const shared = this.remaining('user-shared');
    const transParts = split(this.remaining('transition-pagefile'));
    const sharedParts = split(shared);
    spaces.forEach(({ space }, i) => {
      const heap = 0x0000020000000000n + BigInt(hash32(this.seed, i, 11) % 0x1000) * 0x100000n;
      space.mapPages(heap, privParts[i]!, USER_DATA);
      // Transition PTEs (page-file-backed pages in transition): present bit clear, bit 11 set.
      space.mapPages(heap + BigInt(privParts[i]!.length + 16) * BigInt(PAGE), transParts[i]!, PTE_TRANSITION | MM_READWRITE_PROTECTION | PTE_RW | PTE_US, true);
      space.mapPages(0x00007ff600000000n + BigInt(i) * 0x10000000n, imageParts[i]!, PTE_P | PTE_US | 0x20, false);
      // Shared sections are mapped by this process and the next one.
      const s = sharedParts[i]!;
      space.mapPages(0x000001d000000000n, s, USER_DATA);
      spaces[(i + 1) % spaces.length]!.space.mapPages(0x000001e000000000n + BigInt(i) * 0x1000000n, s, USER_DATA);
    });
    // Reserved-but-unused user-private pages stay user-private (mapped into the last process).
    const left = this.remaining('user-private');
    const last = spaces[spaces.length - 1]!.space;
    this.mapWithOwnTables(last.pml4Pfn, 0x0000030000000000n, left, USER_DATA, 'user-page-table', 'user-private');
  }

  private bucketSize(c: PageClass): number {
    const b = this.buckets.get(CLASS_CODE[c]);
    return b ? b.hi - b.lo : 0;
  }

  /**
   * Maps the last pages of a bucket at `va`, taking the page tables it needs out of those same
   * pages (from their end); reserved tables left over are mapped as ordinary pages after.
   * Returns the number of pages mapped as data.
   */
  private mapWithOwnTables(pml4Pfn: number, va: bigint, pfns: number[], flags: number, tableClass: PageClass, dataClass: PageClass): number {
    if (pfns.length === 0) return 0;
    const reserve = pfns.splice(pfns.length - Math.min(pfns.length - 1, Math.ceil(pfns.length / 512) + 4));
    const space = new AddressSpace(pml4Pfn, this, () => {
      const pfn = reserve.pop();
      if (pfn === undefined) throw new Error('model: page-table reserve exhausted');
      this.classes[pfn] = CLASS_CODE[tableClass];
      return pfn;
    });
    space.mapPages(va, pfns, flags);
    let mapped = pfns.length;
    // Reserved pages not needed as tables stay data, mapped after (a table, if still needed, comes from the reserve's end).
    while (reserve.length > 0) {
      const at = va + BigInt(mapped * PAGE);
      if (reserve.length === 1 && !space.hasTableFor(at)) {
        this.classes[reserve.pop()!] = CLASS_CODE.free; // no room left for its page table: a free page
        break;
      }
      const pfn = reserve.shift()!;
      this.classes[pfn] = CLASS_CODE[dataClass];
      space.mapPages(at, [pfn], flags);
      mapped++;
    }
    return mapped;
  }

  private mapPoolRest(rest: number[]): void {
    const n = this.mapWithOwnTables(SYSTEM_PML4_PFN, this.poolMappedEnd, rest, KERNEL_DATA, 'kernel-page-table', 'kernel-pool');
    this.poolMappedEnd += BigInt(n * PAGE);
  }

  private buildProcessors(halEntry: bigint): void {
    const n = this.profile.processors;
    this.crashCpu = this.rng.int(0, n - 1);
    const candidates = this.processes.filter((p) => p.pid !== 4 && p.threads.length > 0);
    this.crashProcess = candidates[this.rng.int(0, candidates.length - 1)]!;
    this.crashThread = this.crashProcess.threads[this.rng.int(0, this.crashProcess.threads.length - 1)]!;
    const system = this.processes.find((p) => p.pid === 4)!;
    const ntos = this.modules[0]!;
    const faultingDriver = this.modules[2 + this.rng.int(0, this.modules.length - 3)]!;
    const keBugCheckEx = this.kernBase + 0x3f5e40n;

    // The crashing thread's stack: KeBugCheckEx frame at RSP, return addresses below it.
    const rsp = this.crashThread.stackBase - 0x1000n + BigInt(this.rng.int(0, 0x80) * 8) - 0x800n;
    const faultAddress = faultingDriver.base + BigInt(0x1000 + this.rng.int(0, faultingDriver.size - 0x3000));
    const frames = [ntos.base + 0x40a1b3n, faultingDriver.base + 0x1a2cn, faultAddress + 0x17n, ntos.base + 0x2b3c11n, ntos.base + 0x3562a0n];
    frames.forEach((ret, i) => this.w64(rsp + BigInt(i * 0x48), ret));
    const exceptionRecord = rsp + 0x3a0n;
    const contextRecord = rsp + 0x400n;
    const bc = this.profile.bugCheck;
    const params: [bigint, bigint, bigint, bigint] = [...bc.parameters];
    if (bc.code === 0x1000007e) {
      params[1] = faultAddress;
      params[2] = exceptionRecord;
      params[3] = contextRecord;
    } else if (bc.code === 0xd1) {
      params[3] = faultAddress;
    }
    this.bugCheck = { code: bc.code, parameters: params };

    const blockPtrs = this.kiProcessorBlock;
    for (let i = 0; i < n; i++) {
      const kpcr = PRCB_BASE + BigInt(i) * 0x10000n;
      const pages = Math.ceil((KPCR.Prcb + KPRCB.size) / PAGE);
      const pfns = this.take('kernel-pool', pages, 'processor-state');
      for (const pfn of pfns) this.pages.set(pfn, new Uint8Array(PAGE));
      this.system.mapPages(kpcr, pfns, KERNEL_DATA);
      const prcb = kpcr + BigInt(KPCR.Prcb);
      this.w64(kpcr + BigInt(KPCR.Self), kpcr);
      this.w64(kpcr + BigInt(KPCR.CurrentPrcb), prcb);
      const idle = system.threads[i % system.threads.length]!;
      const thread = i === this.crashCpu ? this.crashThread : idle;
      this.w64(prcb + BigInt(KPRCB.CurrentThread), thread.ethread);
      const context =
        i === this.crashCpu
          ? makeAmd64Context({ rip: keBugCheckEx, rsp, rbp: rsp + 0x80n, rcx: BigInt(this.bugCheck.code), rdx: params[0], r8: params[1], r9: params[2] })
          : makeAmd64Context({ rip: halEntry + 0x120n, rsp: thread.kernelStack, rbp: thread.kernelStack + 0x40n });
      this.writeBytes(prcb + BigInt(KPRCB.Context), context);
      this.w64(blockPtrs + BigInt(i * 8), prcb);
      this.processors.push({ index: i, kpcr, prcb, currentThread: thread.ethread, context });
    }
    if (AMD64_CONTEXT.size + KPRCB.Context > KPRCB.size) throw new Error('model: context outside the KPRCB');
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

/**
 * RAM runs of a PC: below 640 KiB (PFN 0 is never RAM), then from 1 MiB up to the PCI hole at
 * 3 GiB, then from 4 GiB on.
 */
export function ramLayout(ramPages: number): RamRun[] {
  const runs: RamRun[] = [];
  let left = ramPages;
  const add = (base: number, max: number) => {
    const n = Math.min(left, max);
    if (n > 0) runs.push({ basePage: base, pageCount: n });
    left -= n;
  };
  add(0x1, 0x9e);
  add(0x100, 0xc0000 - 0x100);
  add(0x100000, Number.MAX_SAFE_INTEGER);
  return runs;
}

/** Pages of kernel pool the structures of a profile need (images, stacks, objects, tables). */
function structuralEstimate(p: Profile, hyperv: boolean): number {
  const drivers = DRIVERS.length + (hyperv ? HYPERV_DRIVERS.length : 0);
  const threads = p.processes * ((p.threads[0] + p.threads[1]) / 2) + p.systemThreads;
  return (NTOS_SIZE + HAL_SIZE) / PAGE + drivers * 60 + threads * (STACK_PAGES + 1) + p.processors * 12 + 1024;
}
