/**
 * A component made ready to run, on the main thread: transpiled (or taken from the cache), its
 * core modules capped to the component's memory limit and compiled once, its world recognised,
 * its files snapshotted. The result's `guest` is what every worker thread is given to make
 * instances from (`worker/guest.ts`).
 */
import { readFile } from 'node:fs/promises';
import v8 from 'node:v8';
import { grantsFor } from '../../capabilities/grants.js';
import { renderOutboundHosts } from '../../capabilities/outbound-hosts.js';
import { ComponentLoadError } from '../../errors.js';
import { DEFAULT_RECYCLE_MEMORY_SHARE, type ComponentConfig } from '../../manifest/schema.js';
import { formatSize } from '../../manifest/units.js';
import { WASM_PAGE, type ComponentWorld, type DataImage, type DependencySpec, type GuestSpec, type SandboxSpec } from '../guest-spec.js';
import { checkDependencyImports, componentWorld } from './component-world.js';
import { linkDependencies } from './dependencies.js';
import { interfaceTypesCached } from './interface-types.js';
import { snapshotFiles } from './files.js';
import { rewriteCached } from './rewrite-cache.js';
import { exportMutableGlobals } from './global-export.js';
import { MemoryMinimumError, capMemories, capPages } from './memory-cap.js';
import { transpileFile, type TranspiledComponent } from './transpile-cache.js';

export interface LoadedComponent {
  id: string;
  world: ComponentWorld;
  config: ComponentConfig;
  /** Whether the transpiled glue came from the on-disk cache. */
  cached: boolean;
  /** What a worker thread needs to run it. */
  guest: GuestSpec;
}

export interface LoadComponentOptions {
  cacheDir: string;
  /** The app's resolved variables (`manifest/variables.ts`); none when absent. */
  variables?: Map<string, string>;
  /** The source file of each component of the manifest, for dependencies naming one. */
  componentSources?: ReadonlyMap<string, string>;
}

// V8 validates each function of a module when that function is first compiled instead of all
// up front: a warm start of eight 12 MB JavaScript components compiles in 70 ms instead of 200.
// Nothing unvalidated ever runs; a function that is not valid Wasm fails when first called
// rather than at load, and only a component no toolchain produced has one.
v8.setFlagsFromString('--wasm-lazy-validation');

/** A component file read, transpiled and compiled under one memory cap. */
interface CompiledFile {
  transpiled: TranspiledComponent;
  coreModules: Map<string, WebAssembly.Module>;
  /** The data written into each instance of a module compiled without it. */
  coreData: Map<string, DataImage>;
  /** Every core module's mutable globals are exported, so instances can be restored. */
  restorable: boolean;
}

/** Which step of preparing a file failed, so each component can say it in its own words. */
class PrepareError extends Error {
  constructor(
    readonly step: 'read' | 'transpile' | 'cap' | 'compile',
    readonly coreModule: string | undefined,
    options: { cause: unknown },
  ) {
    super(step, options);
  }
}

/**
 * Work shared by the components of one load: a 12 MB JavaScript component named by several
 * components is read, capped and compiled once (`files`, by file and memory cap), and core
 * modules with the same code, such as the engine every componentize-js component carries, are
 * compiled once (`code`, by the code's hash).
 */
export interface CompileCache {
  files: Map<string, Promise<CompiledFile>>;
  code: Map<string, Promise<WebAssembly.Module>>;
  /** Told each file's glue module once transpiled, well before its core modules are compiled. */
  onGlue?: (gluePath: string) => void;
}

export function newCompileCache(onGlue?: (gluePath: string) => void): CompileCache {
  return { files: new Map(), code: new Map(), ...(onGlue ? { onGlue } : {}) };
}

