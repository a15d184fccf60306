/**
 * Loaded images of a modeled machine: ntoskrnl.exe, hal.dll and the drivers, mapped with a PE
 * header page, on PsLoadedModuleList (KLDR_DATA_TABLE_ENTRY), and MmUnloadedDrivers.
 */
import type { PageClass } from '../varieties/page-class.js';
import { DRIVERS, HAL_SIZE, HYPERV_DRIVERS, NTOS_SIZE, NTOS_DATA_RVA, UNLOADED } from './layout.js';
import type { MachineState } from './builder-state.js';
import { LDR, UNLOADED_DRIVER_SIZE } from './nt-layout.js';
import { KERNEL_DATA, PAGE } from './paging.js';
import { peHeaderPage, SCN_DATA, SCN_RDATA, SCN_TEXT, type PeSectionSpec } from './pe-image.js';
import { functionCode, imageFunctions, imageMetadata, layoutFunctions, type ModelFunction } from './kernel-code.js';
import { hash32 } from './rng.js';

interface MappedImage {
  entry: bigint;
  functions: ModelFunction[];
}

/**
 * Maps a module image: first page a PE header (export, exception and debug directories), the
 * modeled functions' metadata at the start of the data section (ntoskrnl: one page further, its
 * first data page holds KDBG and the list heads), the rest generated with the module's class.
 * The functions' code is written once every image is mapped (calls cross images).
 */
function mapImage(m: MachineState, name: string, base: bigint, size: number, cls: PageClass, dataRva: number): MappedImage {
  const pages = size / PAGE;
  const pfns = m.take('kernel-pool', pages, cls);
  m.system.mapPages(base, pfns, KERNEL_DATA, false);
  const entryRva = 0x1000 + (hash32(m.seed, Number(base & 0xffffffn)) % Math.max(1, dataRva - 0x2000)) & ~0xf;
  const timeDateStamp = 0x5f000000 + (hash32(m.seed, pages) % 0x1000000);
  const functions = layoutFunctions(imageFunctions(name, m.seed));
  // Sections: .text, then (ntoskrnl: .data with KDBG and the list heads first) .rdata and .pdata, then the rest as .data.
  const nt = name === 'ntoskrnl.exe';
  const metaRva = dataRva + (nt ? 0x1000 : 0);
  const pdataRva = metaRva + 0x1000;
  const meta = imageMetadata(name, functions, metaRva, pdataRva, m.seed, timeDateStamp);
  if (meta.bytes.length > 0x1000 || meta.pdata.length > 0x1000) throw new Error(`model: ${name}'s metadata does not fit a page`);
  const sections: PeSectionSpec[] = [{ name: '.text', rva: 0x1000, size: dataRva - 0x1000, characteristics: SCN_TEXT }];
  if (nt) sections.push({ name: '.data', rva: dataRva, size: 0x1000, characteristics: SCN_DATA });
  sections.push({ name: '.rdata', rva: metaRva, size: meta.bytes.length, characteristics: SCN_RDATA }, { name: '.pdata', rva: pdataRva, size: meta.pdata.length, characteristics: SCN_RDATA });
  if (pdataRva + 0x1000 < size) sections.push({ name: nt ? 'PAGEDATA' : '.data', rva: pdataRva + 0x1000, size: size - pdataRva - 0x1000, characteristics: SCN_DATA });

  const directories = [
    { index: 0, ...meta.exportDirectory },
    { index: 3, ...meta.exceptionDirectory },
    { index: 6, ...meta.debugDirectory },
  ].map((d) => ({ index: d.index, rva: d.rva, size: d.size }));
  m.pages.set(pfns[0]!, peHeaderPage(base, size, timeDateStamp, entryRva, dataRva, directories, sections));
  m.writeBytes(base + BigInt(metaRva), meta.bytes);
  m.writeBytes(base + BigInt(pdataRva), meta.pdata);
  return { entry: base + BigInt(entryRva), functions };
}

/** Writes every module's function code (after all are mapped: calls go across images). */
function writeFunctionCode(m: MachineState): void {
  const byName = new Map<string, bigint>();
  for (const mod of m.modules) for (const f of mod.functions) byName.set(`${mod.name}!${f.name}`, mod.base + BigInt(f.rva));
  for (const mod of m.modules) {
    if (mod.functions.length === 0) continue;
    const code = functionCode(mod.functions, mod.base, (t) => byName.get(t.includes('!') ? t : `${mod.name}!${t}`));
    m.writeBytes(mod.base + 0x1000n, code);
  }
}

function addModule(m: MachineState, name: string, path: string, base: bigint, size: number, image: MappedImage): void {
  const entry = image.entry;
  const ldr = m.poolAlloc(LDR.size);
  m.w64(ldr + BigInt(LDR.DllBase), base);
  m.w64(ldr + BigInt(LDR.EntryPoint), entry);
  m.w32(ldr + BigInt(LDR.SizeOfImage), size);
  m.unicodeString(ldr + BigInt(LDR.FullDllName), path);
  m.unicodeString(ldr + BigInt(LDR.BaseDllName), name);
  m.listAppend(m.psLoadedModuleList, ldr + BigInt(LDR.InLoadOrderLinksFlink));
  m.modules.push({ name, path, base, size, entry, ldrEntry: ldr, functions: image.functions });
}

/** Maps ntoskrnl.exe and hal.dll (the kernel's data section then holds the list heads and KDBG). Returns hal's entry point. */
export interface KernelImages {
  nt: MappedImage;
  halBase: bigint;
  hal: MappedImage;
}

export function mapKernelImages(m: MachineState): KernelImages {
  const nt = mapImage(m, 'ntoskrnl.exe', m.kernBase, NTOS_SIZE, 'kernel-image', NTOS_DATA_RVA);
  const halBase = m.kernBase + BigInt(NTOS_SIZE + 0x200000);
  const hal = mapImage(m, 'hal.dll', halBase, HAL_SIZE, 'hal', 0x40000);
  return { nt, halBase, hal };
}

/** PsLoadedModuleList: the kernel, hal and the drivers (mapped here); then MmUnloadedDrivers. */
export function buildModuleList(m: MachineState, kernel: KernelImages, mmUnloadedDrivers: bigint, mmLastUnloadedDriver: bigint): void {
  const rng = m.rng;
  addModule(m, 'ntoskrnl.exe', '\\SystemRoot\\system32\\ntoskrnl.exe', m.kernBase, NTOS_SIZE, kernel.nt);
  addModule(m, 'hal.dll', '\\SystemRoot\\system32\\hal.dll', kernel.halBase, HAL_SIZE, kernel.hal);
  let driverBase = m.kernBase + 0x4000000n;
  const drivers = m.hypervisorRunning() ? [...DRIVERS, ...HYPERV_DRIVERS] : DRIVERS;
  for (const name of drivers) {
    const size = rng.int(4, 48) * 0x2000;
    const image = mapImage(m, name, driverBase, size, 'driver', size - 0x2000);
    const path = name.toLowerCase().endsWith('.dll') ? `\\SystemRoot\\system32\\${name}` : `\\SystemRoot\\System32\\drivers\\${name}`;
    addModule(m, name, path, driverBase, size, image);
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
  writeFunctionCode(m);
}
