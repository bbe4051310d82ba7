/**
 * The function signatures of the interfaces a component imports and exports, read from its
 * component-level types, so that one component's exports can be checked against another's
 * imports before they are linked. jco's `componentWit` prints only the world's names, not the
 * interfaces' types, so the types are read from the component's text form (`print`), with the
 * core modules blanked out first: a 12 MB JavaScript engine would otherwise be printed too.
 *
 * A signature is a canonical text of the function's type with every type reference resolved
 * (`(func (param string) (result (result string (error string))))`); parameter names are left
 * out, field and case names kept; types an interface takes from another (`use`) are followed
 * to their definition; resources read as `resource`.
 */
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { writeFileAtomically } from '../../util/atomic-write.js';

/** Interface name (as the component names it, with its version) → function name → signature. */
export type InterfaceSignatures = Record<string, Record<string, string>>;

export interface InterfaceTypes {
  imports: InterfaceSignatures;
  exports: InterfaceSignatures;
}

const CACHE_FILE = 'interfaces.json';
/** A core module with no content: keeps the component's index spaces while printing nothing. */
const EMPTY_MODULE = [0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00];
const CORE_MODULE_SECTION = 1;

/** The interface types of the component in `dir`, read once from `read()`'s bytes and kept beside it. */
export async function interfaceTypesCached(dir: string, read: () => Promise<Uint8Array>): Promise<InterfaceTypes> {
  const file = join(dir, CACHE_FILE);
  try {
    return JSON.parse(await readFile(file, 'utf8')) as InterfaceTypes;
  } catch {
    const types = await interfaceTypes(await read());
    await writeFileAtomically(file, JSON.stringify(types));
    return types;
  }
}

export async function interfaceTypes(component: Uint8Array): Promise<InterfaceTypes> {
  const { print } = await import('@bytecodealliance/jco');
  const top = parse(await print(withoutCoreModules(component)))[0];
  if (!Array.isArray(top)) throw new Error('cannot read the component\'s types');
  return readComponent(top);
}

function readLeb(bytes: Uint8Array, at: number): [number, number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const byte = bytes[at++]!;
    value += (byte & 0x7f) * 2 ** shift;
    shift += 7;
    if (byte < 0x80) return [value, at];
  }
}

function leb(value: number): number[] {
  const out: number[] = [];
  do {
    let byte = value % 128;
    value = Math.floor(value / 128);
    if (value > 0) byte |= 0x80;
    out.push(byte);
  } while (value > 0);
  return out;
}

/** `component` with every top-level core module replaced by an empty one. */
function withoutCoreModules(component: Uint8Array): Uint8Array {
  const parts: Uint8Array[] = [component.subarray(0, 8)];
  let at = 8;
  while (at < component.length) {
    const id = component[at]!;
    const [size, start] = readLeb(component, at + 1);
    const end = start + size;
    parts.push(id === CORE_MODULE_SECTION ? Uint8Array.from([id, ...leb(EMPTY_MODULE.length), ...EMPTY_MODULE]) : component.subarray(at, end));
    at = end;
  }
  return Buffer.concat(parts);
}

/** A parsed s-expression: a list, or a token. Index comments `(;N;)` become `#N`. */
type Node = string | Node[];

