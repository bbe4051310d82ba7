/**
 * Spin's manifest (`spin.toml`, `spin_manifest_version = 2`; version 1 is first rewritten as
 * version 2 by `spin-v1.ts`) as a second front end to the one
 * manifest model: its TOML is translated into the input of `manifestSchema`, which then checks
 * it like any `spindle.toml`. What Spindle cannot do is refused here, field by field, with the
 * reason; what has no meaning for Spindle (authors, build watch lists) is dropped.
 *
 * Problems the schema finds later name Spindle's field paths; `spinPath` maps them back to the
 * Spin fields they came from.
 */
import type { ManifestProblem } from '../errors.js';
import { renamePath } from './field-paths.js';
import { spinFileMounts, type SpinFileMount } from './spin-files.js';
import { isSpinV1, upgradeSpinV1 } from './spin-v1.js';

type Table = Record<string, unknown>;

export interface SpinTranslation {
  /** The manifest in Spindle's input shape, for `manifestSchema`. */
  data: Table;
  /** What Spindle refuses, by Spin field path. */
  problems: ManifestProblem[];
  /** What is accepted but behaves differently than under Spin. */
  warnings: ManifestProblem[];
  /** Spindle field path → the Spin field path it came from. */
  spinPath: (path: string) => string;
}

const TEMPLATE = /\{\{[^}]*\}\}/;
const TEMPLATE_MESSAGE = 'this is a Spin template, not an app: its {{ placeholders }} are filled in by `spin new`; run that first, then load the spin.toml it writes';

/** Whether parsed TOML is a Spin manifest rather than a `spindle.toml`. */
export function isSpinManifest(data: Table): boolean {
  return 'spin_manifest_version' in data || 'spin_version' in data;
}

/** Why `text`, which is not valid TOML, will not load when it is a Spin template; undefined otherwise. */
export function spinTemplateProblem(text: string): string | undefined {
  return /spin_manifest_version/.test(text) && TEMPLATE.test(text) ? TEMPLATE_MESSAGE : undefined;
}

const isTable = (value: unknown): value is Table => typeof value === 'object' && value !== null && !Array.isArray(value);

/** Spin component fields that carry over to Spindle's model unchanged. */
const SAME_FIELDS = ['description', 'environment', 'allowed_outbound_hosts', 'key_value_stores', 'sqlite_databases', 'variables'] as const;
/** Spin fields that only tools read. */
const TOOL_FIELDS = new Set(['tool']);

