/**
 * Reads a manifest: TOML → (a Spin manifest translated, see `spin.ts`) → schema → cross-field
 * checks → paths resolved against the manifest's directory → the checks its users add. Every problem found is reported at once, each naming
 * the field path.
 *
 * This layer knows the manifest alone. What only a trigger or a capability can judge (a
 * route's syntax, a cron expression, an outbound host) is checked by that trigger or
 * capability, passed in as `checks` by the layer that knows them all (`src/app-manifest.ts`).
 */
import { readFile, stat } from 'node:fs/promises';
import { dirname, resolve } from 'node:path';
import { parse as parseToml } from 'smol-toml';
import type { z } from 'zod';
import { ManifestError, type ManifestProblem } from '../errors.js';
import { escapes } from '../util/paths.js';
import { manifestSchema, type Manifest } from './schema.js';
import { isSpinManifest, spinTemplateProblem, translateSpinManifest } from './spin.js';
import { variableReferences } from './variables.js';

/** A validated manifest with every path made absolute. */
export interface LoadedManifest {
  /** The manifest file as given. */
  file: string;
  /** The directory relative paths in the manifest are resolved against. */
  dir: string;
  manifest: Manifest;
  /** What is allowed but likely a mistake: a component's file or grant outside `dir`. */
  warnings: ManifestProblem[];
}

/** A check of a whole manifest, by a layer above this one. */
export type ManifestCheck = (manifest: Manifest) => ManifestProblem[];

export interface LoadOptions {
  /** Check that component files exist. `spindle build` turns it off: it is about to make them. */
  checkSources?: boolean;
  /** Further checks, run on the manifest with its paths resolved. */
  checks?: ManifestCheck[];
}

/** Loads and validates `file`. Throws a `ManifestError` listing every problem. */
export async function readManifest(file: string, options: LoadOptions = {}): Promise<LoadedManifest> {
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (cause) {
    throw new ManifestError(file, [{ path: '', message: `cannot read the manifest (${(cause as NodeJS.ErrnoException).code ?? cause})` }], { cause });
  }
  return parseManifestText(text, file, options);
}

/** Validates manifest `text` as if read from `file`. */
export async function parseManifestText(text: string, file: string, options: LoadOptions = {}): Promise<LoadedManifest> {
  let data: unknown;
  try {
    data = parseToml(text);
  } catch (cause) {
    const e = cause as { line?: number; column?: number; message: string };
    const where = e.line ? `line ${e.line}, column ${e.column}` : '';
    const template = spinTemplateProblem(text);
    throw new ManifestError(file, [{ path: where, message: template ?? `invalid TOML: ${e.message.split('\n')[0]}` }], { cause });
  }

  const dir = dirname(resolve(file));
  let fieldPath = (path: string) => path;
  const translationWarnings: ManifestProblem[] = [];
  if (isSpinManifest(data as Record<string, unknown>)) {
    const spin = await translateSpinManifest(data as Record<string, unknown>, dir);
    if (spin.problems.length > 0) throw new ManifestError(file, spin.problems);
    data = spin.data;
    fieldPath = spin.spinPath;
    translationWarnings.push(...spin.warnings);
  }

  // A manifest is parsed once per start: zod's fast path would generate and compile a parser
  // for every object schema first (about half of the parse, on the way to the first request).
  const parsed = manifestSchema.safeParse(data, {
    jitless: true,
    error: (issue) => (issue.input === undefined && issue.code === 'invalid_type' ? 'missing required field' : undefined),
  });
  if (!parsed.success) throw new ManifestError(file, parsed.error.issues.map(toProblem).map((p) => ({ ...p, path: fieldPath(p.path) })));

  const manifest = resolvePaths(parsed.data, dir);
  const problems = [
    ...crossCheck(manifest),
    ...(options.checks ?? []).flatMap((check) => check(manifest)),
    ...(options.checkSources === false ? [] : await checkFiles(manifest)),
  ].map((p) => ({ ...p, path: fieldPath(p.path) }));
  if (problems.length > 0) throw new ManifestError(file, problems);
  const warnings = [...translationWarnings, ...(await pathsOutside(manifest, dir)).map((p) => ({ ...p, path: fieldPath(p.path) }))];
  return { file, dir, manifest, warnings };
}

function formatPath(path: ReadonlyArray<PropertyKey>): string {
  let out = '';
  for (const key of path) {
    if (typeof key === 'number') out += `[${key}]`;
    else out += out ? `.${String(key)}` : String(key);
  }
  return out;
}

