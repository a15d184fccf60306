import type { ByteSink } from '../bytes/byte-sink.js';
import { writeKernelDump, type KernelDumpSpec, type TriageDumpSpec } from '../kernel/writer.js';
import type { Machine } from '../machine/machine.js';
import { encodePageClassBlob } from './page-class-blob.js';
import { countRuns, limitRuns, pagesOf, selectRuns, type PageReader, type PfnRun } from './page-selection.js';
import { inclusionTable, type Variety } from './rules.js';
import { triageFromMemory } from './triage-from-memory.js';
import { VirtualReader } from './virtual-reader.js';

/** Everything a dump header says about the machine, whichever variety is written. */
export type DumpIdentity = Pick<
  KernelDumpSpec,
  | 'buildNumber'
  | 'directoryTableBase'
  | 'pfnDataBase'
  | 'psLoadedModuleList'
  | 'psActiveProcessHead'
  | 'kdDebuggerDataBlock'
  | 'numberProcessors'
  | 'bugCheck'
  | 'context'
  | 'exception'
  | 'systemTime'
  | 'systemUpTime'
> & {
  productType: number;
  suiteMask: number;
  /** RAM runs (for DumpType 1). */
  ramRuns: { basePage: number; pageCount: number }[];
  /** PFNs the bitmap covers: highest RAM PFN + 1. */
  pfnCount: number;
};

export const MODEL_BUILD = 19041;

export function machineIdentity(m: Machine): DumpIdentity {
  return {
    buildNumber: MODEL_BUILD,
    directoryTableBase: m.dtb,
    pfnDataBase: m.pfnDataBase,
    psLoadedModuleList: m.psLoadedModuleList,
    psActiveProcessHead: m.psActiveProcessHead,
    kdDebuggerDataBlock: m.kdDebuggerDataBlock,
    numberProcessors: m.processors.length,
    bugCheck: m.bugCheck,
    context: m.crashContext,
    systemTime: m.systemTime,
    systemUpTime: m.systemUpTime,
    productType: m.profile.productType,
    suiteMask: m.profile.suiteMask,
    ramRuns: m.ramRuns,
    pfnCount: m.pfnCount,
  };
}

/** The page-class blob of a machine (per-PFN, or counts only for small dumps). */
export function machineClassBlob(m: Machine, countsOnly = false): Uint8Array {
  return encodePageClassBlob({
    encoding: countsOnly ? 'counts' : 'per-pfn',
    pfnCount: m.pfnCount,
    seed: m.seed,
    profile: m.profile.name,
    vms: m.vms,
    ramBytes: m.ramPages * 4096,
    classes: countsOnly ? undefined : m.classes,
    counts: m.classCounts(),
  });
}

export interface WriteVarietyOptions {
  identity: DumpIdentity;
  variety: Variety;
  /** Class byte per PFN: decides which pages the variety keeps. */
  classes: Uint8Array;
  /** Pages the source holds (convert); default all of `classes`. */
  available?: readonly PfnRun[];
  reader: PageReader;
  /** Exact runs to write (overrides selection: partial live dumps). */
  runs?: PfnRun[];
  /** Keep at most this many pages, lowest PFNs first (a page file too small: truncated dump). */
  maxPages?: number;
  /** Secondary-data records to append (the page-class blob first). */
  secondaryData: { guid: string; data: Uint8Array }[];
  /** Extra attribute bits (InsufficientDumpfileSize, DumpIsGeneratedOffline…). */
  extraAttributes?: number;
  comment?: string;
  /** Small dumps: the triage body. */
  triage?: TriageDumpSpec;
}

/** The writer spec of a variety (page selection included). */
export function varietySpec(o: WriteVarietyOptions): { spec: KernelDumpSpec; runs: PfnRun[] } {
  const v = o.variety;
  let runs: PfnRun[] = [];
  if (v.dumpType !== 4) {
    runs = o.runs ?? selectRuns(o.classes, inclusionTable(v), o.available);
    if (o.maxPages !== undefined && countRuns(runs) > o.maxPages) runs = limitRuns(o.classes, runs, [], o.maxPages);
  }
  const attributes = v.attributes | (o.extraAttributes ?? 0);
  const id = o.identity;
  const spec: KernelDumpSpec = {
    machine: 'amd64',
    dumpType: v.dumpType,
    buildNumber: id.buildNumber,
    directoryTableBase: id.directoryTableBase,
    pfnDataBase: id.pfnDataBase,
    psLoadedModuleList: id.psLoadedModuleList,
    psActiveProcessHead: id.psActiveProcessHead,
    kdDebuggerDataBlock: id.kdDebuggerDataBlock,
    numberProcessors: id.numberProcessors,
    bugCheck: v.bugCheck ? { code: v.bugCheck.code, parameters: [...v.bugCheck.parameters] } : id.bugCheck,
    context: id.context,
    exception: id.exception,
    systemTime: id.systemTime,
    systemUpTime: id.systemUpTime,
    productType: id.productType,
    suiteMask: id.suiteMask,
    attributes: attributes || undefined,
    comment: o.comment,
    secondaryData: o.secondaryData,
  };
  if (v.dumpType === 4) spec.triage = o.triage;
  else {
    spec.pages = pagesOf(runs, o.reader);
    spec.bitmapSignature = v.bitmapSignature;
    if (v.dumpType === 1) spec.physicalMemoryRuns = id.ramRuns;
    else spec.highestPfn = id.pfnCount - 1;
  }
  return { spec, runs };
}

export async function writeVariety(sink: ByteSink, o: WriteVarietyOptions): Promise<{ bytes: number; pages: number; runs: PfnRun[] }> {
  const { spec, runs } = varietySpec(o);
  const r = await writeKernelDump(sink, spec);
  return { ...r, runs };
}


/** Virtual reads over a modeled machine's system address space. */
export function machineVirtual(m: Machine): VirtualReader {
  return new VirtualReader((pfn) => {
    const p = new Uint8Array(4096);
    m.readPage(pfn, p);
    return p;
  }, m.dtb);
}

/** The small-dump body of a modeled machine (found by walking its structures, as convert does). */
export async function machineTriage(m: Machine): Promise<TriageDumpSpec> {
  return (await triageFromMemory(machineVirtual(m), { kdDebuggerDataBlock: m.kdDebuggerDataBlock, numberProcessors: m.processors.length, context: m.crashContext })).spec;
}
