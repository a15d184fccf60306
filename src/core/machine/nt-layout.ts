/**
 * Structure offsets the modeled machine writes: the shared x64 19041 layout of
 * kernel/offsets.ts (the kernel/varieties contract), plus the few the model needs beyond it.
 */
export { EPROCESS, ETHREAD, KDBG_OWNER_TAG, KDBG_SIZE, KDDEBUGGER_DATA64 as KDBG, KLDR_DATA_TABLE_ENTRY as LDR, KPRCB, KSWITCH_FRAME, MM_SESSION_SPACE } from '../kernel/offsets.js';

/** KDDEBUGGER_DATA64.MmLastUnloadedDriver (address of the u32 count; notes §8). */
export const KDBG_MmLastUnloadedDriver = 0x228;

export const KPCR = {
  Self: 0x18,
  CurrentPrcb: 0x20,
  Prcb: 0x180,
} as const;

/** MM_UNLOADED_DRIVER: UNICODE_STRING Name, StartAddress, EndAddress, CurrentTime. */
export const UNLOADED_DRIVER_SIZE = 0x28;
