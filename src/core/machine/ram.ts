/** Physical RAM of a modeled machine: its runs and a page class for every PFN. */
import { CLASS_CODE, type PageClass } from '../varieties/page-class.js';
import { DRIVERS, HAL_SIZE, HYPERV_DRIVERS, NTOS_SIZE, STACK_PAGES, SYSTEM_PML4_PFN } from './layout.js';
import type { MachineState } from './builder-state.js';
import type { RamRun } from './model-types.js';
import { PAGE } from './paging.js';
import type { Profile } from './profiles.js';
import { hash32 } from './rng.js';

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

/** Gives every RAM PFN a class (from the profile's weights) and fills the allocation buckets. */
export function assignClasses(m: MachineState): void {
  const p = m.profile;
  const weights = Object.entries(p.weights) as [PageClass, number][];
  const hv = m.hypervisorRunning();
  const guestFrac = hv ? Math.min(p.guestCap, p.guestShare * m.vms) : 0;
  const hvNonEss = hv ? p.hypervisorNonessential : 0;
  const hvEss = hv ? p.hypervisorEssential : 0;
  // Kernel pool must hold the structures (images, stacks, tables, processor blocks): give it a floor.
  const hostPages = m.ramPages * (1 - guestFrac - hvNonEss - hvEss);
  const need = structuralEstimate(p, m.hypervisorRunning());
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
  const cls = m.classes;
  for (const run of m.ramRuns) {
    const end = run.basePage + run.pageCount;
    for (let pfn = run.basePage; pfn < end; pfn++) {
      // Guest VM memory and the hypervisor's pages come in 2 MiB chunks (below 16 MiB stays host).
      if (pfn >= 0x1000) {
        const r = hash32(m.seed, pfn >>> 9, 0x6e57) / 4294967296;
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
      const h = hash32(m.seed, pfn, 0xc1a55);
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
  m.buckets = arrays;
}
