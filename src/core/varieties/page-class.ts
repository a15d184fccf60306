/**
 * Physical page classes: what a page of RAM holds at the moment of a dump. The classes are the
 * ones the dump-variety documents name (kernel image/HAL/drivers/pool/page tables, user private/
 * image/shared, file cache, free, zeroed, standby, modified, transition with or without a page
 * file behind it, guest VM pages, hypervisor pages) plus a few kernel sub-kinds the live
 * "kernel stacks" dump needs (kernel stacks, processor blocks).
 *
 * The numeric codes are stored on disk (one byte per PFN in the page-class blob): never renumber.
 */
export const PAGE_CLASSES = [
  'unknown', // 0
  'kernel-image', // 1  ntoskrnl.exe
  'hal', // 2  hal.dll
  'driver', // 3  kernel-mode driver images
  'kernel-pool', // 4  paged/nonpaged pool and other kernel allocations
  'kernel-page-table', // 5  PML4/PDPT/PD/PT pages of the kernel half
  'kernel-stack', // 6  kernel thread stacks
  'processor-state', // 7  KPCR/KPRCB pages
  'user-private', // 8  process private memory (heaps, stacks, VirtualAlloc)
  'user-image', // 9  mapped executables and DLLs in processes
  'user-shared', // 10 shared sections mapped by several processes
  'user-page-table', // 11 a process's own PML4 and the page tables of its user half
  'file-cache', // 12 system file cache
  'free', // 13 free list (stale contents)
  'zeroed', // 14 zeroed list
  'standby-pagefile', // 15 standby list, page-file-backed
  'standby-mapped', // 16 standby list, backed by a mapped file
  'modified-pagefile', // 17 modified list, page-file-backed
  'modified-mapped', // 18 modified list, backed by a mapped file
  'transition-pagefile', // 19 transition (I/O in progress), page-file-backed
  'transition-mapped', // 20 transition, backed by a mapped file
  'guest-vm', // 21 memory given to child partitions (VMs)
  'hypervisor-essential', // 22 hypervisor pages a debugger needs
  'hypervisor-nonessential', // 23 the rest of the hypervisor's pages
] as const;

export type PageClass = (typeof PAGE_CLASSES)[number];

/** The class byte of a PFN that is not RAM (a hole in the physical address space). */
export const NOT_RAM = 0xff;

export const CLASS_CODE: Readonly<Record<PageClass, number>> = Object.fromEntries(PAGE_CLASSES.map((c, i) => [c, i])) as Record<
  PageClass,
  number
>;

export type PageGroup = 'kernel' | 'user' | 'file-cache' | 'unallocated' | 'paging-lists' | 'guest-vm' | 'hypervisor' | 'unknown';

const GROUP: Readonly<Record<PageClass, PageGroup>> = {
  unknown: 'unknown',
  'kernel-image': 'kernel',
  hal: 'kernel',
  driver: 'kernel',
  'kernel-pool': 'kernel',
  'kernel-page-table': 'kernel',
  'kernel-stack': 'kernel',
  'processor-state': 'kernel',
  'user-private': 'user',
  'user-image': 'user',
  'user-shared': 'user',
  'user-page-table': 'user',
  'file-cache': 'file-cache',
  free: 'unallocated',
  zeroed: 'unallocated',
  'standby-pagefile': 'paging-lists',
  'standby-mapped': 'paging-lists',
  'modified-pagefile': 'paging-lists',
  'modified-mapped': 'paging-lists',
  'transition-pagefile': 'paging-lists',
  'transition-mapped': 'paging-lists',
  'guest-vm': 'guest-vm',
  'hypervisor-essential': 'hypervisor',
  'hypervisor-nonessential': 'hypervisor',
};

export function pageGroup(c: PageClass): PageGroup {
  return GROUP[c];
}

export function classesInGroup(g: PageGroup): PageClass[] {
  return PAGE_CLASSES.filter((c) => GROUP[c] === g);
}

export function className(code: number): PageClass | 'not-ram' {
  if (code === NOT_RAM) return 'not-ram';
  const c = PAGE_CLASSES[code];
  return c ?? 'unknown';
}

export function isPageClass(s: string): s is PageClass {
  return (PAGE_CLASSES as readonly string[]).includes(s);
}

/** Per-class page counts of a classification (NOT_RAM bytes are not counted). */
export function countClasses(classes: Uint8Array): Record<PageClass, number> {
  const counts = new Float64Array(256);
  for (let i = 0; i < classes.length; i++) counts[classes[i]!]!++;
  const out = {} as Record<PageClass, number>;
  PAGE_CLASSES.forEach((c, i) => (out[c] = counts[i]!));
  // Bytes that are neither a known class nor NOT_RAM count as unknown.
  for (let code = PAGE_CLASSES.length; code < 255; code++) out.unknown += counts[code]!;
  return out;
}
