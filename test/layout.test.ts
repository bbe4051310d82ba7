/**
 * The source tree's rules, checked on every import in `src/`: which folders may depend on
 * which, and no cycles. A layout that drifts fails here with the offending import named.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { describe, it } from 'node:test';
import { fileURLToPath } from 'node:url';

const SRC = fileURLToPath(new URL('../../src/', import.meta.url));

function sourceFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) =>
    entry.isDirectory() ? sourceFiles(join(dir, entry.name)) : entry.name.endsWith('.ts') ? [join(dir, entry.name)] : [],
  );
}

/** Module → the modules of `src/` it imports (type-only imports included), as paths relative to `src/`. */
function importGraph(): Map<string, string[]> {
  const graph = new Map<string, string[]>();
  for (const file of sourceFiles(SRC)) {
    const text = readFileSync(file, 'utf8');
    const specifiers = [...text.matchAll(/(?:from|import)\s*\(?\s*'(\.{1,2}\/[^']+)'/g)].map((m) => m[1]!);
    const targets = specifiers.map((s) => relative(SRC, resolve(dirname(file), s)).replace(/\.js$/, '.ts'));
    graph.set(relative(SRC, file), targets);
  }
  return graph;
}

const graph = importGraph();

/** Every module reachable from `start`. */
function reachable(start: string): Set<string> {
  const seen = new Set<string>();
  const visit = (module: string) => {
    for (const next of graph.get(module) ?? []) {
      if (seen.has(next)) continue;
      seen.add(next);
      visit(next);
    }
  };
  visit(start);
  return seen;
}

const within = (folder: string) => (module: string) => module.startsWith(`${folder}/`);
const modules = [...graph.keys()];

/** Imports from `from` modules that reach `to` modules, directly or (with `transitive`) through others. */
function violations(from: (m: string) => boolean, to: (m: string) => boolean, transitive = false): string[] {
  return modules
    .filter(from)
    .flatMap((m) => [...(transitive ? reachable(m) : graph.get(m)!)].filter(to).map((target) => `${m} -> ${target}`));
}

describe('source layout', () => {
  it('finds the modules it checks, and every import resolves to one', () => {
    assert.ok(modules.length > 40, `${modules.length} modules found under ${SRC}`);
    const dangling = modules.flatMap((m) => graph.get(m)!.filter((t) => !graph.has(t)).map((t) => `${m} -> ${t}`));
    assert.deepEqual(dangling, []);
  });

  it('has no import cycles', () => {
    const cycles = modules.filter((m) => reachable(m).has(m));
    assert.deepEqual(cycles, []);
  });

  it('keeps util/ and manifest/ at the bottom', () => {
    const base = (m: string) => within('util')(m) || m === 'errors.ts';
    assert.deepEqual(violations(within('util'), (t) => !within('util')(t)), []);
    assert.deepEqual(violations(within('manifest'), (t) => !within('manifest')(t) && !base(t)), []);
  });

  it('keeps triggers away from the executor, capabilities and key-value', () => {
    const forbidden = (t: string) => within('executor')(t) || within('capabilities')(t) || within('kv')(t);
    assert.deepEqual(violations(within('triggers'), forbidden, true), []);
  });

  it('keeps the executor, through everything it imports, away from brokers, key-value, Redis and triggers', () => {
    const forbidden = (t: string) => ['brokers', 'kv', 'redis', 'triggers'].some((f) => within(f)(t));
    assert.deepEqual(violations(within('executor'), forbidden, true), []);
  });

  it('keeps the capability contract free of anything that opens a connection', () => {
    assert.deepEqual([...reachable('capabilities/contract.ts')], []);
  });

  it('keeps the executor\'s three lifetimes apart: loading, the thread boundary, and worker code', () => {
    const load = within('executor/load');
    const pool = within('executor/pool');
    const worker = within('executor/worker');
    assert.deepEqual(violations(load, (t) => pool(t) || worker(t)), []);
    assert.deepEqual(violations(pool, (t) => load(t) || worker(t)), []);
    assert.deepEqual(violations(worker, (t) => load(t) || t === 'executor/pool/worker-pool.ts' || t === 'executor/executor.ts'), []);
  });

  it('keeps observability/ fed by what the app hands it, never reaching into brokers, triggers or the executor', () => {
    const allowed = (t: string) =>
      within('observability')(t) || within('util')(t) || ['errors.ts', 'event.ts', 'log.ts', 'capabilities/contract.ts'].includes(t);
    assert.deepEqual(violations(within('observability'), (t) => !allowed(t)), []);
  });

  it('lets only the top level import the top level', () => {
    const top = (m: string) => !m.includes('/') && !['errors.ts', 'event.ts', 'log.ts'].includes(m);
    assert.deepEqual(violations((m) => m.includes('/') && !within('build')(m), top), []);
  });
});