async function prepareFile(source: string, maxPages: number, cacheDir: string, shared: CompileCache): Promise<CompiledFile> {
  const read = () =>
    readFile(source).catch((cause) => {
      throw new PrepareError('read', undefined, { cause });
    });
  const transpiled = await transpileFile(source, cacheDir, read).catch((cause) => {
    throw cause instanceof PrepareError ? cause : new PrepareError('transpile', undefined, { cause });
  });
  shared.onGlue?.(transpiled.gluePath);
  const coreModules = new Map<string, WebAssembly.Module>();
  const coreData = new Map<string, DataImage>();
  // A worker tells a module's data by the module: two core modules of one file with the same
  // code must not be one module object.
  const codeOfFile = new Set<string>();
  let restorable = true;
  await Promise.all(
    [...transpiled.coreModules].map(async ([name, read]) => {
      const cached = await rewriteCached(transpiled.dir, name, maxPages, async () => {
        let capped: Uint8Array;
        try {
          capped = capMemories(await read(), maxPages);
        } catch (cause) {
          throw new PrepareError('cap', name, { cause });
        }
        const exported = exportMutableGlobals(capped);
        return exported ? { bytes: exported.module, restorable: true } : { bytes: capped, restorable: false };
      });
      if (!cached.restorable) restorable = false;
      const compiled = codeOfFile.has(cached.code) ? new Map<string, Promise<WebAssembly.Module>>() : shared.code;
      codeOfFile.add(cached.code);
      let compiling = compiled.get(cached.code);
      if (!compiling) compiled.set(cached.code, (compiling = cached.readCode().then((bytes) => WebAssembly.compile(bytes as Uint8Array<ArrayBuffer>))));
      const module = await compiling.catch((cause) => {
        throw new PrepareError('compile', name, { cause });
      });
      coreModules.set(name, module);
      if (cached.image) coreData.set(name, cached.image);
    }),
  );
  return { transpiled, coreModules, coreData, restorable };
}

/**
 * `source` compiled under component `id`'s memory cap; `subject` names the file's role in
 * errors (the component, or one of its dependencies).
 */
async function compileFor(id: string, subject: string, source: string, config: ComponentConfig, cacheDir: string, shared: CompileCache): Promise<CompiledFile> {
  const maxPages = capPages(config.memory);
  const key = `${source}\0${maxPages}`;
  let preparing = shared.files.get(key);
  if (!preparing) shared.files.set(key, (preparing = prepareFile(source, maxPages, cacheDir, shared)));
  try {
    return await preparing;
  } catch (err) {
    const { step, coreModule, cause } = err as PrepareError;
    const reason = (cause as Error)?.message ?? cause;
    if (cause instanceof MemoryMinimumError) {
      throw new ComponentLoadError(
        `${subject} needs ${formatSize(cause.minPages * WASM_PAGE)} of memory to start (core module ${coreModule}), ` +
          `above ${subject === `component "${id}"` ? 'its' : 'the component\'s'} memory limit of ${formatSize(config.memory)}`,
        { component: id },
        { cause },
      );
    }
    const what = {
      read: 'cannot read',
      transpile: 'not a valid component:',
      cap: `cannot cap the memory of core module ${coreModule} of`,
      compile: `cannot compile core module ${coreModule} of`,
    }[step];
    throw new ComponentLoadError(`${subject}: ${what} ${source}: ${reason}`, { component: id }, { cause });
  }
}

/** A dependency compiled, checked and linked, before its sandbox is added. */
type LinkedDependency = Pick<DependencySpec, 'key' | 'gluePath' | 'coreModules' | 'coreData' | 'serves'> & { restorable: boolean };

/**
 * Compiles the dependencies of component `id` and links them to its imports
 * (`dependencies.ts`); returns them with the full names of the imports they serve.
 */