function parse(text: string): Node[] {
  const root: Node[] = [];
  const stack: Node[][] = [root];
  const token = /\(;(\d+);\)|\(;[\s\S]*?;\)|;;[^\n]*|\(|\)|"(?:[^"\\]|\\.)*"|\$"(?:[^"\\]|\\.)*"|[^\s()]+/g;
  for (const [t, index] of text.matchAll(token)) {
    if (index !== undefined) stack.at(-1)!.push(`#${index}`);
    else if (t.startsWith('(;') || t.startsWith(';;')) continue;
    else if (t === '(') {
      const list: Node[] = [];
      stack.at(-1)!.push(list);
      stack.push(list);
    } else if (t === ')') stack.pop();
    else stack.at(-1)!.push(t);
  }
  return root;
}

const isList = (node: Node | undefined): node is Node[] => Array.isArray(node);
const head = (node: Node | undefined) => (isList(node) ? node[0] : undefined);
const isRef = (node: Node) => typeof node === 'string' && (/^\d+$/.test(node) || node.startsWith('$'));
const quoted = (node: Node) => (typeof node === 'string' && node.startsWith('"') ? (JSON.parse(node) as string) : undefined);
/** The `$name` and `#index` a definition carries, as the keys it is referred to by. */
const keys = (node: Node[]) => node.filter((n): n is string => typeof n === 'string' && (n.startsWith('$') || n.startsWith('#'))).map((k) => k.replace(/^#/, ''));

/** The type and function definitions of one component or instance type, by the names and indices they are referred to by. */
class Scope {
  readonly types = new Map<string, Node>();
  readonly funcs = new Map<string, Node>();
  readonly components = new Map<string, Node[]>();
  readonly instances = new Map<string, Node[]>();

  constructor(
    body: Node[],
    private readonly parent?: Scope,
  ) {
    for (const item of body) if (isList(item)) this.#define(item);
  }

  #define(item: Node[]): void {
    const kind = head(item);
    if (kind === 'type') this.#name(this.types, keys(item), item.at(-1)!);
    else if (kind === 'func') this.#name(this.funcs, keys(item), item);
    else if (kind === 'component') this.#name(this.components, keys(item), item);
    else if (kind === 'instance') this.#name(this.instances, keys(item), item);
    else if (kind === 'alias') {
      const target = item.at(-1);
      const what = head(target);
      // Kept as written and resolved when used: `(alias outer 1 3 ...)`, `(alias export $i "name" ...)`.
      if (isList(target) && what === 'type') this.#name(this.types, keys(target), item);
    } else if (kind === 'import' || kind === 'export') {
      // An import defines what it describes; an export only gives a new index to a definition.
      const described = item.find((n) => isList(n) && (head(n) === 'type' || head(n) === 'instance'));
      const defines = kind === 'import' && isList(described) ? keys(described) : [];
      if (isList(described) && head(described) === 'type') this.#name(this.types, [...keys(item), ...defines], described.at(-1)!);
      if (isList(described) && head(described) === 'instance' && kind === 'import') this.#name(this.instances, defines, described);
    }
  }

  #name<T>(map: Map<string, T>, names: string[], value: T): void {
    for (const name of names) map.set(name, value);
  }

  /** A type taken from an enclosing scope, or from an instance's exports. */
  #aliased(alias: Node[], depth: number): string {
    if (alias[1] === 'outer') {
      let scope: Scope | undefined = this;
      for (let up = Number(alias[2]); up > 0 && scope; up--) scope = scope.parent;
      return scope ? scope.canon(String(alias[3]), depth + 1) : 'unknown';
    }
    const instance = this.instances.get(String(alias[2]));
    const typeRef = instance?.find((n) => head(n) === 'type');
    const type = isList(typeRef) ? this.types.get(String(typeRef[1])) : undefined;
    if (!isList(type) || head(type) !== 'instance') return 'unknown';
    const name = quoted(alias[3]!);
    const inner = new Scope(type.slice(1), this);
    const exported = type.find((n) => isList(n) && head(n) === 'export' && quoted(n.find((m) => quoted(m) !== undefined)!) === name);
    return isList(exported) ? inner.canon(exported.find((n) => head(n) === 'type') ?? 'unknown', depth + 1) : 'unknown';
  }

  /** The canonical text of type `node`, references resolved. */
  canon(node: Node, depth = 0): string {
    if (depth > 64) return 'recursive';
    if (typeof node === 'string') {
      if (!isRef(node)) return node;
      const def = this.types.get(node);
      return def === undefined ? 'unknown' : this.canon(def, depth + 1);
    }
    const [kind, ...rest] = node;
    if (kind === 'alias') return this.#aliased(node, depth);
    if (kind === 'eq' || kind === 'type') return this.canon(rest.at(-1)!, depth + 1);
    if (kind === 'sub' || kind === 'resource') return 'resource';
    if (kind === 'instance') return 'instance';
    if (kind === 'param') return `(param ${this.canon(rest.at(-1)!, depth + 1)})`;
    const parts = rest.filter((n) => !(typeof n === 'string' && n.startsWith('#'))).map((n) => (quoted(n) !== undefined ? n : this.canon(n, depth + 1)));
    return `(${[kind, ...parts].join(' ')})`;
  }
}

