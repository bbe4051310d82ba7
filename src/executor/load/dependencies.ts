/**
 * Which of a component's imports each of its dependencies serves, checked before anything is
 * instantiated, by Spin's rules: every manifest key must match an import, no import may be
 * matched by two keys, and the dependency's export must have every function the import uses,
 * with the same type. The worker then links them (`worker/guest.ts`).
 */
import { ComponentLoadError } from '../../errors.js';
import type { DependencyConfig } from '../../manifest/schema.js';
import type { InterfaceSignatures } from './interface-types.js';

/** One dependency as the check sees it: its manifest key and entry, its file and what it exports. */
export interface DependencyUnderCheck {
  key: string;
  config: DependencyConfig;
  source: string;
  exports: InterfaceSignatures;
}

/**
 * Per dependency key, the dependent's imports it serves: import name → the dependency's export
 * name, or undefined for an interface of types alone, which needs nothing at run time.
 */
export type DependencyLinks = Map<string, Map<string, string | undefined>>;

const unversioned = (name: string) => name.replace(/@.*$/, '');
const versionOf = (name: string) => /@(.*)$/.exec(name)?.[1];
const packageOf = (name: string) => unversioned(name).replace(/\/.*$/, '');

/** Whether manifest key `key` names import `name`: the interface, with or without version, or its package. */
function keyMatches(key: string, name: string): boolean {
  const isInterface = unversioned(key).includes('/');
  const version = versionOf(key);
  if (version !== undefined && versionOf(name) !== version) return false;
  return isInterface ? unversioned(name) === unversioned(key) : packageOf(name) === unversioned(key);
}

/** Marks the type forms that cannot cross between two jco instances: resource handles live in one instance's tables. */
const RESOURCE = /\b(resource|own|borrow)\b/;

/** Checks `dependencies` against what component `id` imports; throws `ComponentLoadError` naming both sides of the first misfit. */
export function linkDependencies(id: string, imports: InterfaceSignatures, dependencies: DependencyUnderCheck[]): DependencyLinks {
  function refuse(message: string): never {
    throw new ComponentLoadError(`component "${id}": ${message}`, { component: id });
  }
  const matchedBy = new Map<string, string>();
  const links: DependencyLinks = new Map();
  for (const dep of dependencies) {
    const what = `dependency "${dep.key}" (${dep.config.path ?? `component "${dep.config.component}"`})`;
    const matched = Object.keys(imports).filter((name) => keyMatches(dep.key, name));
    if (matched.length === 0) {
      refuse(`${what} matches none of its imports (it imports ${Object.keys(imports).join(', ') || 'nothing'})`);
    }
    const isInterface = unversioned(dep.key).includes('/');
    if (dep.config.export !== undefined && !isInterface) refuse(`${what}: "export" can only rename the export for an interface, not a package`);
    const serves = new Map<string, string | undefined>();
    for (const name of matched) {
      const earlier = matchedBy.get(name);
      if (earlier !== undefined) refuse(`import ${name} is matched by two dependencies, "${earlier}" and "${dep.key}"`);
      matchedBy.set(name, dep.key);
      if (Object.keys(imports[name]!).length === 0) {
        serves.set(name, undefined);
        continue;
      }
      const wanted = dep.config.export ?? name;
      const exported = wanted in dep.exports ? wanted : Object.keys(dep.exports).find((e) => unversioned(e) === unversioned(wanted));
      if (exported === undefined) {
        refuse(`${what} has no export ${wanted} to serve import ${name}; it exports ${Object.keys(dep.exports).join(', ') || 'nothing'}`);
      }
      const offered = dep.exports[exported]!;
      for (const [func, signature] of Object.entries(imports[name]!)) {
        const given = offered[func];
        if (given === undefined) refuse(`import ${name} needs function ${func}, which export ${exported} of ${what} lacks`);
        if (RESOURCE.test(signature) || RESOURCE.test(given)) {
          refuse(`import ${name} function ${func} passes a resource; resources cannot cross between a component and its dependency yet`);
        }
        if (given !== signature) {
          refuse(`import ${name} function ${func} has type ${signature}, but export ${exported} of ${what} gives it type ${given}`);
        }
      }
      serves.set(name, exported);
    }
    links.set(dep.key, serves);
  }
  return links;
}
