/**
 * A component as a worker thread runs it. The main thread transpiles and compiles each
 * component once and posts a `GuestSpec` — compiled modules plus the plain data its sandbox is
 * rebuilt from — to every worker; `prepareGuest` turns that into a factory of guest instances.
 */
import { pathToFileURL } from 'node:url';
import type { ComponentConfig } from '../manifest/schema.js';
import { capabilityImports, logDenied, type CapabilityHost, type Grants } from './capabilities.js';
import { recordMemories, type CoreInstantiate } from './memory-watch.js';
import { outboundPolicy } from './outbound.js';
import type { IncomingResponseData } from './outgoing-http.js';
import { wasiImports, type FileTree, type GuestSandbox, type LineSink } from './wasi-shim.js';

/** The part of a component's `timeout` one host call may take. */
const HOST_CALL_SHARE = 0.8;

/** Which contract a component's exports fulfil. */
export type ComponentWorld = 'handler' | 'http';

/** A guest instance as jco's glue returns it; only the world's export is used. */
export type GuestInstance = Record<string, any>;

/** Everything a worker needs to run a component; every field survives `postMessage`. */
export interface GuestSpec {
  id: string;
  world: ComponentWorld;
  isolation: ComponentConfig['isolation'];
  /** The transpiled glue module exporting `instantiate(getCoreModule, imports, instantiateCore)`. */
  gluePath: string;
  /** Compiled core modules by the file name the glue asks for, memories already capped. */
  coreModules: Map<string, WebAssembly.Module>;
  environment: Record<string, string>;
  /** Guest path → read-only snapshot of granted files. */
  preopens: Record<string, FileTree>;
  allowedOutboundHosts: string[];
  /** Stores, channels, queues and variables the component may use. */
  grants: Grants;
  /** The component's deadline for one event; each host call it makes gets 80% of it. */
  timeoutMs: number;
  /** The component's `memory` limit in bytes, as the manifest gives it. */
  memoryLimit: number;
  /** Instances can be put back to their state after instantiation (`instance-state.ts`). */
  restorable: boolean;
  /** Pooled instances are replaced after this many events, when set. */
  recycleAfterEvents?: number;
  /** Pooled instances are replaced once their linear memory exceeds this many bytes, when set. */
  recycleAboveMemory?: number;
}

type Instantiate = (
  getCoreModule: (name: string) => WebAssembly.Module,
  imports: Record<string, unknown>,
  instantiateCore: CoreInstantiate,
) => Promise<GuestInstance>;

/** Makes instances of one component inside a worker. */
export interface Guest {
  readonly spec: GuestSpec;
  /** A fresh instance; its memories are known to `memory-watch.ts`. */
  instantiate(): Promise<GuestInstance>;
}

/** What the worker around a guest gives it: where its output goes, and the main thread. */
export interface GuestHost {
  stdout: LineSink;
  stderr: LineSink;
  log: CapabilityHost['log'];
  /** A synchronous call to the main thread (`HostServices`), bounded by `timeoutMs`. */
  call(method: string, args: unknown[], timeoutMs: number): unknown;
}

/** Imports `spec`'s glue and builds its sandbox, ready to instantiate. */
export async function prepareGuest(spec: GuestSpec, host: GuestHost): Promise<Guest> {
  const glue = (await import(pathToFileURL(spec.gluePath).href)) as { instantiate: Instantiate };
  const getCoreModule = (name: string) => {
    const module = spec.coreModules.get(name);
    if (!module) throw new Error(`component "${spec.id}" has no core module ${name}`);
    return module;
  };
  // A host call that hangs (Redis away, a slow upstream) must fail inside the guest, as an
  // error value it can act on, before the event's deadline replaces the whole worker.
  const callTimeoutMs = Math.max(1, Math.floor(spec.timeoutMs * HOST_CALL_SHARE));
  const sandbox: GuestSandbox = {
    name: spec.id,
    environment: spec.environment,
    preopens: spec.preopens,
    stdout: host.stdout,
    stderr: host.stderr,
    outbound: outboundPolicy(spec.allowedOutboundHosts),
    fetch: (request) => host.call('fetch', [request, callTimeoutMs], callTimeoutMs) as IncomingResponseData,
    denied: (message) => logDenied(host.log, 'outbound-http', message),
  };
  const capabilities = capabilityImports({
    component: spec.id,
    grants: spec.grants,
    call: (method, args) => host.call(method, args, callTimeoutMs),
    log: host.log,
  });
  return {
    spec,
    async instantiate() {
      const record = recordMemories();
      const instance = await glue.instantiate(getCoreModule, { ...(await wasiImports(sandbox)), ...capabilities }, record.instantiateCore);
      record.attach(instance);
      return instance;
    },
  };
}
