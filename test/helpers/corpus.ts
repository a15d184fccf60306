import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';

/**
 * The shared corpus lives beside the checkout (../shared/corpus). A user's clone has none: then
 * corpus tests skip with this message. In CI (CI=true) a missing corpus is an error, not a skip.
 */
export const corpusRoot = fileURLToPath(new URL('../../../shared/corpus/', import.meta.url));
export const hasCorpus = existsSync(corpusRoot);
export const corpusSkip: string | false = hasCorpus ? false : `corpus not found at ${corpusRoot} (it sits beside the checkout in CI)`;

if (!hasCorpus && process.env.CI) {
  throw new Error(`CI=true but the corpus is missing at ${corpusRoot}`);
}

export function corpusFile(rel: string): string {
  return corpusRoot + rel;
}

/** Every corpus minidump (`<corpus>/minidump/<project>/*.dmp`), sorted; [] when the corpus is absent. */
export function corpusMinidumps(): string[] {
  const dir = `${corpusRoot}minidump/`;
  if (!existsSync(dir)) return [];
  const out: string[] = [];
  for (const d of readdirSync(dir).sort()) {
    const p = join(dir, d);
    if (statSync(p).isDirectory()) for (const f of readdirSync(p).sort()) if (f.endsWith('.dmp')) out.push(join(p, f));
  }
  return out;
}
