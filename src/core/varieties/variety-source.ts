import type { ByteSink } from '../bytes/byte-sink.js';
import { MemorySink } from '../bytes/byte-sink.js';
import { Diagnostics } from '../diagnostics.js';
import { DumpError, onlyDumpError } from '../errors.js';
import type { TriageDumpSpec } from '../kernel/writer.js';
import type { Machine } from '../machine/machine.js';
import type { RuleOutcome } from './derive-classes.js';
import type { OpenedDump } from './opened-dump.js';
import { encodePageClassBlob, PAGE_CLASS_GUID } from './page-class-blob.js';
import { countRuns, type PageReader, type PfnRun } from './page-selection.js';
import { plan, type VarietyPlan } from './plan.js';
import { machineClassBlob, machineIdentity, machineTriage, writeVariety, type DumpIdentity } from './produce.js';
import { ATTR_DUMP_IS_GENERATED_OFFLINE, checkDerivable, variety, type LiveOptions, type Variety, type VarietyName } from './rules.js';
import { triageFromMemory } from './triage-from-memory.js';

/**
 * What every variety is made from: a modeled machine (`workstation:16G[:vms=N][:seed=N]`, or
 * the dump `dumpkit machine` wrote) or a real dump. Gives page classes, the pages, the header
 * identity, the secondary data each variety carries, and the small-dump body.
 */
export interface VarietySource {
  name: string;
  /** The variety the source itself is (a complete machine, or the dump's kind). */
  variety: Variety;
  classes: Uint8Array;
  available: PfnRun[] | undefined;
  ramBytes: number;
  identity: DumpIdentity;
  reader: PageReader;
  classification: 'blob' | 'model' | 'derived';
  rules?: RuleOutcome[];
  /** Profile and model facts when known. */
  profile?: string;
  secondaryFor(v: Variety): { guid: string; data: Uint8Array }[];
  triage(): Promise<TriageDumpSpec>;
  close(): Promise<void>;
}

export function fromMachine(m: Machine, name: string): VarietySource {
  return {
    name,
    variety: variety('complete'),
    classes: m.classes,
    available: undefined,
    ramBytes: m.ramPages * 4096,
    identity: machineIdentity(m),
    reader: m,
    classification: 'model',
    profile: m.profile.name,
    secondaryFor: (v) => [{ guid: PAGE_CLASS_GUID, data: machineClassBlob(m, v.dumpType === 4) }],
    triage: () => machineTriage(m),
    close: async () => undefined,
  };
}

/** A kernel dump opened by openKernelDumpForVarieties as a variety source. */
export function fromOpenedDump(d: OpenedDump): VarietySource {
  const c = d.classification;
  return {
    name: d.path,
    variety: d.variety,
    classes: d.classes,
    available: d.available,
    ramBytes: d.ramBytes,
    identity: d.identity,
    reader: d.reader,
    classification: c.from,
    rules: c.from === 'derived' ? c.rules : undefined,
    profile: c.from === 'blob' ? c.blob.profile : undefined,
    secondaryFor(v) {
      const small = v.dumpType === 4;
      const blob =
        c.from === 'blob'
          ? [{ guid: PAGE_CLASS_GUID, data: encodePageClassBlob({ ...c.blob, encoding: small ? 'counts' : c.blob.encoding, classes: small ? undefined : c.blob.classes }) }]
          : [];
      return [...blob, ...(small ? [] : d.otherSecondary)];
    },
    triage: async () =>
      (await triageFromMemory(d.vm(), { kdDebuggerDataBlock: d.identity.kdDebuggerDataBlock, numberProcessors: d.identity.numberProcessors, context: d.identity.context })).spec,
    close: () => d.close(),
  };
}

export interface WriteFromOptions {
  runs?: PfnRun[];
  maxPages?: number;
  extraAttributes?: number;
  dropSecondaryData?: boolean;
  comment?: string;
}

/** Writes variety `to` from a source (refusing to grow it). */
export async function writeFromSource(src: VarietySource, to: Variety, sink: ByteSink, o: WriteFromOptions = {}): Promise<{ bytes: number; pages: number; runs: PfnRun[] }> {
  checkDerivable(src.variety, to);
  if (to.dumpType !== 4 && src.classification === 'derived' && to.name !== 'complete') {
    const r = src.rules?.find((x) => x.rule.startsWith('kernel pages'));
    if (!r?.applied) throw new DumpError('REFUSED', `cannot tell kernel pages apart in ${src.name}: ${r?.detail ?? 'no page tables'}`);
  }
  const offline = src.classification === 'model' ? 0 : ATTR_DUMP_IS_GENERATED_OFFLINE;
  const r = await writeVariety(sink, {
    identity: src.identity,
    variety: to,
    classes: src.classes,
    available: src.available,
    reader: src.reader,
    runs: o.runs,
    maxPages: o.maxPages,
    secondaryData: o.dropSecondaryData ? [] : src.secondaryFor(to),
    extraAttributes: offline | (o.extraAttributes ?? 0),
    comment: o.comment ?? (src.classification === 'model' ? `dumpkit modeled ${src.profile} machine` : `dumpkit convert ${src.variety.name} -> ${to.name}`),
    triage: to.dumpType === 4 ? await src.triage() : undefined,
  });
  if (to.dumpType !== 4 && countRuns(r.runs) !== r.pages) throw new DumpError('IO', `writer wrote ${r.pages} pages, ${countRuns(r.runs)} selected`);
  return r;
}

/** Size of the small dump, by building it in memory; undefined when the source cannot make one. */
export async function measureSmall(src: VarietySource, diag: Diagnostics): Promise<number | undefined> {
  try {
    const sink = new MemorySink();
    return (await writeFromSource(src, variety('small'), sink)).bytes;
  } catch (e) {
    diag.add(`small dump not measured: ${onlyDumpError(e).message}`);
    return undefined;
  }
}

/** Plans every variety the source can give (those it would have to grow into are left out). */
export async function planSource(src: VarietySource, live: LiveOptions, diag: Diagnostics, only?: readonly VarietyName[]): Promise<VarietyPlan[]> {
  const names = (only ?? (['complete', 'active', 'kernel', 'automatic', 'small', 'live-full', 'live-kernel-stacks'] as VarietyName[])).filter((n) => {
    try {
      checkDerivable(src.variety, variety(n, live));
      return true;
    } catch (e) {
      onlyDumpError(e); // a refusal by the rules; anything else is a bug
      return false;
    }
  });
  const smallBytes = names.includes('small') ? await measureSmall(src, diag) : undefined;
  return plan({
    ramBytes: src.ramBytes,
    classes: src.classes,
    available: src.available,
    secondaryPayloads: (v) => src.secondaryFor(v).map((r) => r.data.length),
    smallBytes,
    live,
    only: names,
  });
}
