/**
 * A component made ready to run: transpiled (or taken from the cache), its core modules
 * compiled once, its world recognised, its sandbox prepared. `instantiate()` then gives a fresh
 * guest instance for the cost of jco's glue and the core modules' start-up.
 */
import { readFile } from 'node:fs/promises';
import { pathToFileURL } from 'node:url';
import { ComponentLoadError } from '../errors.js';
import type { Logger } from '../log.js';
import type { ComponentConfig } from '../manifest/schema.js';
import { snapshotFiles } from './files.js';
import { outboundPolicy } from './outbound.js';
import { transpileCached } from './transpile-cache.js';
import { wasiImports, type GuestSandbox } from './wasi-shim.js';

/** Which contract a component's exports fulfil. */
export type ComponentWorld = 'handler' | 'http';

/** A guest instance as jco's glue returns it; only the world's export is used. */
export type GuestInstance = Record<string, any>;

type Instantiate = (getCoreModule: (name: string) => WebAssembly.Module, imports: Record<string, unknown>) => Promise<GuestInstance>;

export interface LoadedComponent {
  id: string;
  world: ComponentWorld;
  config: ComponentConfig;
  /** Whether the transpiled glue came from the on-disk cache. */
  cached: boolean;
  instantiate(): Promise<GuestInstance>;
}

const HTTP_EXPORT = /^wasi:http\/incoming-handler@0\.2(\.\d+)?$/;

function detectWorld(id: string, exports: Array<[string, string]>): ComponentWorld {
  if (exports.some(([name, kind]) => name === 'handle' && kind === 'function')) return 'handler';
  if (exports.some(([name]) => HTTP_EXPORT.test(name))) return 'http';
  const found = exports.map(([name]) => name).join(', ') || 'nothing';
  throw new ComponentLoadError(
    `component "${id}" exports ${found}; expected Spindle's "handle" function (world spindle:app/handler) or wasi:http/incoming-handler`,
    { component: id },
  );
}

export interface LoadComponentOptions {
  cacheDir: string;
  logger: Logger;
}

/** Reads, transpiles and compiles component `id`. Throws `ComponentLoadError` naming the file. */
export async function loadComponent(id: string, config: ComponentConfig, options: LoadComponentOptions): Promise<LoadedComponent> {
  const fail = (what: string, cause: unknown): never => {
    throw new ComponentLoadError(`component "${id}": ${what} ${config.source}: ${(cause as Error)?.message ?? cause}`, { component: id }, { cause });
  };

  const bytes = await readFile(config.source).catch((cause) => fail('cannot read', cause));
  const transpiled = await transpileCached(bytes, options.cacheDir).catch((cause) => fail('not a valid component:', cause));
  const world = detectWorld(id, transpiled.exports);

  const modules = new Map<string, WebAssembly.Module>();
  await Promise.all(
    [...transpiled.coreModules].map(async ([name, code]) => {
      modules.set(name, await WebAssembly.compile(code as Uint8Array<ArrayBuffer>).catch((cause) => fail(`cannot compile core module ${name} of`, cause)));
    }),
  );
  const glue = (await import(pathToFileURL(transpiled.gluePath).href)) as { instantiate: Instantiate };
  const getCoreModule = (name: string) => modules.get(name)!;

  const log = options.logger.child({ component: id });
  const sandbox: GuestSandbox = {
    name: id,
    environment: config.environment,
    preopens: await snapshotFiles(id, config.files),
    stdout: (line) => log.info({ stream: 'stdout' }, line),
    stderr: (line) => log.warn({ stream: 'stderr' }, line),
    outbound: outboundPolicy(config.allowed_outbound_hosts),
  };

  return {
    id,
    world,
    config,
    cached: transpiled.cached,
    async instantiate() {
      return glue.instantiate(getCoreModule, await wasiImports(sandbox));
    },
  };
}
