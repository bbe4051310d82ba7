/**
 * Which world a component targets, checked against what Spindle serves before any instance is
 * made: its exports must be Spindle's `handle` with the signature of `wit/spindle.wit`,
 * `wasi:http/incoming-handler`, Spin's `fermyon:spin/inbound-redis` or the Spin cron plugin's
 * `handle-cron-event`; every interface it imports must be one Spindle serves, at a
 * version it serves. A component that fails here would otherwise start and then fail every
 * event with a TypeError from deep inside the glue.
 */
import { SPINDLE_INTERFACES, SPIN_INTERFACES } from '../../capabilities/contract.js';
import { ComponentLoadError } from '../../errors.js';
import type { Manifest, TriggerKind } from '../../manifest/schema.js';
import { WASI_INTERFACES, type ComponentWorld } from '../guest-spec.js';
import type { TranspiledComponent } from './transpile-cache.js';

const HTTP_EXPORT = /^wasi:http\/incoming-handler@0\.2(\.\d+)?$/;
/** Spin's Redis handler, unversioned in every Spin release's WIT. */
const SPIN_REDIS_EXPORT = 'fermyon:spin/inbound-redis';
/** The Spin cron trigger plugin's handler (`fermyon:spin-cron@2.0.0`, world `spin-cron`). */
const SPIN_CRON_EXPORT = 'handle-cron-event';
/** jco names a world's own function exports in camel case. */
const SPIN_CRON_JS_EXPORT = 'handleCronEvent';
const SPIN_CRON = /^export handle-cron-event: func\([a-z][a-z0-9-]*: metadata\) -> result<_, error>;$/;

/** `handle` as `wit/spindle.wit` declares it; the parameter's name is the author's. */
const HANDLE = /^export handle: func\([a-z][a-z0-9-]*: event\) -> result<reply, handler-error>;$/;
const HANDLE_TYPES = /^use spindle:app\/types@0\.1\.\d+\.\{([^}]*)\};$/;
const EXPECTED_HANDLE = 'handle: func(event: event) -> result<reply, handler-error>, with the types of spindle:app/types@0.1.0';

/** Whether an import at `version` (undefined: unversioned) fits what is served. */
type Fits = (version: string | undefined) => boolean;
const minor = (served: string): Fits => (version) => version === undefined || (/^\d+\.\d+\.\d+$/.test(version) && version.startsWith(`${served}.`));

/** Spin's interfaces by name, with the exact versions served (undefined: unversioned). */
const SPIN_VERSIONS = new Map<string, Array<string | undefined>>();
for (const key of SPIN_INTERFACES) {
  const [name, version] = key.split('@') as [string, string | undefined];
  SPIN_VERSIONS.set(name, [...(SPIN_VERSIONS.get(name) ?? []), version]);
}

