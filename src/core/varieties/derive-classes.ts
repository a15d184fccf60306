import { DumpError, onlyDumpError } from '../errors.js';
import { hex } from '../hex.js';
import { EPROCESS } from '../kernel/offsets.js';
import { CLASS_CODE } from './page-class.js';
import type { PhysPageReader } from './virtual-reader.js';
import { VirtualReader } from './virtual-reader.js';

/**
 * Page classes of a real dump, derived from the dump alone: PFNs mapped by the kernel half of
 * the system page tables are kernel pages (the tables themselves kernel page tables), PFNs
 * mapped by the user half of a process's tables are user pages (its tables user page tables);
 * everything else stays `unknown`, because the PFN database's list membership (free, zeroed,
 * standby, …) sits at a build-dependent offset that needs symbols.
 */
export interface DeriveInput {
  pfnCount: number;
  dtb: bigint;
  psActiveProcessHead: bigint | undefined;
  readPhys: PhysPageReader;
  hasPage: (pfn: number) => boolean;
}

export interface RuleOutcome {
  rule: string;
  applied: boolean;
  detail: string;
}

export interface Derived {
  classes: Uint8Array;
  rules: RuleOutcome[];
}

const MAX_PROCESSES = 65536;

export async function deriveClasses(input: DeriveInput): Promise<Derived> {
  if (input.pfnCount > 1 << 28) throw new DumpError('COUNT_TOO_LARGE', `${input.pfnCount} PFNs: too many to classify`);
  const classes = new Uint8Array(input.pfnCount); // 0 = unknown
  const rules: RuleOutcome[] = [];
  const K = CLASS_CODE['kernel-pool'];
  const KT = CLASS_CODE['kernel-page-table'];
  const U = CLASS_CODE['user-private'];
  const UT = CLASS_CODE['user-page-table'];
  const mark = (pfn: number, code: number) => {
    if (pfn < classes.length && classes[pfn] === 0) classes[pfn] = code;
  };
  const dtbPfn = Number((input.dtb >> 12n) & 0xffffffffffn);
  let kernelPages = 0;
  if (!input.hasPage(dtbPfn)) {
    rules.push({ rule: 'kernel pages from the kernel half of the page tables', applied: false, detail: `the system PML4 (${hex(input.dtb)}) is not in the dump` });
  } else {
    mark(dtbPfn, KT);
    kernelPages = await walk(input, dtbPfn, 0x100, 0x200, (p) => mark(p, K), (p) => mark(p, KT));
    rules.push({ rule: 'kernel pages from the kernel half of the page tables', applied: true, detail: `${kernelPages} pages mapped in kernel space` });
  }
  // Processes: their own table bases, user halves.
  let procs = 0;
  let userPages = 0;
  let missingDirs = 0;
  if (input.psActiveProcessHead === undefined || !input.hasPage(dtbPfn)) {
    rules.push({ rule: 'user pages from each process\'s page tables', applied: false, detail: 'no PsActiveProcessHead or no kernel page tables' });
  } else {
    const vm = new VirtualReader(input.readPhys, input.dtb);
    try {
      const head = input.psActiveProcessHead;
      const seen = new Set<bigint>();
      for (let e = await vm.u64(head); e !== head && e !== 0n; e = await vm.u64(e)) {
        if (seen.has(e) || seen.size >= MAX_PROCESSES) break;
        seen.add(e);
        const dtb = await vm.u64(e - BigInt(EPROCESS.ActiveProcessLinks) + BigInt(EPROCESS.DirectoryTableBase));
        const pfn = Number((dtb >> 12n) & 0xffffffffffn);
        procs++;
        if (pfn === dtbPfn) continue;
        if (!input.hasPage(pfn)) {
          missingDirs++;
          continue;
        }
        mark(pfn, UT);
        userPages += await walk(input, pfn, 0, 0x100, (p) => mark(p, U), (p) => mark(p, UT));
      }
      rules.push({
        rule: 'user pages from each process\'s page tables',
        applied: procs > missingDirs + 1 || missingDirs === 0,
        detail:
          `${procs} processes, ${userPages} user mappings` +
          (missingDirs ? `; ${missingDirs} processes have invalid page directories (their tables are not in this dump)` : ''),
      });
    } catch (e) {
      rules.push({ rule: 'user pages from each process\'s page tables', applied: false, detail: `process list unreadable: ${onlyDumpError(e).message}` });
    }
  }
  rules.push({
    rule: 'free/zeroed/standby/modified/file-cache pages from the PFN database',
    applied: false,
    detail: 'MMPFN list membership is at a build-dependent offset that needs symbols: the remaining pages are reported as unknown',
  });
  return { classes, rules };
}

/** Walks PML4 entries [from, to) (self-map skipped); returns the number of leaf mappings. */
async function walk(input: DeriveInput, pml4Pfn: number, from: number, to: number, leaf: (pfn: number) => void, table: (pfn: number) => void): Promise<number> {
  let leaves = 0;
  const entries = async (pfn: number): Promise<BigUint64Array | undefined> => {
    if (!input.hasPage(pfn)) return undefined;
    const p = (await input.readPhys(pfn)).slice();
    return new BigUint64Array(p.buffer, 0, 512);
  };
  const pfnOf = (e: bigint) => Number((e >> 12n) & 0xffffffffffn);
  const pml4 = await entries(pml4Pfn);
  if (!pml4) return 0;
  for (let i = from; i < to; i++) {
    const e4 = pml4[i]!;
    if (!(e4 & 1n) || pfnOf(e4) === pml4Pfn) continue;
    table(pfnOf(e4));
    const pdpt = await entries(pfnOf(e4));
    if (!pdpt) continue;
    for (let j = 0; j < 512; j++) {
      const e3 = pdpt[j]!;
      if (!(e3 & 1n)) continue;
      if (e3 & 0x80n) {
        for (let k = 0; k < 262144; k++) leaf(pfnOf(e3) + k);
        leaves += 262144;
        continue;
      }
      table(pfnOf(e3));
      const pd = await entries(pfnOf(e3));
      if (!pd) continue;
      for (let k = 0; k < 512; k++) {
        const e2 = pd[k]!;
        if (!(e2 & 1n)) continue;
        if (e2 & 0x80n) {
          for (let l = 0; l < 512; l++) leaf(pfnOf(e2) + l);
          leaves += 512;
          continue;
        }
        table(pfnOf(e2));
        const pt = await entries(pfnOf(e2));
        if (!pt) continue;
        for (let l = 0; l < 512; l++) {
          const e1 = pt[l]!;
          if (e1 & 1n) {
            leaf(pfnOf(e1));
            leaves++;
          }
        }
      }
    }
  }
  return leaves;
}