/** Translates a parsed Spin manifest; `dir` is the app's folder, where `files` globs are expanded. */
export async function translateSpinManifest(spin: Table, dir: string): Promise<SpinTranslation> {
  if (isSpinV1(spin)) {
    const { v2, renames } = upgradeSpinV1(spin);
    const translated = await translateSpinManifest(v2, dir);
    const v1Path = (path: string) => renamePath(path, renames);
    const back = (p: ManifestProblem) => ({ ...p, path: v1Path(p.path) });
    return {
      ...translated,
      problems: translated.problems.map(back),
      warnings: translated.warnings.map(back),
      spinPath: (path) => v1Path(translated.spinPath(path)),
    };
  }
  const problems: ManifestProblem[] = [];
  const warnings: ManifestProblem[] = [];
  const renames = new Map<string, string>();
  const refuse = (path: string, message: string) => problems.push({ path, message });
  const unknown = (table: Table, at: string, known: string[]) => {
    for (const key of Object.keys(table)) {
      if (!known.includes(key) && !TOOL_FIELDS.has(key)) refuse(at ? `${at}.${key}` : key, `"${key}" is not a Spin manifest field Spindle knows`);
    }
  };

  const version = spin.spin_manifest_version ?? spin.spin_version;
  if (version !== 2) {
    const shown = JSON.stringify(version);
    refuse('spin_version' in spin ? 'spin_version' : 'spin_manifest_version', `expected Spin manifest version 1 or 2, got ${shown}`);
    return { data: {}, problems, warnings, spinPath: (p) => p };
  }
  unknown(spin, '', ['spin_manifest_version', 'application', 'variables', 'trigger', 'component']);

  const application = isTable(spin.application) ? spin.application : {};
  if (typeof application.name === 'string' && TEMPLATE.test(application.name)) {
    refuse('application.name', TEMPLATE_MESSAGE);
    return { data: {}, problems, warnings, spinPath: (p) => p };
  }
  unknown(application, 'application', ['name', 'version', 'description', 'authors', 'trigger']);
  const appTriggers = isTable(application.trigger) ? application.trigger : {};
  const base = appHttpBase(appTriggers, refuse);
  let redisAddress: string | undefined;
  for (const [kind, settings] of Object.entries(appTriggers)) {
    if (!isTable(settings)) continue;
    if (kind === 'http') unknown(settings, 'application.trigger.http', ['base']);
    else if (kind === 'redis') {
      unknown(settings, 'application.trigger.redis', ['address']);
      if (typeof settings.address === 'string') redisAddress = settings.address;
      renames.set('runtime.redis_url', 'application.trigger.redis.address');
    } else refuse(`application.trigger.${kind}`, noTrigger(kind));
  }

  const components: Record<string, Table> = {};
  const spinComponents = isTable(spin.component) ? spin.component : {};
  const inline: Array<[string, Table, string]> = [];

  const triggers: Record<string, Table[]> = { http: [], redis: [], cron: [] };
  const spinTriggers = isTable(spin.trigger) ? spin.trigger : {};
  for (const [kind, list] of Object.entries(spinTriggers)) {
    if (!(kind in triggers)) {
      refuse(`trigger.${kind}`, noTrigger(kind));
      continue;
    }
    const entries = Array.isArray(list) ? list : [list];
    entries.forEach((entry, i) => {
      const at = `trigger.${kind}[${i}]`;
      if (!isTable(entry)) return refuse(at, 'expected a table');
      const component = componentOf(entry, at, kind, i, spinComponents, inline, refuse);
      let out: Table | undefined;
      if (kind === 'http') {
        unknown(entry, at, ['route', 'component', 'executor', 'id', 'static_response', 'dependencies']);
        out = httpTrigger(entry, at, base, component, refuse, warnings);
      } else if (kind === 'redis') {
        unknown(entry, at, ['channel', 'component', 'address', 'id']);
        if (typeof entry.address === 'string') {
          if (redisAddress !== undefined && entry.address !== redisAddress) {
            refuse(`${at}.address`, `Spindle subscribes to one Redis per app; this differs from application.trigger.redis.address "${redisAddress}"`);
          }
          redisAddress ??= entry.address;
          renames.set('runtime.redis_url', `${at}.address`);
        }
        out = { channel: entry.channel, component };
      } else {
        unknown(entry, at, ['cron_expression', 'component', 'id']);
        out = { schedule: entry.cron_expression, component };
        renames.set(`trigger.cron[${triggers.cron!.length}].schedule`, `${at}.cron_expression`);
      }
      if (out) {
        renames.set(`trigger.${kind}[${triggers[kind]!.length}]`, at);
        triggers[kind]!.push(out);
      }
    });
  }

  const declared: Array<[string, unknown, string]> = [
    ...Object.entries(spinComponents).map(([id, c]): [string, unknown, string] => [id, c, `component.${id}`]),
    ...inline,
  ];
  for (const [id, c, at] of declared) {
    if (!isTable(c)) {
      refuse(at, 'expected a table');
      continue;
    }
    renames.set(`component.${id}`, at);
    components[id] = await component(c, at, dir, refuse, warnings);
  }

  const data: Table = {
    spindle_manifest_version: 1,
    application: { name: application.name, version: application.version, description: application.description },
    variables: spin.variables,
    trigger: triggers,
    component: components,
    ...(redisAddress !== undefined ? { runtime: { mode: 'redis', redis_url: redisAddress } } : {}),
  };
  return { data, problems, warnings, spinPath: (path) => renamePath(path, renames) };
}

function noTrigger(kind: string): string {
  return `Spindle has no "${kind}" trigger (it runs http, redis and cron triggers)`;
}

function appHttpBase(appTriggers: Table, refuse: (path: string, message: string) => void): string {
  const http = appTriggers.http;
  if (!isTable(http) || http.base === undefined) return '/';
  if (typeof http.base !== 'string' || !http.base.startsWith('/')) {
    refuse('application.trigger.http.base', `expected a path starting with "/", got ${JSON.stringify(http.base)}`);
    return '/';
  }
  return http.base;
}

/** `route` under `base`, as Spin joins them. */
function joinBase(base: string, route: string): string {
  const prefix = base.replace(/\/+$/, '');
  if (!prefix) return route;
  return route === '/' ? prefix : `${prefix}${route}`;
}

/** The component id a trigger names, registering an inline component under a fresh id. */
function componentOf(
  entry: Table,
  at: string,
  kind: string,
  index: number,
  declared: Table,
  inline: Array<[string, Table, string]>,
  refuse: (path: string, message: string) => void,
): string | undefined {
  const { component } = entry;
  if (typeof component === 'string') return component;
  if (isTable(component)) {
    let id = `${kind}-trigger-${index}`;
    while (id in declared) id = `${id}-inline`;
    inline.push([id, component, `${at}.component`]);
    return id;
  }
  if (component !== undefined || !('static_response' in entry)) refuse(`${at}.component`, 'expected a component id or an inline component table');
  return undefined;
}

