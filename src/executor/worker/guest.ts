/**
 * A component as a worker thread runs it. The main thread transpiles and compiles each
 * component once and posts a `GuestSpec` — compiled modules plus the plain data its sandbox is
 * rebuilt from — to every worker; `prepareGuest` turns that into a factory of guest instances.
 */
import { pathToFileURL } from 'node:url';
import type { BlockingHostServices } from '../../capabilities/contract.js';
import { capabilityImports, logDenied, type CapabilityHost } from '../../capabilities/guest-imports.js';
import { outboundPolicy } from '../../capabilities/outbound-hosts.js';
import { spinImports } from '../../capabilities/spin-imports.js';
import type { GuestSpec } from '../guest-spec.js';
import { recordMemories, type CoreInstantiate } from './memory-watch.js';
import { wasiImports, type GuestSandbox, type LineSink } from './wasi-shim.js';
import { handlerCore, handlerCores, type HandlerCore } from './worlds/handler-abi.js';

/** The part of a component's `timeout` one host call may take. */
const HOST_CALL_SHARE = 0.8;

/** A guest instance as jco's glue returns it; only the world's export is used. */
export type GuestInstance = Record<string, any>;

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
  /** The main thread's services, each call blocking for at most `timeoutMs`. */
  services(timeoutMs: number): BlockingHostServices;
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
  const services = host.services(callTimeoutMs);
  const policy = outboundPolicy(spec.allowedOutboundHosts);
  const sandbox: GuestSandbox = {
    name: spec.id,
    environment: spec.environment,
    preopens: spec.preopens,
    stdout: host.stdout,
    stderr: host.stderr,
    outgoingHttp: {
      policy,
      fetch: (request) => services.fetch(request, callTimeoutMs),
      denied: (message) => logDenied(host.log, 'outbound-http', message),
    },
  };
  const capabilityHost = { component: spec.id, grants: spec.grants, services, log: host.log };
  const capabilities = { ...capabilityImports(capabilityHost), ...spinImports(capabilityHost, policy) };
  return {
    spec,
    async instantiate() {
      const record = recordMemories();
      let core: HandlerCore | undefined;
      const instantiateCore: CoreInstantiate = async (module, imports) => {
        const made = await record.instantiateCore(module, imports);
        if (spec.world === 'handler') core ??= handlerCore(made.exports);
        return made;
      };
      const instance = await glue.instantiate(getCoreModule, { ...(await wasiImports(sandbox)), ...capabilities }, instantiateCore);
      record.attach(instance);
      if (core) handlerCores.set(instance, core);
      return instance;
    },
  };
}
