/**
 * Core imports the worker answers itself instead of through jco's trampolines. jco lowers every
 * import call inside its component-model task machinery: a subtask of the running export's
 * task, then a task of its own for the host function, each entered, resolved and exited, with a
 * lookup of the current task at each step. For a host function that can neither block nor take
 * a resource, all of that decides nothing. Two kinds of import are given to the core instance
 * without it:
 *
 * - the monotonic clock's `now` (no arguments, one `u64`), which a componentize-js guest calls
 *   seven times in every event whatever its handler does: the host function itself, with the
 *   trampoline's conversion of the result;
 * - Spindle's own capabilities (`spindle:app/*`), which a guest calls as often as its handler
 *   does: lowered by `capability-abi.ts` into the memory of the core instance that imports
 *   them, through its realloc, as wit-component has the component lower them (the module's
 *   one exported memory, and `cabi_import_realloc` where it exports one, else `cabi_realloc`).
 *
 * Everything else, and any module that does not export what its imports are lowered into, keeps
 * jco's trampolines.
 */
import { CAPABILITY_FUNCTIONS, ImportTarget } from './capability-abi.js';
import type { Realloc } from './canonical-abi.js';
import type { CoreInstantiate } from './memory-watch.js';

/** A host function the canonical ABI passes as it is: no arguments, a `u64` result. */
type U64Source = () => bigint;

/** The clock functions answered directly, by interface. */
const CLOCKS: Record<string, string[]> = {
  'wasi:clocks/monotonic-clock': ['now'],
};

/** `wasi:clocks/monotonic-clock@0.2.12` → its interface, for the releases whose layout is known. */
function servedInterface(module: string): { name: string; clock: boolean } | undefined {
  const at = module.lastIndexOf('@');
  if (at < 0) return undefined;
  const name = module.slice(0, at);
  const version = module.slice(at + 1);
  if (CLOCKS[name] && version.startsWith('0.2.')) return { name, clock: true };
  if (CAPABILITY_FUNCTIONS[name] && version.startsWith('0.1.')) return { name, clock: false };
  return undefined;
}

/** Where wit-component has the component lower a module's imports, by export name. */
function loweringExports(exported: WebAssembly.ModuleExportDescriptor[]): { memory?: string; realloc?: string } {
  const memories = exported.filter((e) => e.kind === 'memory');
  const functions = new Set(exported.filter((e) => e.kind === 'function').map((e) => e.name));
  const realloc = ['cabi_import_realloc', 'cabi_realloc'].find((name) => functions.has(name));
  return { ...(memories.length === 1 ? { memory: memories[0]!.name } : {}), ...(realloc ? { realloc } : {}) };
}

/** Core imports with direct functions in place, and what those need once the instance exists. */
export interface DirectImports {
  imports: WebAssembly.Imports | undefined;
  /** Hands the new instance's memory and realloc to the functions that lower into them. */
  bind(exports: WebAssembly.Exports): void;
}

/**
 * `coreImports` of a module exporting `exported`, with each import named above replaced by a
 * direct function over the function of `hostImports` (the import object given to jco's
 * `instantiate`) that jco's trampoline would call. Modules that import none of them get their
 * imports back unchanged.
 */
export function withDirectImports(
  coreImports: WebAssembly.Imports | undefined,
  hostImports: Record<string, unknown>,
  exported: WebAssembly.ModuleExportDescriptor[],
): DirectImports {
  const target = new ImportTarget();
  const lowering = loweringExports(exported);
  let bound = false;
  let changed: WebAssembly.Imports | undefined;
  for (const [module, fields] of Object.entries(coreImports ?? {})) {
    const served = servedInterface(module);
    if (!served) continue;
    const host = hostImports[served.name] as Record<string, unknown> | undefined;
    const replaced: WebAssembly.ModuleImports = { ...fields };
    if (served.clock) {
      for (const name of CLOCKS[served.name]!) {
        const fn = host?.[name];
        if (typeof replaced[name] !== 'function' || typeof fn !== 'function') continue;
        const source = fn as U64Source;
        // As jco's trampoline returns it: the host's bigint as an unsigned 64-bit value.
        replaced[name] = () => BigInt.asUintN(64, source());
      }
    } else {
      for (const [name, direct] of Object.entries(CAPABILITY_FUNCTIONS[served.name]!)) {
        const fn = host?.[direct.host];
        if (typeof replaced[name] !== 'function' || typeof fn !== 'function') continue;
        if (!lowering.memory || (direct.allocates && !lowering.realloc)) continue;
        replaced[name] = direct.make(fn as (...args: unknown[]) => unknown, target);
        bound = true;
      }
    }
    changed ??= { ...coreImports };
    changed[module] = replaced;
  }
  return {
    imports: changed ?? coreImports,
    bind(exports) {
      if (!bound) return;
      target.memory = exports[lowering.memory!] as WebAssembly.Memory;
      if (lowering.realloc) target.realloc = exports[lowering.realloc] as Realloc;
    },
  };
}

/** `instantiateCore` giving each module the direct imports `withDirectImports` makes from `hostImports`. */
export function directInstantiate(instantiateCore: CoreInstantiate, hostImports: Record<string, unknown>): CoreInstantiate {
  return async (module, coreImports) => {
    const direct = withDirectImports(coreImports, hostImports, WebAssembly.Module.exports(module));
    const instance = await instantiateCore(module, direct.imports);
    direct.bind(instance.exports);
    return instance;
  };
}
