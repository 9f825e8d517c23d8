// The architecture, checked: the import graph of src/ (static, dynamic and
// type-only imports alike) has no cycle, and no folder imports from a floor
// above it: tensor < nn, data, dist < nas < spaces < search < report < cli < index.ts.
// Tests and test helpers may reach up (they build fixtures) and are left out.
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

function repoRoot(): string {
  let d = dirname(fileURLToPath(import.meta.url));
  while (!existsSync(join(d, 'package.json'))) d = dirname(d);
  return d;
}
const SRC = join(repoRoot(), 'src');

const FLOOR: Record<string, number> = { tensor: 0, nn: 1, data: 1, dist: 1, nas: 2, spaces: 3, search: 4, report: 5, cli: 6, '.': 7 };

const isTestFile = (f: string) => f.endsWith('.test.ts') || f.endsWith('test-util.ts');

function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((n) => {
    const p = join(dir, n);
    return statSync(p).isDirectory() ? sources(p) : p.endsWith('.ts') && !p.endsWith('.d.ts') && !isTestFile(p) ? [p] : [];
  });
}

/** Relative specifiers of every import, export-from and import() in a file. */
export function importsOf(text: string): string[] {
  const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '');
  const out: string[] = [];
  const re = /(?:\bimport\s*(?:type\s+)?(?:[\w*{}\s,$]+\s+from\s+)?|\bexport\s+(?:type\s+)?[\w*{}\s,$]+\s+from\s+|\bimport\s*\(\s*)['"](\.[^'"]+)['"]/g;
  for (const m of code.matchAll(re)) out.push(m[1]);
  return out;
}

function folderOf(file: string): string {
  const rel = relative(SRC, file).split(sep);
  return rel.length === 1 ? '.' : rel[0];
}

function graph(): Map<string, string[]> {
  const g = new Map<string, string[]>();
  for (const f of sources(SRC)) {
    const deps = importsOf(readFileSync(f, 'utf8')).map((s) => resolve(dirname(f), s.replace(/\.js$/, '.ts')));
    g.set(f, deps.filter((d) => !isTestFile(d)));
  }
  return g;
}

test('layering: every import stays on its floor or goes down (tensor < nn, data, dist < nas < spaces < search < report < cli)', () => {
  const bad: string[] = [];
  for (const [f, deps] of graph()) {
    const from = folderOf(f);
    assert.ok(from in FLOOR, `${relative(SRC, f)}: folder '${from}' has no floor; add it to FLOOR`);
    for (const d of deps) {
      assert.ok(existsSync(d), `${relative(SRC, f)} imports ${relative(SRC, d)}, which does not exist`);
      const to = folderOf(d);
      const up = FLOOR[to] > FLOOR[from] || (FLOOR[to] === FLOOR[from] && to !== from);
      if (up) bad.push(`${relative(SRC, f)} -> ${relative(SRC, d)}`);
    }
  }
  assert.deepEqual(bad, [], `imports from a lower floor to a higher one (or across nn/data):\n${bad.join('\n')}`);
});

test('layering: nas/ never imports from spaces/', () => {
  const hits = [...graph()].filter(([f]) => folderOf(f) === 'nas').flatMap(([f, deps]) => deps.filter((d) => folderOf(d) === 'spaces').map((d) => `${relative(SRC, f)} -> ${relative(SRC, d)}`));
  assert.deepEqual(hits, []);
});

test('layering: the import graph of src/ has no cycle', () => {
  const g = graph();
  const state = new Map<string, 'open' | 'done'>();
  const cycles: string[] = [];
  const visit = (f: string, path: string[]): void => {
    if (state.get(f) === 'done') return;
    if (state.get(f) === 'open') {
      cycles.push([...path.slice(path.indexOf(f)), f].map((x) => relative(SRC, x)).join(' -> '));
      return;
    }
    state.set(f, 'open');
    for (const d of g.get(f) ?? []) visit(d, [...path, f]);
    state.set(f, 'done');
  };
  for (const f of g.keys()) visit(f, []);
  assert.deepEqual(cycles, [], `import cycles:\n${cycles.join('\n')}`);
});

test('layering: the import scanner sees every import form (so the checks above can fail)', () => {
  const text = [
    "import { a } from './a.js';",
    "import type { B } from '../b.js';",
    "import './side.js';",
    "export * from './c.js';",
    "export { d, type E } from './d.js';",
    "const m = await import('../m.js');",
    "// import { x } from './commented.js';",
    "import fs from 'node:fs';",
  ].join('\n');
  assert.deepEqual(importsOf(text), ['./a.js', '../b.js', './side.js', './c.js', './d.js', '../m.js']);
});
