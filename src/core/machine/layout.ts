/** Where a modeled machine puts things in its address spaces, and what it loads. */

/** Physical window where Volatility looks for the system PML4 (0x150000–0x2A0000). */
export const SYSTEM_PML4_PFN = 0x1ad;

export const KERNEL_BASE_REGION = 0xfffff80000000000n;
export const POOL_BASE = 0xffffa80000000000n;
export const STACK_BASE = 0xffffb00000000000n;
export const PRCB_BASE = 0xffffb80000000000n;
/** Value of nt!MmPfnDatabase (the database itself is not modeled). */
export const PFN_DB_BASE = 0xffffc00000000000n;
export const USED_KERNEL_PML4 = new Set([0x150, 0x160, 0x170, 0x180, 0x1f0]);

export const NTOS_SIZE = 0xa00000;
export const NTOS_DATA_RVA = 0x800000;
export const HAL_SIZE = 0x60000;
export const STACK_PAGES = 6;

export const DRIVERS = [
  'kdcom.dll', 'mcupdate_GenuineIntel.dll', 'CLFS.SYS', 'tm.sys', 'PSHED.dll', 'BOOTVID.dll', 'FLTMGR.SYS', 'msrpc.sys',
  'ksecdd.sys', 'clipsp.sys', 'cmimcext.sys', 'werkernel.sys', 'ntosext.sys', 'CI.dll', 'cng.sys', 'Wdf01000.sys',
  'WDFLDR.SYS', 'acpiex.sys', 'ACPI.sys', 'WMILIB.SYS', 'intelpep.sys', 'pcw.sys', 'msisadrv.sys', 'pci.sys',
  'vdrvroot.sys', 'pdc.sys', 'CEA.sys', 'partmgr.sys', 'spaceport.sys', 'volmgr.sys', 'volmgrx.sys', 'mountmgr.sys',
  'storahci.sys', 'storport.sys', 'fileinfo.sys', 'Wof.sys', 'Ntfs.sys', 'Fs_Rec.sys', 'ndis.sys', 'NETIO.SYS',
  'ksecpkg.sys', 'tcpip.sys', 'fwpkclnt.sys', 'volsnap.sys', 'disk.sys', 'CLASSPNP.SYS', 'crashdmp.sys', 'intelppm.sys',
  'dxgkrnl.sys', 'watchdog.sys', 'afd.sys', 'win32k.sys', 'win32kbase.sys', 'win32kfull.sys', 'dump_storport.sys', 'dump_storahci.sys',
];
export const HYPERV_DRIVERS = ['vmbusr.sys', 'vid.sys', 'hvsocket.sys', 'winhvr.sys', 'vmswitch.sys', 'storvsp.sys'];
export const UNLOADED = ['dam.sys', 'WdBoot.sys', 'dump_storport.sys'];

export const PROCESS_NAMES = [
  'smss.exe', 'csrss.exe', 'wininit.exe', 'services.exe', 'lsass.exe', 'winlogon.exe', 'fontdrvhost.exe', 'dwm.exe', 'spoolsv.exe',
  'MsMpEng.exe', 'explorer.exe', 'SearchHost.exe', 'RuntimeBroker.exe', 'taskhostw.exe', 'sihost.exe', 'ctfmon.exe', 'conhost.exe',
];