async function loadDependencies(
  id: string,
  config: ComponentConfig,
  transpiled: TranspiledComponent,
  options: LoadComponentOptions,
  shared: CompileCache,
): Promise<{ dependencies: LinkedDependency[]; linked: Set<string> }> {
  const entries = Object.entries(config.dependencies);
  if (entries.length === 0) return { dependencies: [], linked: new Set() };
  const compiled = await Promise.all(
    entries.map(async ([key, dep]) => {
      const source = dep.path ?? options.componentSources?.get(dep.component!);
      if (source === undefined) {
        throw new ComponentLoadError(`component "${id}": dependency "${key}" names component "${dep.component}", which the manifest does not declare`, { component: id });
      }
      const file = await compileFor(id, `dependency "${key}" of component "${id}"`, source, config, options.cacheDir, shared);
      const types = await interfaceTypesCached(file.transpiled.dir, () => readFile(source));
      // An interface the dependency imports for its types alone (one its exports `use`) needs nothing.
      const typesOnly = Object.entries(types.imports).filter(([, functions]) => Object.keys(functions).length === 0);
      checkDependencyImports(id, key, file.transpiled, new Set(typesOnly.map(([name]) => name)));
      return { key, config: dep, source, file, exports: types.exports };
    }),
  );
  const own = await interfaceTypesCached(transpiled.dir, () => readFile(config.source));
  const links = linkDependencies(id, own.imports, compiled);
  const linked = new Set([...links.values()].flatMap((serves) => [...serves.keys()]));
  const dependencies = compiled.map(({ key, file }) => ({
    key,
    gluePath: file.transpiled.gluePath,
    coreModules: file.coreModules,
    coreData: file.coreData,
    restorable: file.restorable,
    // jco's glue looks imports up by interface name without version.
    serves: Object.fromEntries(
      [...links.get(key)!].flatMap(([name, exported]) => (exported === undefined ? [] : [[name.replace(/@.*$/, ''), exported]])),
    ),
  }));
  return { dependencies, linked };
}

/** Reads, transpiles and compiles component `id` and its dependencies. Throws `ComponentLoadError` naming the file. */
export async function loadComponent(
  id: string,
  config: ComponentConfig,
  options: LoadComponentOptions,
  shared: CompileCache = newCompileCache(),
): Promise<LoadedComponent> {
  const maxPages = capPages(config.memory);
  const { transpiled, coreModules, coreData, restorable } = await compileFor(id, `component "${id}"`, config.source, config, options.cacheDir, shared);
  const { dependencies, linked } = await loadDependencies(id, config, transpiled, options, shared);
  const world = componentWorld(id, transpiled, linked);
  const sandbox: SandboxSpec = {
    environment: config.environment,
    preopens: await snapshotFiles(id, config.files),
    allowedOutboundHosts: renderOutboundHosts(id, config.allowed_outbound_hosts, options.variables ?? new Map()),
    grants: grantsFor(config, options.variables ?? new Map()),
  };
  // A dependency gets no capability of its own unless the manifest passes the component's on.
  const dependencySandbox: SandboxSpec = config.dependencies_inherit_configuration
    ? sandbox
    : { environment: {}, preopens: {}, allowedOutboundHosts: [], grants: { keyValueStores: [], publishChannels: [], enqueueQueues: [], sqliteDatabases: [], variables: {} } };

  return {
    id,
    world,
    config,
    cached: transpiled.cached,
    guest: {
      id,
      world,
      isolation: config.isolation,
      gluePath: transpiled.gluePath,
      coreModules,
      coreData,
      ...sandbox,
      dependencies: dependencies.map(({ restorable: _, ...dependency }) => ({ ...dependency, ...dependencySandbox })),
      timeoutMs: config.timeout,
      memoryLimit: config.memory,
      memoryCapBytes: maxPages * WASM_PAGE,
      restorable: restorable && dependencies.every((d) => d.restorable),
      ...(config.recycle_after_events ? { recycleAfterEvents: config.recycle_after_events } : {}),
      recycleAboveMemory: config.recycle_above_memory ?? Math.floor(maxPages * WASM_PAGE * DEFAULT_RECYCLE_MEMORY_SHARE),
    },
  };
}
