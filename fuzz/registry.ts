/** Fuzz targets: every fuzz/targets/<name>.ts exporting `target` (adding a target is adding a file). */
import { readdirSync } from 'node:fs';
import type { FuzzTarget } from './types.js';

const dir = new URL('./targets/', import.meta.url);

export function targetNames(): string[] {
  return readdirSync(dir)
    .filter((f) => f.endsWith('.ts'))
    .map((f) => f.replace(/\.ts$/, ''))
    .sort();
}

export function targetUrl(name: string): string {
  if (!targetNames().includes(name)) throw new Error(`no fuzz target '${name}' (have: ${targetNames().join(', ')})`);
  return new URL(`${name}.ts`, dir).href;
}

export async function loadTarget(name: string): Promise<FuzzTarget> {
  const mod = (await import(targetUrl(name))) as { target?: FuzzTarget };
  if (!mod.target) throw new Error(`fuzz/targets/${name}.ts exports no \`target\``);
  return mod.target;
}
