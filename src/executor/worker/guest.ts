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
import type { GuestSpec, SandboxSpec } from '../guest-spec.js';
import { withDataImages } from './data-image.js';
import { directInstantiate } from './lean-imports.js';
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

/** What one jco component needs to be instantiated: its glue, its core modules, its imports. */
interface Instantiable {
  instantiate: Instantiate;
  getCoreModule(name: string): WebAssembly.Module;
  /** `instantiateCore` writing this component's data into the modules compiled without it. */
  withData(instantiateCore: CoreInstantiate): CoreInstantiate;
  imports(): Promise<Record<string, unknown>>;
}

/** jco's glue at `gluePath`; a module imported once per thread, whoever asks first. */
export function importGlue(gluePath: string): Promise<{ instantiate: Instantiate }> {
  return import(pathToFileURL(gluePath).href) as Promise<{ instantiate: Instantiate }>;
}

/**
 * Imports the glue at `gluePath` and builds the sandbox of `sandbox`, named `name` in what it
 * logs and in the errors its refused calls get.
 */
async function prepareInstantiable(
  name: string,
  sandbox: SandboxSpec & Pick<GuestSpec, 'gluePath' | 'coreModules' | 'coreData'>,
  host: GuestHost,
  services: BlockingHostServices,
  callTimeoutMs: number,
): Promise<Instantiable> {
  const glue = await importGlue(sandbox.gluePath);
  const policy = outboundPolicy(sandbox.allowedOutboundHosts);
  const wasi: GuestSandbox = {
    name,
    environment: sandbox.environment,
    preopens: sandbox.preopens,
    stdout: host.stdout,
    stderr: host.stderr,
    outgoingHttp: {
      policy,
      fetch: (request) => services.fetch(request, callTimeoutMs),
      denied: (message) => logDenied(host.log, 'outbound-http', message),
    },
  };
  const capabilityHost = { component: name, grants: sandbox.grants, services, log: host.log };
  const capabilities = { ...capabilityImports(capabilityHost), ...spinImports(capabilityHost, policy) };
  const images = new Map([...sandbox.coreData].map(([module, image]) => [sandbox.coreModules.get(module)!, image]));
  return {
    instantiate: glue.instantiate,
    withData: (instantiateCore) => withDataImages(instantiateCore, images),
    getCoreModule(module) {
      const compiled = sandbox.coreModules.get(module);
      if (!compiled) throw new Error(`${name} has no core module ${module}`);
      return compiled;
    },
    imports: async () => ({ ...(await wasiImports(wasi)), ...capabilities }),
  };
}

/** How instances are linked; the default is what workers run, the other is the reference it is tested against. */
export interface LinkOptions {
  /** Whether imports `lean-imports.ts` lists skip jco's trampolines (default true). */
  directImports?: boolean;
}

/** Imports `spec`'s glue, and its dependencies', and builds their sandboxes, ready to instantiate. */
export async function prepareGuest(spec: GuestSpec, host: GuestHost, options: LinkOptions = {}): Promise<Guest> {
  const direct = options.directImports ?? true;
  // Direct imports call the host's own functions only: an import a dependency serves is a jco
  // export of another instance, which expects to be called inside jco's task machinery.
  const link = (instantiateCore: CoreInstantiate, hostImports: Record<string, unknown>) => (direct ? directInstantiate(instantiateCore, hostImports) : instantiateCore);
  // A host call that hangs (Redis away, a slow upstream) must fail inside the guest, as an
  // error value it can act on, before the event's deadline replaces the whole worker.
  const callTimeoutMs = Math.max(1, Math.floor(spec.timeoutMs * HOST_CALL_SHARE));
  const services = host.services(callTimeoutMs);
  const main = await prepareInstantiable(spec.id, spec, host, services, callTimeoutMs);
  const dependencies = await Promise.all(
    spec.dependencies.map(async (dep) => ({
      serves: dep.serves,
      instantiable: await prepareInstantiable(`${spec.id} (dependency ${dep.key})`, dep, host, services, callTimeoutMs),
    })),
  );
  return {
    spec,
    async instantiate() {
      // One recorder for the component and its dependencies: the pools, the memory watch and
      // state restoring then treat the set as one instance, replaced or restored together.
      const record = recordMemories();
      const linked: Record<string, unknown> = {};
      for (const { serves, instantiable } of dependencies) {
        const imports = await instantiable.imports();
        const instance = await instantiable.instantiate(instantiable.getCoreModule, imports, link(instantiable.withData(record.instantiateCore), imports));
        for (const [name, exported] of Object.entries(serves)) linked[name] = instance[exported];
      }
      const hostImports = await main.imports();
      const imports = { ...hostImports, ...linked };
      for (const name of Object.keys(linked)) delete hostImports[name];
      let core: HandlerCore | undefined;
      const linkCore = link(main.withData(record.instantiateCore), hostImports);
      const instantiateCore: CoreInstantiate = async (module, coreImports) => {
        const made = await linkCore(module, coreImports);
        // Only a core module that imports nothing is called directly: jco's import trampolines
        // run without the task its export wrapper sets up, and take a far slower path then.
        if (spec.world === 'handler' && WebAssembly.Module.imports(module).length === 0) core ??= handlerCore(made.exports);
        return made;
      };
      const instance = await main.instantiate(main.getCoreModule, imports, instantiateCore);
      record.attach(instance);
      if (core) handlerCores.set(instance, core);
      return instance;
    },
  };
}
