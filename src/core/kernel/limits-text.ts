/**
 * "What this dump can answer": limits derived from the file (dump type, attributes, bug check,
 * page coverage), phrased as the debugger would.
 */
import { hex } from '../hex.js';
import { ATTRIBUTE_LIVE_DUMP, type KernelDumpHeader } from './header.js';
import { isLiveDumpCode } from './bugcheck.js';
import type { PhysicalMemory } from './physical.js';
import type { TriageDump } from './triage.js';

/** What the limits are derived from: the facts of an opened kernel dump (a KernelDump has them all). */
export interface LimitFacts {
  dumpType: number;
  dumpTypeName: string;
  kernelOnly: boolean;
  machine: string;
  header: Pick<KernelDumpHeader, 'attributes' | 'bugCheckCode'>;
  triage: TriageDump | undefined;
  physical: PhysicalMemory | undefined;
  source: { size: number };
  /** End of the page data (or of the small dump) as the header describes it. */
  dataEnd: number;
}

export const MISSING_PAGES_HINT = 'read on anyway with --ignore-missing-pages (missing pages read as zeros, like .ignore_missing_pages)';

export function describeLimits(d: LimitFacts): string[] {
  const out: string[] = [];
  const t = d.dumpType;
  const h = d.header;
  if (t === 4) {
    const tr = d.triage!;
    const blocks = tr.regions.filter((r) => r.what === 'data block').length;
    out.push(
      `small memory dump: no physical memory; only the listed memory blocks (${blocks} data blocks) and the crashing thread's stack ` +
        `${hex(tr.header.topOfStack)}-${hex(tr.header.topOfStack + BigInt(tr.header.sizeOfCallStack))} can be read`,
    );
    out.push('no page tables: no process address space can be selected; other threads and processes are not in the dump');
    out.push(`loaded drivers come from the dump's driver list (${tr.drivers.length} entries), not from PsLoadedModuleList`);
  } else if (t === 3) {
    out.push('header-only dump: no memory at all');
  } else if (d.kernelOnly) {
    out.push(
      `kernel memory dump (${d.dumpTypeName}): only kernel address space is available; user-mode memory of processes is not in the dump, ` +
        'and switching to a user process\'s address space fails for user addresses',
    );
  } else {
    out.push(
      `complete memory dump (${d.dumpTypeName}): kernel and user address spaces can be read where their pages are present ` +
        '(a process\'s space through its DirectoryTableBase: dumpkit read --va ADDR --dtb DTB)',
    );
  }
  if (d.physical) {
    const idx = d.physical.index;
    const span = idx.pfnLimit;
    const missingInRange = span - idx.presentPages;
    if (idx.kind === 'bitmap' && missingInRange > 0) {
      out.push(`${missingInRange} of ${span} physical pages in the covered range (PFN 0-${hex(Math.max(span - 1, 0))}) are not in the dump; ${MISSING_PAGES_HINT}`);
    } else if (idx.kind === 'runs' && missingInRange > 0) {
      out.push(`physical memory outside the ${[...idx.runs()].length} stored runs (${missingInRange} pages below the highest stored page) is not in the dump; ${MISSING_PAGES_HINT}`);
    }
    const fileEnd = d.source.size;
    const readable = d.physical ? truncatedPages(d) : 0;
    if (readable > 0) out.push(`the file is truncated: ${readable} pages past the end of the file (${hex(fileEnd)}) are missing`);
  }
  const attrs = h.attributes ?? 0;
  const code = h.bugCheckCode ?? 0;
  if ((attrs & ATTRIBUTE_LIVE_DUMP) !== 0 || isLiveDumpCode(code)) {
    out.push('live kernel dump: the system kept running (not a crash); the bug check code is a live-dump reason');
  }
  if ((attrs & 0x4) !== 0) out.push('the dump file was too small when written (InsufficientDumpfileSize): pages may be missing');
  if ((attrs & 0x100) !== 0 && (attrs & 0x200) === 0) out.push('the page data is encrypted (EncryptedDumpData): memory contents cannot be read');
  if (d.machine === 'arm64') {
    out.push('ARM64: virtual addresses are translated as MemProcFS reads Windows ARM64 tables (one source, not verified on real ARM64 dumps here)');
  }
  return out;
}

function truncatedPages(d: LimitFacts): number {
  const need = d.dataEnd;
  return need > d.source.size ? Math.ceil((need - d.source.size) / 0x1000) : 0;
}
