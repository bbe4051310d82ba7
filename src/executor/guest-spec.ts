/**
 * What the main thread's loading (`load/`) hands to every worker thread (`worker/`): one
 * component made ready to run, and the conventions of the rewritten core modules that both
 * sides rely on. Every field of a `GuestSpec` survives `postMessage`.
 */
import type { Grants } from '../capabilities/contract.js';
import type { ComponentConfig } from '../manifest/schema.js';

/** Bytes in a Wasm page. */
export const WASM_PAGE = 65_536;

/** Mutable globals are exported under this prefix (`load/global-export.ts`) so state can be restored. */
export const GLOBAL_EXPORT_PREFIX = 'spindle.global.';

/** The WASI 0.2 interfaces every guest's imports are served from (`worker/wasi-shim.ts`), unversioned. */
export const WASI_INTERFACES = [
  'wasi:cli/environment',
  'wasi:cli/exit',
  'wasi:cli/stdin',
  'wasi:cli/stdout',
  'wasi:cli/stderr',
  'wasi:cli/terminal-input',
  'wasi:cli/terminal-output',
  'wasi:cli/terminal-stdin',
  'wasi:cli/terminal-stdout',
  'wasi:cli/terminal-stderr',
  'wasi:clocks/monotonic-clock',
  'wasi:clocks/wall-clock',
  'wasi:filesystem/preopens',
  'wasi:filesystem/types',
  'wasi:io/error',
  'wasi:io/poll',
  'wasi:io/streams',
  'wasi:random/random',
  'wasi:random/insecure',
  'wasi:random/insecure-seed',
  'wasi:http/types',
  'wasi:http/outgoing-handler',
  'wasi:sockets/network',
  'wasi:sockets/instance-network',
  'wasi:sockets/ip-name-lookup',
  'wasi:sockets/tcp',
  'wasi:sockets/tcp-create-socket',
  'wasi:sockets/udp',
  'wasi:sockets/udp-create-socket',
] as const;
export type WasiInterface = (typeof WASI_INTERFACES)[number];

/**
 * Which contract a component's exports fulfil; each has its caller in `worker/worlds/`.
 * `spin-redis` is Spin's Redis trigger world (`fermyon:spin/inbound-redis`), `spin-cron` the
 * Spin cron trigger plugin's (`handle-cron-event`).
 */
export type ComponentWorld = 'handler' | 'http' | 'spin-redis' | 'spin-cron';

/** A read-only file tree as the in-memory filesystem takes it. */
export type FileTree = { dir: Record<string, FileTree> } | { source: Uint8Array };

/**
 * The sandbox a guest is rebuilt from in a worker: what WASI shows it and what Spindle's
 * capabilities grant it.
 */
export interface SandboxSpec {
  environment: Record<string, string>;
  /** Guest path → read-only snapshot of granted files. */
  preopens: Record<string, FileTree>;
  allowedOutboundHosts: string[];
  /** Stores, channels, queues and variables the guest may use. */
  grants: Grants;
}

/**
 * A core module's data segments, as runs of bytes to write into the memory it exports under
 * `memory`: run i goes to offset `runs[i][0]` and is the next `runs[i][1]` bytes of `data`.
 * `data` is shared memory, so every worker is handed the same bytes without a copy.
 */
export interface DataImage {
  memory: string;
  runs: Array<[number, number]>;
  data: Uint8Array;
}

/**
 * A component another one imports from, instantiated beside each of its instances in the same
 * worker; its exports are passed to the dependent as imports. Its memories are capped like the
 * dependent's.
 */
export interface DependencySpec extends SandboxSpec {
  /** The manifest's key for it, e.g. `acme:text/render@0.1.0`. */
  key: string;
  gluePath: string;
  coreModules: Map<string, WebAssembly.Module>;
  coreData: Map<string, DataImage>;
  /** The dependent's imports it serves, as the glue looks them up (unversioned) → its export's name. */
  serves: Record<string, string>;
}

export interface GuestSpec extends SandboxSpec {
  id: string;
  world: ComponentWorld;
  isolation: ComponentConfig['isolation'];
  /** The transpiled glue module exporting `instantiate(getCoreModule, imports, instantiateCore)`. */
  gluePath: string;
  /** Compiled core modules by the file name the glue asks for, memories already capped. */
  coreModules: Map<string, WebAssembly.Module>;
  /**
   * The data segments taken out of core modules (`load/data-split.ts`), by the same names:
   * written into each new instance's memory before its code runs. A module without an entry
   * was compiled whole.
   */
  coreData: Map<string, DataImage>;
  /** Instantiated first, in this order, for each instance; none for most components. */
  dependencies: DependencySpec[];
  /** The component's deadline for one event; each host call it makes gets 80% of it. */
  timeoutMs: number;
  /** The component's `memory` limit in bytes, as the manifest gives it. */
  memoryLimit: number;
  /** What the engine enforces: the limit in whole pages, in bytes. */
  memoryCapBytes: number;
  /** Instances, with their dependencies, can be put back to their state after instantiation (`worker/instance-state.ts`). */
  restorable: boolean;
  /** Pooled instances are replaced after this many events, when set. */
  recycleAfterEvents?: number;
  /**
   * Pooled instances are replaced once their linear memory has grown past this many bytes:
   * `recycle_above_memory`, or a share of the cap.
   */
  recycleAboveMemory: number;
}