/** Each served interface: Spindle's and WASI's at a minor version (any patch fits), Spin's at exactly the versions listed. */
const SERVED = new Map<string, { fits: Fits; shown: string }>([
  ...SPINDLE_INTERFACES.map((name) => [name, { fits: minor('0.1'), shown: 'at version 0.1.x' }] as const),
  ...WASI_INTERFACES.map((name) => [name, { fits: minor('0.2'), shown: 'at version 0.2.x' }] as const),
  ...[...SPIN_VERSIONS].map(
    ([name, versions]) =>
      [name, { fits: (version: string | undefined) => versions.includes(version), shown: versions.map((v) => (v ? `at version ${v}` : 'unversioned')).join(' and ') }] as const,
  ),
]);
const IMPORTED_INTERFACE = /^import ([a-z][a-z0-9-]*:[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*)(?:@([^;\s]+))?;$/;

/** The world's own lines, trimmed: `import ...;`, `use ...;`, `export ...;`. */
function worldLines(wit: string): string[] {
  return wit.split('\n').map((line) => line.trim());
}

/** `subject` names what is refused when it is not the component itself (one of its dependencies). */
function refuse(id: string, message: string, subject = `component "${id}"`): never {
  throw new ComponentLoadError(`${subject} ${message}`, { component: id });
}

function checkImports(id: string, lines: string[], linked: ReadonlySet<string>, subject?: string): void {
  for (const line of lines.filter((l) => l.startsWith('import '))) {
    const match = IMPORTED_INTERFACE.exec(line);
    if (!match) refuse(id, `imports "${line.slice(7).replace(/[;{]\s*$/, '').trim()}", which is not an interface Spindle serves`, subject);
    const [, name, version] = match;
    if (linked.has(version === undefined ? name! : `${name}@${version}`)) continue;
    const served = SERVED.get(name!);
    if (!served) {
      refuse(id, `imports ${name}${version ? `@${version}` : ''}, which Spindle does not serve; it serves Spindle's own world (spindle:app/*@0.1), WASI 0.2 (wasi:cli, clocks, filesystem, io, random, http, sockets) and Spin's platform (fermyon:spin/*@2.0.0, wasi:keyvalue, wasi:config)`, subject);
    }
    if (!served.fits(version)) refuse(id, `imports ${name}${version ? `@${version}` : ' unversioned'}; Spindle serves ${name} ${served.shown}`, subject);
  }
}

function checkHandle(id: string, lines: string[]): void {
  const handle = lines.find((line) => line.startsWith('export handle:'));
  const types = lines.map((line) => HANDLE_TYPES.exec(line)?.[1]).find((list) => list !== undefined);
  const used = new Set((types ?? '').split(',').map((t) => t.trim()));
  if (!handle || !HANDLE.test(handle) || !['event', 'reply', 'handler-error'].every((t) => used.has(t))) {
    refuse(id, `exports ${handle ? handle.slice(7, -1) : 'a "handle" this check cannot read'}; Spindle's world expects ${EXPECTED_HANDLE} (wit/spindle.wit)`);
  }
}

/**
 * The world `transpiled` targets; throws `ComponentLoadError` naming the export or import that
 * does not fit. Imports in `linked` (full names) are served by the component's dependencies.
 */
export function componentWorld(id: string, transpiled: Pick<TranspiledComponent, 'exports' | 'wit'>, linked: ReadonlySet<string> = new Set()): ComponentWorld {
  const lines = worldLines(transpiled.wit);
  let world: ComponentWorld;
  if (transpiled.exports.some(([name, kind]) => name === 'handle' && kind === 'function')) {
    checkHandle(id, lines);
    world = 'handler';
  } else if (transpiled.exports.some(([name]) => HTTP_EXPORT.test(name))) world = 'http';
  else if (transpiled.exports.some(([name]) => name === SPIN_REDIS_EXPORT)) world = 'spin-redis';
  else if (transpiled.exports.some(([name, kind]) => name === SPIN_CRON_JS_EXPORT && kind === 'function')) {
    const handler = lines.find((line) => line.startsWith(`export ${SPIN_CRON_EXPORT}:`));
    if (!handler || !SPIN_CRON.test(handler)) {
      refuse(id, `exports ${handler ? handler.slice(7, -1) : SPIN_CRON_EXPORT}; Spin's cron world expects handle-cron-event: func(metadata: metadata) -> result<_, error>, with the types of fermyon:spin-cron/cron-types@2.0.0`);
    }
    world = 'spin-cron';
  } else {
    const found = transpiled.exports.map(([name]) => name).join(', ') || 'nothing';
    refuse(id, `exports ${found}; expected Spindle's "handle" function (world spindle:app/handler), wasi:http/incoming-handler, Spin's ${SPIN_REDIS_EXPORT} or Spin's cron ${SPIN_CRON_EXPORT}`);
  }
  checkImports(id, lines, linked);
  return world;
}

/** The trigger kinds a world can take; Spindle's own world and `wasi:http` take every kind. */
const WORLD_TRIGGERS: Partial<Record<ComponentWorld, { kinds: TriggerKind[]; what: string }>> = {
  'spin-redis': { kinds: ['redis'], what: `Spin's Redis handler (${SPIN_REDIS_EXPORT})` },
  'spin-cron': { kinds: ['cron'], what: `Spin's cron handler (${SPIN_CRON_EXPORT})` },
};

/**
 * Each trigger of `manifest` bound to a component whose world cannot take its events (Spin's
 * Redis handler on an HTTP route), as a sentence; the handler would otherwise get the wrong
 * event in the wrong shape and fail every one of them.
 */
export function misboundTriggers(manifest: Manifest, worlds: ReadonlyMap<string, ComponentWorld>): string[] {
  return Object.entries(manifest.trigger).flatMap(([kind, entries]) =>
    entries.flatMap((trigger: { component: string }, i: number) => {
      const world = worlds.get(trigger.component);
      const takes = world && WORLD_TRIGGERS[world];
      if (!takes || takes.kinds.includes(kind as TriggerKind)) return [];
      return [`trigger.${kind}[${i}]: component "${trigger.component}" exports ${takes.what}, which takes only ${takes.kinds.join(', ')} triggers`];
    }),
  );
}

/**
 * Checks that Spindle serves every import of dependency `key` of component `id` but those in
 * `needless` (full names): a dependency's imports are the host's alone.
 */
export function checkDependencyImports(id: string, key: string, transpiled: Pick<TranspiledComponent, 'wit'>, needless: ReadonlySet<string>): void {
  checkImports(id, worldLines(transpiled.wit), needless, `dependency "${key}" of component "${id}"`);
}
