/** What a modeled machine is made of, as its builders record it (tests read these as the truth). */
import type { ProfileName } from './profiles.js';

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