function httpTrigger(
  entry: Table,
  at: string,
  base: string,
  component: string | undefined,
  refuse: (path: string, message: string) => void,
  warnings: ManifestProblem[],
): Table | undefined {
  if (entry.static_response !== undefined) {
    refuse(`${at}.static_response`, 'Spindle has no static responses; serve the response from a component');
  }
  if (entry.dependencies !== undefined) {
    refuse(`${at}.dependencies`, 'Spindle does not compose components with their dependencies (middleware) yet');
  }
  const executor = entry.executor;
  if (executor !== undefined) {
    const type = isTable(executor) ? executor.type : undefined;
    if (type === 'wagi') {
      refuse(`${at}.executor`, 'WAGI components (CGI-style, over stdin and stdout) are not supported; Spindle runs wasi:http and Spin HTTP components');
    } else if (type !== 'spin' && type !== 'http') {
      refuse(`${at}.executor`, `Spindle runs HTTP components with Spin's default executor only ("spin" or "http"), got ${JSON.stringify(type ?? executor)}`);
    }
  }
  const { route } = entry;
  if (isTable(route)) {
    if (route.private === true && Object.keys(route).length === 1) {
      warnings.push({
        path: `${at}.route`,
        message: 'a private route is not served: Spindle has no internal requests between components (*.spin.internal), so this component is loaded but unreachable',
      });
    } else refuse(`${at}.route`, 'expected a route string or { private = true }');
    return undefined;
  }
  return { route: typeof route === 'string' ? joinBase(base, route) : route, component };
}

/** One `[component.<id>]` in Spindle's shape. */
async function component(
  c: Table,
  at: string,
  dir: string,
  refuse: (path: string, message: string) => void,
  warnings: ManifestProblem[],
): Promise<Table> {
  const known = [...SAME_FIELDS, 'source', 'files', 'exclude_files', 'build', 'ai_models', 'dependencies', 'dependencies_inherit_configuration'];
  for (const key of Object.keys(c)) {
    if (!known.includes(key) && !TOOL_FIELDS.has(key)) refuse(`${at}.${key}`, `"${key}" is not a Spin manifest field Spindle knows`);
  }
  const out: Table = { isolation: 'per-event' };
  for (const field of SAME_FIELDS) if (c[field] !== undefined) out[field] = c[field];

  if (isTable(c.source)) {
    const why = 'url' in c.source
      ? 'a source fetched from a URL needs a download; download it and set source to the local .wasm path'
      : 'a source from a registry needs a download; fetch it (e.g. `wkg get`) and set source to the local .wasm path';
    refuse(`${at}.source`, why);
  } else out.source = c.source;

  if (Array.isArray(c.ai_models) && c.ai_models.length > 0) refuse(`${at}.ai_models`, 'Spindle serves no LLM models');
  if (c.dependencies !== undefined) {
    if (!isTable(c.dependencies)) refuse(`${at}.dependencies`, 'expected a table of import names to dependencies');
    else {
      const dependencies: Table = {};
      for (const [key, value] of Object.entries(c.dependencies)) {
        if (isTable(value) && (typeof value.path === 'string' || typeof value.component === 'string')) dependencies[key] = value;
        else refuse(`${at}.dependencies."${key}"`, 'Spindle links a dependency given as { path } or { component }; one from a registry or a URL needs a download first');
      }
      out.dependencies = dependencies;
    }
  }
  if (c.dependencies_inherit_configuration !== undefined) out.dependencies_inherit_configuration = c.dependencies_inherit_configuration;
  if (c.build !== undefined) {
    warnings.push({ path: `${at}.build`, message: 'spindle build does not run Spin build commands; build with `spin build` (or the command itself) first' });
  }

  const files = c.files;
  const exclude = c.exclude_files;
  if (files !== undefined || exclude !== undefined) {
    const fileEntries = Array.isArray(files) ? files : [];
    const excludeEntries = Array.isArray(exclude) ? exclude : [];
    const badFile = fileEntries.findIndex((f) => typeof f !== 'string' && !(isTable(f) && typeof f.source === 'string' && typeof f.destination === 'string'));
    if (files !== undefined && (!Array.isArray(files) || badFile !== -1)) {
      refuse(`${at}.files${badFile === -1 ? '' : `[${badFile}]`}`, 'expected a list of globs or { source, destination } tables');
    } else if (exclude !== undefined && (!Array.isArray(exclude) || excludeEntries.some((e) => typeof e !== 'string'))) {
      refuse(`${at}.exclude_files`, 'expected a list of globs');
    } else {
      out.files = await spinFileMounts(dir, fileEntries as Array<string | SpinFileMount>, excludeEntries as string[]);
    }
  }
  return out;
}
