/**
 * What the machine's builders (ram.ts, modules.ts, processes.ts, threads.ts, user-memory.ts,
 * processors.ts, kernel-stacks.ts, debugger-data.ts) use of a Machine: its state and the memory
 * primitives they build with. `Machine` implements it; the builders take it instead of the class,
 * so they need not import machine.ts.
 */
import type { PageClass } from '../varieties/page-class.js';
import type { ModelModule, ModelProcess, ModelProcessor, ModelThread, RamRun } from './model-types.js';
import type { AddressSpace, PageStore } from './paging.js';
import type { Profile } from './profiles.js';
import type { Rng } from './rng.js';

export interface MachineState extends PageStore {
  readonly profile: Profile;
  readonly seed: number;
  readonly vms: number;
  readonly ramRuns: RamRun[];
  readonly ramPages: number;
  /** One class byte per PFN (NOT_RAM for holes). */
  readonly classes: Uint8Array;
  readonly modules: ModelModule[];
  readonly processes: ModelProcess[];
  readonly processors: ModelProcessor[];
  readonly unloadedDrivers: { name: string; start: bigint; end: bigint }[];

  kernBase: bigint;
  kdDebuggerDataBlock: bigint;
  psLoadedModuleList: bigint;
  psActiveProcessHead: bigint;
  pfnDataBase: bigint;
  kiProcessorBlock: bigint;
  pteBase: bigint;
  crashCpu: number;
  crashProcess: ModelProcess;
  crashThread: ModelThread;
  bugCheck: { code: number; parameters: [bigint, bigint, bigint, bigint] };

  readonly pages: Map<number, Uint8Array>;
  readonly rng: Rng;
  buckets: Map<number, { arr: Int32Array; lo: number; hi: number }>;
  system: AddressSpace;
  poolMappedEnd: bigint;
  stackCursor: bigint;

  hypervisorRunning(): boolean;
  /** Takes PFNs out of a class bucket and gives them a new class (front or back of the bucket). */
  take(from: PageClass, n: number, as: PageClass, back?: boolean): number[];
  remaining(from: PageClass): number[];
  writeBytes(va: bigint, bytes: Uint8Array, space?: AddressSpace): void;
  w64(va: bigint, value: bigint, space?: AddressSpace): void;
  w32(va: bigint, value: number): void;
  w16(va: bigint, value: number): void;
  /** Allocates zeroed kernel pool (mapped, built pages) and returns its VA. */
  poolAlloc(size: number, align?: number): bigint;
  unicodeString(at: bigint, text: string): void;
  listInit(head: bigint): void;
  /** Inserts `entry` at the tail of the doubly linked list at `head` (LIST_ENTRY64). */
  listAppend(head: bigint, entry: bigint): void;
  /** A new process or thread id (multiples of 4, as Windows hands them out). */
  newId(): number;
  /** Pages left in a class's allocation bucket. */
  bucketSize(c: PageClass): number;
}
