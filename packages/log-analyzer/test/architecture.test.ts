// Issue 22 item 8: no import cycle between files of src/, nor between its top-level folders.
// `import type` counts too: a type-only cycle still ties two modules together for a reader and
// for the next refactor, even though the emitted JavaScript drops it.
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const SRC = resolve(dirname(fileURLToPath(import.meta.url)), '../src');

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return sourceFiles(path);
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [path] : [];
  });
}

// Static `import … from`, `export … from` and side-effect `import "…"`, relative specifiers only.
const IMPORT = /(?:^|\n)\s*(?:import|export)\s(?:[^'"]*?\sfrom\s)?["'](\.{1,2}\/[^"']+)["']/g;

function importsOf(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(IMPORT)].map((m) =>
    relative(SRC, resolve(dirname(file), (m[1] ?? '').replace(/\.js$/, '.ts'))),
  );
}

/** A file's top-level folder; a file at the root of src (app.ts, main.ts) is its own node. */
function folderOf(file: string): string {
  return file.split('/')[0] ?? file;
}

/** Every strongly connected component with more than one node (Tarjan), each sorted. */
function cycles(graph: Map<string, Set<string>>): string[][] {
  const index = new Map<string, number>();
  const low = new Map<string, number>();
  const stack: string[] = [];
  const onStack = new Set<string>();
  const found: string[][] = [];
  let next = 0;
  const visit = (node: string): void => {
    index.set(node, next);
    low.set(node, next);
    next++;
    stack.push(node);
    onStack.add(node);
    for (const to of graph.get(node) ?? []) {
      if (!index.has(to)) {
        visit(to);
        low.set(node, Math.min(low.get(node) ?? 0, low.get(to) ?? 0));
      } else if (onStack.has(to)) {
        low.set(node, Math.min(low.get(node) ?? 0, index.get(to) ?? 0));
      }
    }
    if (low.get(node) === index.get(node)) {
      const component: string[] = [];
      let member: string | undefined;
      do {
        member = stack.pop();
        if (member === undefined) break;
        onStack.delete(member);
        component.push(member);
      } while (member !== node);
      if (component.length > 1) found.push(component.sort());
    }
  };
  for (const node of [...graph.keys()].sort()) if (!index.has(node)) visit(node);
  return found;
}

const files = sourceFiles(SRC).map((f) => relative(SRC, f));
const fileGraph = new Map(files.map((f) => [f, new Set(importsOf(join(SRC, f)))]));
const folderGraph = new Map<string, Set<string>>();
for (const [from, targets] of fileGraph) {
  for (const to of targets) {
    const a = folderOf(from);
    const b = folderOf(to);
    if (a === b) continue;
    folderGraph.set(a, (folderGraph.get(a) ?? new Set()).add(b));
  }
}

describe('architecture', () => {
  it('resolves every relative import to a file in src', () => {
    const missing = [...fileGraph].flatMap(([from, to]) =>
      [...to].filter((t) => !fileGraph.has(t)).map((t) => `${from} → ${t}`),
    );
    expect([]).toEqual(missing);
  });

  it('has no import cycle between files', () => {
    expect([]).toEqual(cycles(fileGraph));
  });

  it('has no import cycle between top-level folders of src', () => {
    expect([]).toEqual(cycles(folderGraph));
  });

  it('imports point down the stages: wiring, settings, exporters and sources, transforms, history, store, names', () => {
    // Data flows sources → transforms → store → exporters; imports point from every stage toward
    // the store that they feed or read, and everything may use the metric catalog below it.
    const layers = [
      ['main.ts'],
      ['app.ts', 'scan.ts'],
      ['counting.ts'],
      ['config'],
      ['cli'],
      ['export', 'sources'],
      ['rules'], // alert rules (issue 25): evaluate over history and store; export shows their state
      ['transforms'],
      ['history'],
      ['store'],
      ['metrics'],
      ['version.ts'],
    ];
    const layerOf = (folder: string) => layers.findIndex((names) => names.includes(folder));
    const unknown = [...folderGraph.keys()].filter((folder) => layerOf(folder) < 0);
    expect([]).toEqual(unknown);
    const upward = [...folderGraph].flatMap(([from, targets]) =>
      [...targets].filter((to) => layerOf(to) <= layerOf(from)).map((to) => `${from} → ${to}`),
    );
    expect([]).toEqual(upward);
  });
});
