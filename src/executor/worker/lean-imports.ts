/**
 * Core imports the worker answers itself instead of through jco's trampolines. jco lowers every
 * import call inside its component-model task machinery: a subtask of the running export's
 * task, then a task of its own for the host function, each entered, resolved and exited, with a
 * lookup of the current task at each step. For a function that takes no arguments, returns one
 * number and can neither fail nor block, all of that decides nothing, and a componentize-js
 * guest calls one such function, the monotonic clock's `now`, seven times in every event,
 * whatever its handler does. Such an import is given to the core instance as the host function
 * itself, with the trampoline's own conversion of the result. Everything else, anything with a
 * resource, a string, a list or an error, keeps jco's trampoline.
 */

/** A host function the canonical ABI passes as it is: no arguments, a `u64` result. */
type U64Source = () => bigint;

/** The interfaces whose imports are answered directly, by function, with the host's object they come from. */
const DIRECT: Record<string, { host: string; functions: string[] }> = {
  'wasi:clocks/monotonic-clock': { host: 'wasi:clocks/monotonic-clock', functions: ['now'] },
};

/** The interface of a core import module named `wasi:clocks/monotonic-clock@0.2.12`, served for every 0.2 release. */
function directInterface(module: string): string | undefined {
  const at = module.lastIndexOf('@');
  if (at < 0 || !module.slice(at + 1).startsWith('0.2.')) return undefined;
  const name = module.slice(0, at);
  return DIRECT[name] ? name : undefined;
}

/**
 * `coreImports` with each import listed in `DIRECT` replaced by the function of `hostImports`
 * (the import object given to jco's `instantiate`) it stands for. Core modules that import none
 * of them get their imports back unchanged.
 */
export function withDirectImports(coreImports: WebAssembly.Imports | undefined, hostImports: Record<string, unknown>): WebAssembly.Imports | undefined {
  if (!coreImports) return coreImports;
  let changed: WebAssembly.Imports | undefined;
  for (const [module, fields] of Object.entries(coreImports)) {
    const iface = directInterface(module);
    if (!iface) continue;
    const host = hostImports[DIRECT[iface]!.host] as Record<string, unknown> | undefined;
    const replaced: WebAssembly.ModuleImports = { ...fields };
    for (const name of DIRECT[iface]!.functions) {
      const fn = host?.[name];
      if (typeof replaced[name] !== 'function' || typeof fn !== 'function') continue;
      const source = fn as U64Source;
      // As jco's trampoline returns it: the host's bigint as an unsigned 64-bit value.
      replaced[name] = () => BigInt.asUintN(64, source());
    }
    changed ??= { ...coreImports };
    changed[module] = replaced;
  }
  return changed ?? coreImports;
}
