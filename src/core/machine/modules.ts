/**
 * Loaded images of a modeled machine: ntoskrnl.exe, hal.dll and the drivers, mapped with a PE
 * header page, on PsLoadedModuleList (KLDR_DATA_TABLE_ENTRY), and MmUnloadedDrivers.
 */
import type { PageClass } from '../varieties/page-class.js';
import { DRIVERS, HAL_SIZE, HYPERV_DRIVERS, NTOS_SIZE, NTOS_DATA_RVA, UNLOADED } from './layout.js';
import type { Machine } from './machine.js';
import { LDR, UNLOADED_DRIVER_SIZE } from './nt-layout.js';
import { KERNEL_DATA, PAGE } from './paging.js';
import { peHeaderPage } from './pe-image.js';
import { hash32 } from './rng.js';

/** Maps a module image: first page a PE header, the rest generated with the module's class. Returns the entry point. */
function mapImage(m: Machine, base: bigint, size: number, cls: PageClass, dataRva: number): bigint {
  const pages = size / PAGE;
  const pfns = m.take('kernel-pool', pages, cls);
  m.system.mapPages(base, pfns, KERNEL_DATA, false);
  const entryRva = 0x1000 + (hash32(m.seed, Number(base & 0xffffffn)) % Math.max(1, dataRva - 0x2000)) & ~0xf;
  m.pages.set(pfns[0]!, peHeaderPage(base, size, 0x5f000000 + (hash32(m.seed, pages) % 0x1000000), entryRva, dataRva));
  return base + BigInt(entryRva);
}

function addModule(m: Machine, name: string, path: string, base: bigint, size: number, entry: bigint): void {
  const ldr = m.poolAlloc(LDR.size);
  m.w64(ldr + BigInt(LDR.DllBase), base);
  m.w64(ldr + BigInt(LDR.EntryPoint), entry);
  m.w32(ldr + BigInt(LDR.SizeOfImage), size);
  m.unicodeString(ldr + BigInt(LDR.FullDllName), path);
  m.unicodeString(ldr + BigInt(LDR.BaseDllName), name);
  m.listAppend(m.psLoadedModuleList, ldr + BigInt(LDR.InLoadOrderLinksFlink));
  m.modules.push({ name, path, base, size, entry, ldrEntry: ldr });
}

/** Maps ntoskrnl.exe and hal.dll (the kernel's data section then holds the list heads and KDBG). Returns hal's entry point. */
export function mapKernelImages(m: Machine): { ntEntry: bigint; halBase: bigint; halEntry: bigint } {
  const ntEntry = mapImage(m, m.kernBase, NTOS_SIZE, 'kernel-image', NTOS_DATA_RVA);
  const halBase = m.kernBase + BigInt(NTOS_SIZE + 0x200000);
  const halEntry = mapImage(m, halBase, HAL_SIZE, 'hal', 0x40000);
  return { ntEntry, halBase, halEntry };
}

/** PsLoadedModuleList: the kernel, hal and the drivers (mapped here); then MmUnloadedDrivers. */
export function buildModuleList(m: Machine, kernel: { ntEntry: bigint; halBase: bigint; halEntry: bigint }, mmUnloadedDrivers: bigint, mmLastUnloadedDriver: bigint): void {
  const rng = m.rng;
  addModule(m, 'ntoskrnl.exe', '\\SystemRoot\\system32\\ntoskrnl.exe', m.kernBase, NTOS_SIZE, kernel.ntEntry);
  addModule(m, 'hal.dll', '\\SystemRoot\\system32\\hal.dll', kernel.halBase, HAL_SIZE, kernel.halEntry);
  let driverBase = m.kernBase + 0x4000000n;
  const drivers = m.hypervisorRunning() ? [...DRIVERS, ...HYPERV_DRIVERS] : DRIVERS;
  for (const name of drivers) {
    const size = rng.int(4, 48) * 0x2000;
    const entry = mapImage(m, driverBase, size, 'driver', size - 0x2000);
    const path = name.toLowerCase().endsWith('.dll') ? `\\SystemRoot\\system32\\${name}` : `\\SystemRoot\\System32\\drivers\\${name}`;
    addModule(m, name, path, driverBase, size, entry);
    driverBase += BigInt(size + 0x10000);
  }

  // Unloaded drivers: nt!MmUnloadedDrivers points at an array, nt!MmLastUnloadedDriver is the count.
  const unloadedArray = m.poolAlloc(UNLOADED_DRIVER_SIZE * UNLOADED.length);
  UNLOADED.forEach((name, i) => {
    const e = unloadedArray + BigInt(i * UNLOADED_DRIVER_SIZE);
    const start = driverBase + BigInt(i) * 0x100000n;
    const end = start + BigInt(rng.int(4, 32) * 0x1000);
    m.unicodeString(e, name);
    m.w64(e + 0x10n, start);
    m.w64(e + 0x18n, end);
    m.w64(e + 0x20n, 0n);
    m.unloadedDrivers.push({ name, start, end });
  });
  m.w64(mmUnloadedDrivers, unloadedArray);
  m.w32(mmLastUnloadedDriver, UNLOADED.length);
}
