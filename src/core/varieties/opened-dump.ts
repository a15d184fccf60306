import type { ByteSource } from '../bytes/byte-source.js';
import { detectFormat } from '../detect.js';
import { Diagnostics } from '../diagnostics.js';
import { DumpError } from '../errors.js';
import { hex } from '../hex.js';
import { DUMP_HEADER64 } from '../kernel/header.js';
import { KernelDump } from '../kernel/kernel-dump.js';
import { deriveClasses, type RuleOutcome } from './derive-classes.js';
import { NOT_RAM } from './page-class.js';
import { decodePageClassBlob, MAX_BLOB_PFNS, PAGE_CLASS_GUID, type PageClassBlob } from './page-class-blob.js';
import type { PageReader, PfnRun } from './page-selection.js';
import type { DumpIdentity } from './produce.js';
import { ATTR_FILTER_DUMP_FILE, ATTR_LIVE_DUMP_GENERATED, variety, type Variety } from './rules.js';
import { VirtualReader } from './virtual-reader.js';

/**
 * A kernel dump opened for convert/plan/crash/live (and the browser viewer): its pages, its
 * classification, its identity. The source must read synchronously (readSync and readSyncInto:
 * a file, or a Blob in a Web Worker through FileReaderSync).
 */
export interface OpenedDump {
  /** The dump's name in messages (a path, a file name). */
  path: string;
  source: ByteSource;
  dump: KernelDump;
  /** The variety the file is (by DumpType and attributes). */
  variety: Variety;
  classes: Uint8Array;
  /** Where the classification came from. */
  classification: { from: 'blob'; blob: PageClassBlob } | { from: 'derived'; rules: RuleOutcome[] };
  /** Present pages of the dump (undefined for small dumps). */
  available: PfnRun[] | undefined;
  identity: DumpIdentity;
  reader: PageReader;
  /** Secondary-data records other than the page-class blob (carried over by convert). */
  otherSecondary: { guid: string; data: Uint8Array }[];
  ramBytes: number;
  vm(): VirtualReader;
  close(): Promise<void>;
}

const MAX_CARRIED_SECONDARY = 256 * 1024 * 1024;

export function varietyOfDump(dumpType: number, attributes: number | undefined): Variety {
  const a = attributes ?? 0;
  if (dumpType === 1) return variety('complete');
  if (dumpType === 5) return a & ATTR_FILTER_DUMP_FILE ? variety('active') : variety('complete');
  if (dumpType === 6) return a & ATTR_LIVE_DUMP_GENERATED ? variety('live-full') : variety('kernel');
  if (dumpType === 4) return variety('small');
  throw new DumpError('UNSUPPORTED', `DumpType ${dumpType} cannot be converted (dumpkit reads it, but converts only types 1, 4, 5 and 6)`);
}

