/**
 * A component made ready to run, on the main thread: transpiled (or taken from the cache), its
 * core modules capped to the component's memory limit and compiled once, its world recognised,
 * its files snapshotted. The result's `guest` is what every worker thread is given to make
 * instances from (`guest.ts`).
 */
import { readFile } from 'node:fs/promises';
import { ComponentLoadError } from '../errors.js';
import type { ComponentConfig } from '../manifest/schema.js';
import { formatSize } from '../manifest/units.js';
import { snapshotFiles } from './files.js';
import type { ComponentWorld, GuestSpec } from './guest.js';
import { MemoryMinimumError, WASM_PAGE, capMemories, capPages } from './memory-cap.js';
import { transpileCached } from './transpile-cache.js';

export interface LoadedComponent {
  id: string;
  world: ComponentWorld;
  config: ComponentConfig;
  /** Whether the transpiled glue came from the on-disk cache. */
  cached: boolean;
  /** What a worker thread needs to run it. */
  guest: GuestSpec;
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
}

/** Reads, transpiles and compiles component `id`. Throws `ComponentLoadError` naming the file. */
export async function loadComponent(id: string, config: ComponentConfig, options: LoadComponentOptions): Promise<LoadedComponent> {
  const fail = (what: string, cause: unknown): never => {
    throw new ComponentLoadError(`component "${id}": ${what} ${config.source}: ${(cause as Error)?.message ?? cause}`, { component: id }, { cause });
  };

  const bytes = await readFile(config.source).catch((cause) => fail('cannot read', cause));
  const transpiled = await transpileCached(bytes, options.cacheDir).catch((cause) => fail('not a valid component:', cause));
  const world = detectWorld(id, transpiled.exports);

  const maxPages = capPages(config.memory);
  const coreModules = new Map<string, WebAssembly.Module>();
  await Promise.all(
    [...transpiled.coreModules].map(async ([name, code]) => {
      let capped: Uint8Array;
      try {
        capped = capMemories(code, maxPages);
      } catch (cause) {
        if (cause instanceof MemoryMinimumError) {
          throw new ComponentLoadError(
            `component "${id}" needs ${formatSize(cause.minPages * WASM_PAGE)} of memory to start (core module ${name}), ` +
              `above its memory limit of ${formatSize(config.memory)}`,
            { component: id },
            { cause },
          );
        }
        return fail(`cannot cap the memory of core module ${name} of`, cause);
      }
      const module = await WebAssembly.compile(capped as Uint8Array<ArrayBuffer>).catch((cause) => fail(`cannot compile core module ${name} of`, cause));
      coreModules.set(name, module);
    }),
  );

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
      environment: config.environment,
      preopens: await snapshotFiles(id, config.files),
      allowedOutboundHosts: config.allowed_outbound_hosts,
      memoryLimit: config.memory,
    },
  };
}
