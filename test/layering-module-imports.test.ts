/**
 * The modules under src/ import one another without a circle: each is meant to stand on its own,
 * and a circle (src/seal looking up src/media's AEAD while src/media implements src/seal's
 * interface, as it once did) ties two of them into one. Read from the sources: every
 * `from '../<module>/…'` between two folders of src/ is an edge.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { it } from 'node:test';
import { REPO } from './support/tree.js';

const SRC = join(REPO, 'src');
/** Relative imports and re-exports (`import … from`, `export … from`, `import type … from`). */
const IMPORT = /from '(\.[^']*)'/g;

/** Module (a folder of src/) → the modules its files import. */
function moduleGraph(): Map<string, Set<string>> {
  const graph = new Map<string, Set<string>>();
  for (const entry of readdirSync(SRC, { withFileTypes: true })) {
    if (!entry.isDirectory()) continue;
    const edges = new Set<string>();
    for (const file of readdirSync(join(SRC, entry.name), { recursive: true, encoding: 'utf8' })) {
      if (!file.endsWith('.ts')) continue;
      const path = join(SRC, entry.name, file);
      for (const match of readFileSync(path, 'utf8').matchAll(IMPORT)) {
        const target = relative(SRC, resolve(dirname(path), match[1] ?? '.')).split(sep)[0];
        if (target !== undefined && target !== entry.name && !target.startsWith('..')) {
          edges.add(target.replace(/\.js$/, ''));
        }
      }
    }
    graph.set(entry.name, edges);
  }
  return graph;
}

/** One circle in `graph` as a path that returns to its start, or null. */
function findCircle(graph: Map<string, Set<string>>): string[] | null {
  const state = new Map<string, 'open' | 'done'>();
  const path: string[] = [];
  const visit = (node: string): string[] | null => {
    if (state.get(node) === 'done') return null;
    if (state.get(node) === 'open') return [...path.slice(path.indexOf(node)), node];
    state.set(node, 'open');
    path.push(node);
    for (const next of graph.get(node) ?? []) {
      const found = visit(next);
      if (found !== null) return found;
    }
    path.pop();
    state.set(node, 'done');
    return null;
  };
  for (const node of graph.keys()) {
    const found = visit(node);
    if (found !== null) return found;
  }
  return null;
}

it('finds the modules and their imports', () => {
  const graph = moduleGraph();
  assert.ok(graph.size >= 10, `${graph.size} modules`);
  // src/media implements src/seal's AEAD interface, so it depends on it, and not the other way.
  assert.ok(graph.get('media')?.has('seal'));
  assert.ok(!(graph.get('seal')?.has('media') ?? true));
});

it('has no circle among the modules of src/', () => {
  const circle = findCircle(moduleGraph());
  assert.equal(circle, null, `modules that import one another in a circle: ${circle?.join(' → ')}`);
});

it('would see a circle', () => {
  const graph = new Map([
    ['a', new Set(['b'])],
    ['b', new Set(['c'])],
    ['c', new Set(['a'])],
  ]);
  assert.deepEqual(findCircle(graph), ['a', 'b', 'c', 'a']);
});
