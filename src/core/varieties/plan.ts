import { hex } from '../hex.js';
import type { PageClass } from './page-class.js';
import { DEFAULT_LIVE_OPTIONS, VARIETY_NAMES, inclusionTable, variety, type LiveOptions, type Variety, type VarietyName } from './rules.js';
import { classCountsOf, countRuns, selectRuns, type PfnRun } from './page-selection.js';
import { pageDumpBytes, secondaryDataBytes } from './sizes.js';

export const MIB = 1024 * 1024;
/** Complete dumps: RAM + 1 MiB of header + up to 256 MiB of secondary data must fit the page file. */
export const COMPLETE_HEADER_ALLOWANCE = MIB;
export const SECONDARY_DATA_CAP = 256 * MIB;

/** What a plan is computed from: a classification and the machine's size. */
export interface PlanInput {
  ramBytes: number;
  /** Class byte per PFN (highest PFN + 1 entries). */
  classes: Uint8Array;
  /** Pages the source holds (a dump's present pages); default every RAM page. */
  available?: readonly PfnRun[];
  /** Payload sizes of the secondary-data records each dump carries (e.g. the page-class blob). */
  secondaryPayloads: (v: Variety) => number[];
  /** Bytes of the small dump, measured by building it (the triage writer decides its layout). */
  smallBytes?: number;
  live?: LiveOptions;
  /** Varieties to plan (default all). */
  only?: readonly VarietyName[];
}

export interface VarietyPlan {
  name: VarietyName;
  dumpType: number;
  bytes: number;
  pageFileBytes: number;
  /** Free physical memory a live dump needs to hold its copy (live varieties). */
  memoryBytes?: number;
  pages: Partial<Record<PageClass, number>>;
  runs: PfnRun[];
  note?: string;
}

export function pageFileRequirement(v: Variety, bytes: number, ramBytes: number, secondaryBytes: number): number {
  switch (v.pageFile.kind) {
    case 'ram-plus-header':
      return ramBytes + COMPLETE_HEADER_ALLOWANCE + Math.min(SECONDARY_DATA_CAP, secondaryBytes);
    case 'dump-size':
    case 'automatic':
      return bytes;
    case 'fixed':
      return v.pageFile.bytes;
    case 'none':
      return 0;
  }
}

export function planVariety(input: PlanInput, name: VarietyName): VarietyPlan {
  const v = variety(name, input.live ?? DEFAULT_LIVE_OPTIONS);
  const pfnCount = input.classes.length;
  const secondary = input.secondaryPayloads(v);
  const secondaryBytes = secondaryDataBytes(secondary);
  if (v.dumpType === 4) {
    const bytes = input.smallBytes ?? 0;
    return {
      name,
      dumpType: 4,
      bytes,
      pageFileBytes: pageFileRequirement(v, bytes, input.ramBytes, secondaryBytes),
      pages: {},
      runs: [],
      note: input.smallBytes === undefined ? 'small dump size not measured' : undefined,
    };
  }
  const runs = selectRuns(input.classes, inclusionTable(v), input.available);
  const pages = countRuns(runs);
  const bytes = pageDumpBytes(v.dumpType, pages, pfnCount, secondaryBytes);
  const plan: VarietyPlan = {
    name,
    dumpType: v.dumpType,
    bytes,
    pageFileBytes: pageFileRequirement(v, bytes, input.ramBytes, secondaryBytes),
    pages: classCountsOf(input.classes, runs),
    runs,
  };
  if (v.pageFile.kind === 'none') plan.memoryBytes = pages * 4096;
  if (v.pageFile.kind === 'automatic') plan.note = 'a system-managed page file smaller than this grows to at least RAM after the crash';
  return plan;
}

export function plan(input: PlanInput): VarietyPlan[] {
  return (input.only ?? VARIETY_NAMES).map((n) => planVariety(input, n));
}

/** The JSON shape of `dumpkit plan --json`. */
export function planJson(plans: readonly VarietyPlan[], ramBytes: number): unknown {
  return {
    ramBytes,
    varieties: plans.map((p) => ({
      name: p.name,
      dumpType: p.dumpType,
      bytes: p.bytes,
      pageFileBytes: p.pageFileBytes,
      ...(p.memoryBytes !== undefined ? { memoryBytes: p.memoryBytes } : {}),
      pages: p.pages,
      ...(p.note ? { note: p.note } : {}),
    })),
  };
}

export function formatBytes(n: number): string {
  if (n >= 1024 * MIB) return `${(n / (1024 * MIB)).toFixed(2)} GiB`;
  if (n >= MIB) return `${(n / MIB).toFixed(1)} MiB`;
  if (n >= 1024) return `${(n / 1024).toFixed(1)} KiB`;
  return `${n} B`;
}

/** The human table of `dumpkit plan`. */
export function formatPlan(plans: readonly VarietyPlan[], ramBytes: number): string {
  const rows = [['variety', 'type', 'size', 'page file needed', 'pages', 'largest classes']];
  for (const p of plans) {
    const top = Object.entries(p.pages)
      .sort((a, b) => b[1] - a[1])
      .slice(0, 3)
      .map(([c, n]) => `${c} ${n}`)
      .join(', ');
    const total = Object.values(p.pages).reduce((s, n) => s + n, 0);
    rows.push([
      p.name,
      String(p.dumpType),
      p.dumpType === 4 && p.note ? 'not measured' : formatBytes(p.bytes),
      p.pageFileBytes === 0 ? (p.memoryBytes !== undefined ? `none (needs ${formatBytes(p.memoryBytes)} free RAM)` : 'none') : formatBytes(p.pageFileBytes),
      String(total),
      top,
    ]);
  }
  const widths = rows[0]!.map((_, i) => Math.max(...rows.map((r) => r[i]!.length)));
  const lines = rows.map((r) => r.map((c, i) => c.padEnd(widths[i]!)).join('  ').trimEnd());
  lines.splice(1, 0, widths.map((w) => '-'.repeat(w)).join('  '));
  return `RAM ${formatBytes(ramBytes)} (${hex(ramBytes)} bytes)\n${lines.join('\n')}`;
}

