/** The modeled machine's KDDEBUGGER_DATA64 ("KDBG"), stored decrypted as in dumps Windows writes. */
import type { MachineState } from './builder-state.js';
import { EPROCESS, ETHREAD, KDBG, KDBG_MmLastUnloadedDriver, KDBG_OWNER_TAG, KDBG_SIZE, KPRCB } from './nt-layout.js';

export function writeDebuggerData(m: MachineState, mmUnloadedDrivers: bigint, mmLastUnloadedDriver: bigint): void {
  const k = m.kdDebuggerDataBlock;
  m.w64(k, k); // List: a one-element list is fine for readers
  m.w64(k + 8n, k);
  m.w32(k + BigInt(KDBG.OwnerTag), KDBG_OWNER_TAG);
  m.w32(k + BigInt(KDBG.Size), KDBG_SIZE);
  m.w64(k + BigInt(KDBG.KernBase), m.kernBase);
  m.w64(k + BigInt(KDBG.PsLoadedModuleList), m.psLoadedModuleList);
  m.w64(k + BigInt(KDBG.PsActiveProcessHead), m.psActiveProcessHead);
  m.w64(k + BigInt(KDBG.MmPfnDatabase), m.pfnDataBase);
  m.w64(k + BigInt(KDBG.KiProcessorBlock), m.kiProcessorBlock);
  m.w64(k + BigInt(KDBG.MmUnloadedDrivers), mmUnloadedDrivers);
  m.w64(k + BigInt(KDBG_MmLastUnloadedDriver), mmLastUnloadedDriver);
  m.w16(k + BigInt(KDBG.OffsetKThreadTeb), ETHREAD.Teb);
  m.w16(k + BigInt(KDBG.SizeEProcess), EPROCESS.size);
  m.w16(k + BigInt(KDBG.OffsetEprocessPeb), EPROCESS.Peb);
  m.w16(k + BigInt(KDBG.OffsetEprocessDirectoryTableBase), EPROCESS.DirectoryTableBase);
  m.w16(k + BigInt(KDBG.SizePrcb), KPRCB.size);
  m.w16(k + BigInt(KDBG.OffsetPrcbCurrentThread), KPRCB.CurrentThread);
  m.w16(k + BigInt(KDBG.SizeEThread), ETHREAD.size);
  m.w16(k + BigInt(KDBG.OffsetPrcbContext), KPRCB.Context);
  m.w32(k + BigInt(KDBG.OffsetKThreadStackLimit), ETHREAD.StackLimit);
  m.w32(k + BigInt(KDBG.OffsetKThreadStackBase), ETHREAD.StackBase);
  m.w64(k + BigInt(KDBG.PteBase), m.pteBase);
}