function toProblem(issue: z.core.$ZodIssue): ManifestProblem {
  const path = formatPath(issue.path);
  if (issue.code === 'unrecognized_keys') {
    const keys = issue.keys.map((k) => `"${k}"`).join(', ');
    return { path, message: `unknown field${issue.keys.length > 1 ? 's' : ''} ${keys}` };
  }
  // A record's key is checked by its own schema; its message says what a key must be.
  if (issue.code === 'invalid_key' && issue.issues[0]) return { path, message: issue.issues[0].message };
  return { path, message: issue.message.replace(/^Invalid input: /, '') };
}

function resolvePaths(manifest: Manifest, dir: string): Manifest {
  const component = Object.fromEntries(
    Object.entries(manifest.component).map(([id, c]) => [
      id,
      {
        ...c,
        source: resolve(dir, c.source),
        files: c.files.map((f) => ({ ...f, source: resolve(dir, f.source) })),
        build: c.build && { ...c.build, source: resolve(dir, c.build.source), ...(c.build.wit === undefined ? {} : { wit: resolve(dir, c.build.wit) }) },
        dependencies: Object.fromEntries(
          Object.entries(c.dependencies).map(([key, d]) => [key, d.path === undefined ? d : { ...d, path: resolve(dir, d.path) }]),
        ),
      },
    ]),
  );
  return { ...manifest, component };
}

function crossCheck(manifest: Manifest): ManifestProblem[] {
  const problems: ManifestProblem[] = [];
  const components = new Set(Object.keys(manifest.component));

  for (const [kind, entries] of Object.entries(manifest.trigger)) {
    entries.forEach((t, i) => {
      if (!components.has(t.component)) {
        const known = [...components].join(', ') || 'none declared';
        problems.push({ path: `trigger.${kind}[${i}].component`, message: `no component "${t.component}" (known: ${known})` });
      }
    });
  }

  for (const [id, c] of Object.entries(manifest.component)) {
    for (const [key, d] of Object.entries(c.dependencies)) {
      if (d.component === undefined || (components.has(d.component) && d.component !== id)) continue;
      const message = d.component === id ? 'a component cannot be its own dependency' : `no component "${d.component}" (known: ${[...components].join(', ')})`;
      problems.push({ path: `component.${id}.dependencies.${key}.component`, message });
    }
    const templates: Array<[string, string]> = [
      ...Object.entries(c.variables).map(([name, template]): [string, string] => [`variables.${name}`, template]),
      ...c.allowed_outbound_hosts.map((entry, i): [string, string] => [`allowed_outbound_hosts[${i}]`, entry]),
    ];
    for (const [field, template] of templates) {
      for (const ref of variableReferences(template)) {
        if (!(ref in manifest.variables)) {
          problems.push({ path: `component.${id}.${field}`, message: `refers to undeclared variable "${ref}"` });
        }
      }
    }
  }
  return problems;
}

async function checkFiles(manifest: Manifest): Promise<ManifestProblem[]> {
  const problems: ManifestProblem[] = [];
  await Promise.all(
    Object.entries(manifest.component).map(async ([id, c]) => {
      if (!(await isFile(c.source))) {
        const hint = c.build ? ' (run `spindle build` to make it)' : '';
        problems.push({ path: `component.${id}.source`, message: `component file not found: ${c.source}${hint}` });
      }
      for (const [i, f] of c.files.entries()) {
        if (!(await exists(f.source))) problems.push({ path: `component.${id}.files[${i}]`, message: `path not found: ${f.source}` });
      }
      for (const [key, d] of Object.entries(c.dependencies)) {
        if (d.path !== undefined && !(await isFile(d.path))) {
          problems.push({ path: `component.${id}.dependencies.${key}.path`, message: `component file not found: ${d.path}` });
        }
      }
    }),
  );
  return problems;
}

/**
 * Component files and `files` grants outside the app's folder, symlinks followed. Allowed (an
 * app may share assets with another), but worth a look: the guest can read such a grant, and
 * `spindle build` would write such a source.
 */
async function pathsOutside(manifest: Manifest, dir: string): Promise<ManifestProblem[]> {
  const outside = (path: string) => `${path} is outside the app's folder ${dir}`;
  const found = await Promise.all(
    Object.entries(manifest.component).map(async ([id, c]) => {
      const problems: ManifestProblem[] = [];
      if (await escapes(dir, c.source)) {
        const build = c.build ? '; `spindle build` writes there only with --allow-outside' : '';
        problems.push({ path: `component.${id}.source`, message: `${outside(c.source)}${build}` });
      }
      for (const [i, f] of c.files.entries()) {
        if (await escapes(dir, f.source)) problems.push({ path: `component.${id}.files[${i}]`, message: `${outside(f.source)}; the guest can read it` });
      }
      return problems;
    }),
  );
  return found.flat();
}

async function isFile(path: string): Promise<boolean> {
  return stat(path).then((s) => s.isFile(), () => false);
}

async function exists(path: string): Promise<boolean> {
  return stat(path).then(() => true, () => false);
}
