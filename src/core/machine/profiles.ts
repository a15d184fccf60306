import { DumpError } from '../errors.js';
import type { PageClass } from '../varieties/page-class.js';

export const PROFILE_NAMES = ['workstation', 'server', 'hyperv-host'] as const;
export type ProfileName = (typeof PROFILE_NAMES)[number];

/**
 * How a kind of machine uses its RAM. Weights are relative shares of the pages left after the
 * guest-VM and hypervisor chunks; structural kernel pages (images, stacks, page tables,
 * processor blocks) are carved out of kernel pool, user page tables out of user-private.
 */
export interface Profile {
  readonly name: ProfileName;
  readonly processors: number;
  readonly processes: number;
  /** Threads per process, min..max. */
  readonly threads: readonly [number, number];
  readonly systemThreads: number;
  readonly defaultVms: number;
  /** Share of RAM each VM gets, and the cap for all VMs together. */
  readonly guestShare: number;
  readonly guestCap: number;
  /** Hypervisor shares when Hyper-V runs (vms > 0 or a host profile). */
  readonly hypervisorEssential: number;
  readonly hypervisorNonessential: number;
  readonly productType: number; // 1 workstation, 3 server
  readonly suiteMask: number;
  readonly weights: Readonly<Partial<Record<PageClass, number>>>;
  readonly bugCheck: { code: number; parameters: readonly [bigint, bigint, bigint, bigint] };
}

const PROFILES: Readonly<Record<ProfileName, Profile>> = {
  workstation: {
    name: 'workstation',
    processors: 8,
    processes: 90,
    threads: [3, 24],
    systemThreads: 160,
    defaultVms: 0,
    guestShare: 0.1,
    guestCap: 0.5,
    hypervisorEssential: 0.005,
    hypervisorNonessential: 0.01,
    productType: 1,
    suiteMask: 0x100,
    weights: {
      'kernel-pool': 7,
      'user-private': 22,
      'user-image': 8,
      'user-shared': 4,
      'file-cache': 16,
      free: 4,
      zeroed: 10,
      'standby-pagefile': 5,
      'standby-mapped': 13,
      'modified-pagefile': 3,
      'modified-mapped': 2,
      'transition-pagefile': 1,
      'transition-mapped': 1,
    },
    // SYSTEM_THREAD_EXCEPTION_NOT_HANDLED_M: access violation in a driver
    bugCheck: { code: 0x1000007e, parameters: [0xc0000005n, 0n, 0n, 0n] },
  },
  server: {
    name: 'server',
    processors: 16,
    processes: 70,
    threads: [4, 40],
    systemThreads: 260,
    defaultVms: 0,
    guestShare: 0.1,
    guestCap: 0.5,
    hypervisorEssential: 0.005,
    hypervisorNonessential: 0.01,
    productType: 3,
    suiteMask: 0x110,
    weights: {
      'kernel-pool': 15,
      'user-private': 12,
      'user-image': 4,
      'user-shared': 2,
      'file-cache': 30,
      free: 5,
      zeroed: 12,
      'standby-pagefile': 4,
      'standby-mapped': 12,
      'modified-pagefile': 3,
      'modified-mapped': 4,
      'transition-pagefile': 1,
      'transition-mapped': 1,
    },
    // DRIVER_IRQL_NOT_LESS_OR_EQUAL
    bugCheck: { code: 0xd1, parameters: [0x28n, 2n, 0n, 0n] },
  },
  'hyperv-host': {
    name: 'hyperv-host',
    processors: 32,
    processes: 60,
    threads: [4, 30],
    systemThreads: 300,
    defaultVms: 4,
    guestShare: 0.18,
    guestCap: 0.8,
    hypervisorEssential: 0.01,
    hypervisorNonessential: 0.03,
    productType: 3,
    suiteMask: 0x110,
    weights: {
      'kernel-pool': 20,
      'user-private': 18,
      'user-image': 7,
      'user-shared': 3,
      'file-cache': 10,
      free: 10,
      zeroed: 14,
      'standby-pagefile': 4,
      'standby-mapped': 5,
      'modified-pagefile': 2,
      'modified-mapped': 1,
      'transition-pagefile': 1,
      'transition-mapped': 1,
    },
    // DPC_WATCHDOG_VIOLATION
    bugCheck: { code: 0x133, parameters: [1n, 0x1e00n, 0n, 0n] },
  },
};

export function profile(name: string): Profile {
  const p = (PROFILES as Record<string, Profile>)[name];
  if (!p) throw new DumpError('INVALID_ARGUMENT', `unknown machine profile ${JSON.stringify(name)}; known: ${PROFILE_NAMES.join(', ')}`);
  return p;
}
