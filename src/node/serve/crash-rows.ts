// Helpers both CrashDatabase implementations share: the module names a processed crash is found
// by, and folding (signature, version, day) counts into the API's SignatureCount.
import type { ProcessedCrash, SignatureCount } from './contract.js';

/** `\n`-separated, lower-cased module base names with a leading and trailing `\n` (searched with `\n<name>\n`). */
export function moduleNamesOf(result: ProcessedCrash): string {
  const names = new Set<string>();
  const modules = result.json.modules;
  if (Array.isArray(modules)) {
    for (const m of modules as { filename?: unknown }[]) if (typeof m.filename === 'string' && m.filename) names.add(m.filename.toLowerCase());
  }
  for (const f of result.frames) if (typeof f.module === 'string' && f.module) names.add(f.module.toLowerCase());
  return `\n${[...names].join('\n')}\n`;
}

/** One group of a `GROUP BY signature, version, day` query. */
export interface SignatureRow {
  signature: string;
  version: string;
  /** YYYY-MM-DD (UTC). */
  day: string;
  n: number;
  /** Milliseconds since 1970. */
  first: number;
  last: number;
}

/** Folds grouped rows into SignatureCounts, most frequent first, at most `limit`. */
export function signatureCounts(rows: readonly SignatureRow[], limit: number): SignatureCount[] {
  const by = new Map<string, SignatureCount>();
  for (const r of rows) {
    let s = by.get(r.signature);
    if (!s) {
      s = { signature: r.signature, count: 0, firstSeen: new Date(Number(r.first)), lastSeen: new Date(Number(r.last)), perDay: {}, perVersion: {} };
      by.set(r.signature, s);
    }
    const n = Number(r.n);
    s.count += n;
    if (Number(r.first) < s.firstSeen.getTime()) s.firstSeen = new Date(Number(r.first));
    if (Number(r.last) > s.lastSeen.getTime()) s.lastSeen = new Date(Number(r.last));
    s.perDay[r.day] = (s.perDay[r.day] ?? 0) + n;
    s.perVersion[r.version] = (s.perVersion[r.version] ?? 0) + n;
  }
  return [...by.values()].sort((a, b) => b.count - a.count || (a.signature < b.signature ? -1 : 1)).slice(0, limit);
}