/** The function exports of an instance type, `(instance (type ...) (export "f" (func (type N))))`. */
function instanceTypeFunctions(instanceType: Node[], parent: Scope): Record<string, string> {
  const scope = new Scope(instanceType.slice(1), parent);
  const functions: Record<string, string> = {};
  for (const item of instanceType) {
    if (head(item) !== 'export' || !isList(item)) continue;
    const name = quoted(item.find((n) => quoted(n) !== undefined)!);
    const func = item.find((n) => head(n) === 'func');
    if (name !== undefined && isList(func)) functions[name] = scope.canon(func.find((n) => head(n) === 'type') ?? 'unknown');
  }
  return functions;
}

/** The function exports of a component (wit-component's shim for an exported interface), each with its ascribed type. */
function componentFunctions(component: Node[], parent: Scope): Record<string, string> {
  const scope = new Scope(component.slice(1), parent);
  const functions: Record<string, string> = {};
  for (const item of component) {
    if (head(item) !== 'export' || !isList(item)) continue;
    const name = quoted(item.find((n) => quoted(n) !== undefined)!);
    const funcs = item.filter((n): n is Node[] => head(n) === 'func');
    if (name === undefined || funcs.length === 0) continue;
    const ascribed = funcs.map((f) => f.find((n) => head(n) === 'type')).find((t) => t !== undefined);
    const def = ascribed ?? scope.funcs.get(String(funcs[0]![1]).replace(/^#/, ''));
    functions[name] = ascribed ? scope.canon(ascribed) : isList(def) ? scope.canon(def.find((n) => head(n) === 'type') ?? 'unknown') : 'unknown';
  }
  return functions;
}

/** The functions of an exported instance: made by instantiating a shim component, or listed export by export. */
function exportedInstanceFunctions(scope: Scope, instance: Node[]): Record<string, string> {
  const instantiate = instance.find((n) => head(n) === 'instantiate');
  if (isList(instantiate)) {
    const component = scope.components.get(String(instantiate[1]));
    return component ? componentFunctions(component, scope) : {};
  }
  const functions: Record<string, string> = {};
  for (const item of instance) {
    if (head(item) !== 'export' || !isList(item)) continue;
    const name = quoted(item[1]!);
    const func = item[2];
    if (name === undefined || head(func) !== 'func' || !isList(func)) continue;
    const def = scope.funcs.get(String(func[1]).replace(/^#/, ''));
    functions[name] = isList(def) ? scope.canon(def.find((n) => head(n) === 'type') ?? 'unknown') : 'unknown';
  }
  return functions;
}

function readComponent(component: Node[]): InterfaceTypes {
  const scope = new Scope(component.slice(1));
  const imports: InterfaceSignatures = {};
  const exports: InterfaceSignatures = {};
  for (const item of component) {
    if (!isList(item) || (head(item) !== 'import' && head(item) !== 'export')) continue;
    const name = quoted(item.find((n) => quoted(n) !== undefined)!);
    const instance = item.find((n) => head(n) === 'instance');
    if (name === undefined || !isList(instance)) continue;
    if (head(item) === 'import') {
      const typeRef = instance.find((n) => head(n) === 'type');
      const type = isList(typeRef) ? scope.types.get(String(typeRef[1])) : undefined;
      if (isList(type) && head(type) === 'instance') imports[name] = instanceTypeFunctions(type, scope);
    } else {
      const def = scope.instances.get(String(instance[1]).replace(/^#/, ''));
      if (def) exports[name] = exportedInstanceFunctions(scope, def);
    }
  }
  return { imports, exports };
}
