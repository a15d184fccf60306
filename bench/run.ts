// `npm run bench`: runs every bench/<area>.ts (each exports `run()`), in one process, one after another.
// Usage: npm run bench [-- area ...]   e.g. npm run bench -- kernel capture
import { readdirSync } from 'node:fs';

const only = process.argv.slice(2);
const dir = new URL('./', import.meta.url);
const areas = readdirSync(dir)
  .filter((f) => f.endsWith('.ts') && f !== 'run.ts' && !f.startsWith('_'))
  .map((f) => f.replace(/\.ts$/, ''))
  .filter((a) => only.length === 0 || only.includes(a))
  .sort();

let failed = 0;
for (const area of areas) {
  process.stdout.write(`\n=== bench: ${area} ===\n`);
  const mod = (await import(new URL(`${area}.ts`, dir).href)) as { run?: () => Promise<void> };
  try {
    await mod.run?.();
  } catch (e) {
    failed++;
    process.stdout.write(`bench ${area} failed: ${(e as Error).message}\n`);
  }
}
process.exit(failed ? 1 : 0);
