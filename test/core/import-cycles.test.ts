// No import cycles in src/ — type-only imports included: a cycle of types still ties two files
// together (neither can be read, moved or split without the other).
import { strict as assert } from 'node:assert';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { test } from 'node:test';
import { fileURLToPath } from 'node:url';

const srcRoot = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const p = join(dir, name);
    return statSync(p).isDirectory() ? sourceFiles(p) : name.endsWith('.ts') ? [p] : [];
  });
}

/** Relative specifiers of every `import … from` / `export … from` / `import('…')` in a file, resolved to .ts paths. */
function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  const out: string[] = [];
  for (const m of text.matchAll(/(?:\bfrom\s+|\bimport\s*\(\s*|^import\s+)['"](\.{1,2}\/[^'"]+)['"]/gm)) {
    out.push(resolve(dirname(file), m[1]!.replace(/\.js$/, '.ts')));
  }
  return out;
}

/** Every cycle's members, as one sorted list per strongly connected component of more than one file. */
function cycles(edges: Map<string, string[]>): string[][] {
  let counter = 0;
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const out: string[][] = [];
  const visit = (v: string): void => {
    index.set(v, counter);
    low.set(v, counter++);
    stack.push(v);
    onStack.add(v);
    for (const w of edges.get(v) ?? []) {
      if (!edges.has(w)) continue;
      if (!index.has(w)) {
        visit(w);
        low.set(v, Math.min(low.get(v)!, low.get(w)!));
      } else if (onStack.has(w)) low.set(v, Math.min(low.get(v)!, index.get(w)!));
    }
    if (low.get(v) === index.get(v)) {
      const component: string[] = [];
      let w: string;
      do {
        w = stack.pop()!;
        onStack.delete(w);
        component.push(w);
      } while (w !== v);
      if (component.length > 1) out.push(component.sort());
    }
  };
  for (const f of edges.keys()) if (!index.has(f)) visit(f);
  return out;
}

test('the cycle finder reports a cycle and nothing that merely leads into it', () => {
  const g = new Map([['a', ['b']], ['b', ['a']], ['c', ['a']], ['d', []]]);
  assert.deepEqual(cycles(g), [['a', 'b']]);
  assert.ok(importsOf(join(srcRoot, 'core/kernel/kernel-dump.ts')).some((f) => f.endsWith('/header.ts')), 'imports are found');
});

test('src/ has no import cycles, type-only imports included', () => {
  const files = sourceFiles(srcRoot);
  const graph = new Map(files.map((f) => [relative(srcRoot, f), importsOf(f).map((t) => relative(srcRoot, t))]));
  assert.deepEqual(cycles(graph), []);
});
