/**
 * Which world a component targets, checked against what Spindle serves before any instance is
 * made: its exports must be Spindle's `handle` with the signature of `wit/spindle.wit`,
 * `wasi:http/incoming-handler`, or Spin's `fermyon:spin/inbound-redis`; every interface it imports must be one Spindle serves, at a
 * version it serves. A component that fails here would otherwise start and then fail every
 * event with a TypeError from deep inside the glue.
 */
import { SPINDLE_INTERFACES } from '../../capabilities/contract.js';
import { ComponentLoadError } from '../../errors.js';
import { SPIN_TYPE_INTERFACES, WASI_INTERFACES, type ComponentWorld } from '../guest-spec.js';
import type { TranspiledComponent } from './transpile-cache.js';

const HTTP_EXPORT = /^wasi:http\/incoming-handler@0\.2(\.\d+)?$/;
/** Spin's Redis handler, unversioned in every Spin release's WIT. */
const SPIN_REDIS_EXPORT = 'fermyon:spin/inbound-redis';

/** `handle` as `wit/spindle.wit` declares it; the parameter's name is the author's. */
const HANDLE = /^export handle: func\([a-z][a-z0-9-]*: event\) -> result<reply, handler-error>;$/;
const HANDLE_TYPES = /^use spindle:app\/types@0\.1\.\d+\.\{([^}]*)\};$/;
const EXPECTED_HANDLE = 'handle: func(event: event) -> result<reply, handler-error>, with the types of spindle:app/types@0.1.0';

/** Each served interface with the minor version it is served at (any patch release fits), or none. */
const SERVED = new Map<string, string | undefined>([
  ...SPINDLE_INTERFACES.map((name) => [name, '0.1'] as const),
  ...WASI_INTERFACES.map((name) => [name, '0.2'] as const),
  ...SPIN_TYPE_INTERFACES.map((name) => [name, undefined] as const),
]);
const IMPORTED_INTERFACE = /^import ([a-z][a-z0-9-]*:[a-z][a-z0-9-]*\/[a-z][a-z0-9-]*)(?:@([^;\s]+))?;$/;

/** The world's own lines, trimmed: `import ...;`, `use ...;`, `export ...;`. */
function worldLines(wit: string): string[] {
  return wit.split('\n').map((line) => line.trim());
}

function refuse(id: string, message: string): never {
  throw new ComponentLoadError(`component "${id}" ${message}`, { component: id });
}

function checkImports(id: string, lines: string[]): void {
  for (const line of lines.filter((l) => l.startsWith('import '))) {
    const match = IMPORTED_INTERFACE.exec(line);
    if (!match) refuse(id, `imports "${line.slice(7).replace(/[;{]\s*$/, '').trim()}", which is not an interface Spindle serves`);
    const [, name, version] = match;
    if (!SERVED.has(name!)) {
      refuse(id, `imports ${name}${version ? `@${version}` : ''}, which Spindle does not serve; it serves Spindle's own world (spindle:app/*@0.1) and WASI 0.2 (wasi:cli, clocks, filesystem, io, random, http, sockets)`);
    }
    const served = SERVED.get(name!);
    const fits = served === undefined ? version === undefined : version === undefined || (/^\d+\.\d+\.\d+$/.test(version) && version.startsWith(`${served}.`));
    if (!fits) {
      refuse(id, `imports ${name}@${version}; Spindle serves ${name} ${served === undefined ? 'unversioned' : `at version ${served}.x`}`);
    }
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

/** The world `transpiled` targets; throws `ComponentLoadError` naming the export or import that does not fit. */
export function componentWorld(id: string, transpiled: Pick<TranspiledComponent, 'exports' | 'wit'>): ComponentWorld {
  const lines = worldLines(transpiled.wit);
  let world: ComponentWorld;
  if (transpiled.exports.some(([name, kind]) => name === 'handle' && kind === 'function')) {
    checkHandle(id, lines);
    world = 'handler';
  } else if (transpiled.exports.some(([name]) => HTTP_EXPORT.test(name))) world = 'http';
  else if (transpiled.exports.some(([name]) => name === SPIN_REDIS_EXPORT)) world = 'spin-redis';
  else {
    const found = transpiled.exports.map(([name]) => name).join(', ') || 'nothing';
    refuse(id, `exports ${found}; expected Spindle's "handle" function (world spindle:app/handler), wasi:http/incoming-handler or Spin's ${SPIN_REDIS_EXPORT}`);
  }
  checkImports(id, lines);
  return world;
}
