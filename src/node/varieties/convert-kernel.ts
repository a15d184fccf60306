import type { ByteSink } from '../../core/bytes/byte-sink.js';
import { DumpError } from '../../core/errors.js';
import { PAGE_CLASS_GUID, encodePageClassBlob } from '../../core/varieties/page-class-blob.js';
import { countRuns, type PfnRun } from '../../core/varieties/page-selection.js';
import { writeVariety } from '../../core/varieties/produce.js';
import { ATTR_DUMP_IS_GENERATED_OFFLINE, checkDerivable, type Variety } from '../../core/varieties/rules.js';
import { triageFromMemory } from '../../core/varieties/triage-from-memory.js';
import type { OpenedDump } from './open-dump.js';

export interface ConvertResult {
  from: string;
  to: string;
  bytes: number;
  pages: number;
  runs: PfnRun[];
  classification: 'blob' | 'derived';
}

/** The page-class blob a derived dump carries: the source's, per-PFN (counts only in small dumps). */
function blobFor(src: OpenedDump, to: Variety): { guid: string; data: Uint8Array }[] {
  if (src.classification.from !== 'blob') return [];
  const b = src.classification.blob;
  return [{ guid: PAGE_CLASS_GUID, data: encodePageClassBlob({ ...b, encoding: to.dumpType === 4 ? 'counts' : b.encoding, classes: to.dumpType === 4 ? undefined : b.classes }) }];
}

/**
 * Writes `to` from an opened kernel dump: the pages the variety keeps, copied in runs from the
 * source file; or, for a small dump, the triage body found through KDBG. Refuses to grow.
 */
export async function convertKernelDump(src: OpenedDump, to: Variety, sink: ByteSink, opts: { maxPages?: number; extraAttributes?: number; runs?: PfnRun[] } = {}): Promise<ConvertResult> {
  checkDerivable(src.variety, to);
  if (to.dumpType !== 4 && src.classification.from === 'derived' && to.name !== 'complete') {
    const r = src.classification.rules.find((x) => x.rule.startsWith('kernel pages'));
    if (!r?.applied) throw new DumpError('REFUSED', `cannot tell kernel pages apart in ${src.path}: ${r?.detail ?? 'no page tables'}`);
  }
  const triage = to.dumpType === 4 ? (await triageFromMemory(src.vm(), { kdDebuggerDataBlock: src.identity.kdDebuggerDataBlock, numberProcessors: src.identity.numberProcessors, context: src.identity.context })).spec : undefined;
  const r = await writeVariety(sink, {
    identity: src.identity,
    variety: to,
    classes: src.classes,
    available: src.available,
    reader: src.reader,
    runs: opts.runs,
    maxPages: opts.maxPages,
    secondaryData: [...blobFor(src, to), ...(to.dumpType === 4 ? [] : src.otherSecondary)],
    extraAttributes: ATTR_DUMP_IS_GENERATED_OFFLINE | (opts.extraAttributes ?? 0),
    comment: `dumpkit convert ${src.variety.name} -> ${to.name}`,
    triage,
  });
  if (to.dumpType !== 4 && countRuns(r.runs) !== r.pages) throw new DumpError('IO', `writer wrote ${r.pages} pages, ${countRuns(r.runs)} selected`);
  return { from: src.variety.name, to: to.name, bytes: r.bytes, pages: r.pages, runs: r.runs, classification: src.classification.from };
}