/** Opens a kernel dump from `source` (named `path` in messages); closing the result closes the source. */
export async function openKernelDumpForVarieties(source: ByteSource, path: string, diag = new Diagnostics()): Promise<OpenedDump> {
  if (!source.readSync || !source.readSyncInto) throw new DumpError('UNSUPPORTED', `${path}: converting and planning need synchronous reads, which ${source.name} has not`);
  const readSyncInto = source.readSyncInto.bind(source);
  if ((await detectFormat(source)) === 'minidump') {
    throw new DumpError('UNSUPPORTED', `${path} is a user-mode minidump: plan, crash and live take a kernel dump or a machine spec (convert handles minidumps)`);
  }
  const dump = await KernelDump.open(source, diag);
  const h = dump.header;
  if (!h.is64 || dump.machine !== 'amd64') throw new DumpError('UNSUPPORTED', `${path}: only x64 (PAGEDU64, AMD64) kernel dumps can be converted or planned`);
  const v = varietyOfDump(h.dumpType, h.attributes);
  const phys = dump.physical;
  const available = phys ? [...phys.runs()].map((r) => ({ first: r.firstPfn, count: r.count })) : undefined;

  // Secondary data: our page-class blob, and the rest (kept on convert).
  let blob: PageClassBlob | undefined;
  const otherSecondary: { guid: string; data: Uint8Array }[] = [];
  let carried = 0;
  for (const rec of dump.secondaryData?.records ?? []) {
    if (rec.guid.toUpperCase() === PAGE_CLASS_GUID) {
      if (rec.size > MAX_BLOB_PFNS + 0x1000) throw new DumpError('COUNT_TOO_LARGE', `page-class blob of ${rec.size} bytes is over the cap`, { offset: rec.offset, length: rec.size });
      blob = decodePageClassBlob((await source.read(rec.offset, rec.size)).slice(), rec.offset, diag);
    } else if (carried + rec.size <= MAX_CARRIED_SECONDARY) {
      otherSecondary.push({ guid: rec.guid, data: (await source.read(rec.offset, rec.size)).slice() });
      carried += rec.size;
    } else diag.add(`secondary data record ${rec.guid} (${rec.size} bytes) not carried over: over 256 MiB in total`);
  }

  const readPhys = (pfn: number): Uint8Array => {
    if (!phys) throw new DumpError('LIMIT', 'a small memory dump holds no physical memory');
    return phys.readPageSync(pfn);
  };
  const pfnCount = blob?.classes ? blob.pfnCount : phys ? phys.index.pfnLimit : 0;
  const reader: PageReader = {
    readPage(pfn, into) {
      into.set(readPhys(pfn));
    },
    readPages(first, count, into) {
      const idx = phys!.index;
      let i = 0;
      while (i < count) {
        // Extend over PFNs whose pages are consecutive in the file: one read for the lot.
        const off = idx.pageOffset(first + i);
        if (off < 0) throw new DumpError('ADDRESS_NOT_IN_DUMP', `PFN ${hex(first + i)} is not in ${path}`);
        let n = 1;
        while (i + n < count && idx.pageOffset(first + i + n) === off + n * 4096) n++;
        const len = n * 4096;
        readSyncInto(off, into.subarray(i * 4096, i * 4096 + len));
        i += n;
      }
    },
  };

  let classes: Uint8Array;
  let classification: OpenedDump['classification'];
  if (blob?.classes) {
    classes = blob.classes;
    classification = { from: 'blob', blob };
  } else if (phys) {
    const derived = await deriveClasses({
      pfnCount,
      dtb: dump.directoryTableBase,
      psActiveProcessHead: h.psActiveProcessHead,
      readPhys,
      hasPage: (pfn) => phys.hasPage(pfn),
    });
    classes = derived.classes;
    classification = { from: 'derived', rules: derived.rules };
  } else {
    classes = new Uint8Array(0);
    classification = { from: 'derived', rules: [{ rule: 'page classes', applied: false, detail: 'a small dump holds no physical pages' }] };
  }

  const ramRuns = ramRunsOf(classes, h.physicalMemoryBlock?.runs, available);
  const exc = await source.read(DUMP_HEADER64.Exception, 0x98);
  const identity: DumpIdentity = {
    buildNumber: h.minorVersion ?? 19041,
    directoryTableBase: h.directoryTableBase,
    pfnDataBase: h.pfnDataBase ?? 0n,
    psLoadedModuleList: h.psLoadedModuleList ?? 0n,
    psActiveProcessHead: h.psActiveProcessHead ?? 0n,
    kdDebuggerDataBlock: h.kdDebuggerDataBlock ?? 0n,
    numberProcessors: h.numberProcessors ?? 1,
    bugCheck: { code: h.bugCheckCode ?? 0, parameters: h.bugCheckParameters },
    context: h.contextBytes.slice(0, 0x4d0),
    exception: exc.slice(),
    systemTime: h.systemTime ?? 0n,
    systemUpTime: h.systemUpTime ?? 0n,
    productType: h.productType ?? 1,
    suiteMask: h.suiteMask ?? 0x110,
    ramRuns,
    pfnCount: Math.max(pfnCount, 1),
  };
  const ramBytes = blob ? blob.ramBytes : ramRuns.reduce((s, r) => s + r.pageCount, 0) * 4096;
  return {
    path,
    source,
    dump,
    variety: v,
    classes,
    classification,
    available,
    identity,
    reader,
    otherSecondary,
    ramBytes,
    vm: () => new VirtualReader(readPhys, dump.directoryTableBase),
    async close() {
      await source.close?.();
    },
  };
}

/** RAM runs: from the classification (non-NOT_RAM PFNs), else the header runs, else the present pages. */
function ramRunsOf(classes: Uint8Array, headerRuns: { basePage: number; pageCount: number }[] | undefined, available: PfnRun[] | undefined): { basePage: number; pageCount: number }[] {
  const runs: { basePage: number; pageCount: number }[] = [];
  if (classes.length && classes.includes(NOT_RAM)) {
    let start = -1;
    for (let p = 0; p <= classes.length; p++) {
      const ram = p < classes.length && classes[p] !== NOT_RAM;
      if (ram && start < 0) start = p;
      else if (!ram && start >= 0) {
        runs.push({ basePage: start, pageCount: p - start });
        start = -1;
      }
    }
    return runs;
  }
  if (headerRuns?.length) return headerRuns.map((r) => ({ basePage: Number(r.basePage), pageCount: Number(r.pageCount) }));
  return (available ?? []).map((r) => ({ basePage: r.first, pageCount: r.count }));
}
