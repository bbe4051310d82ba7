/**
 * Spindle's host imports (`spindle:app/*` in `wit/spindle.wit`) for one guest, in its worker
 * thread. Each is checked against the component's grants here, before anything crosses a
 * thread: a call outside them gets a `denied` error value in the guest and a warning in the
 * log, and the guest goes on. Granted calls that need the broker or a store are synchronous
 * host calls (`host-calls.ts`) to the main thread, which owns those connections.
 */
import { errorMessage } from '../errors.js';
import { globToRegExp } from '../brokers/glob.js';
import { INVALID_ERROR_NAME } from '../kv/store.js';
import type { LogLevel } from './worker-protocol.js';

/** What a component is allowed to touch, from its manifest entry. */
export interface Grants {
  keyValueStores: string[];
  publishChannels: string[];
  enqueueQueues: string[];
  /** The component's variables, already rendered. */
  variables: Record<string, string>;
}

/** What the imports need from the worker around them. */
export interface CapabilityHost {
  component: string;
  grants: Grants;
  /** A synchronous call to the main thread; `host-services.ts` has the methods. */
  call(method: string, args: unknown[]): unknown;
  log(level: LogLevel, fields: Record<string, unknown>, message: string): void;
}

/** A `capability-error` as jco's glue turns a thrown value into a guest `err`. */
type CapabilityError = { tag: 'denied' | 'invalid' | 'unavailable'; val: string };

const LEVELS: Record<string, LogLevel> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

/** The warning every refused capability call leaves, whichever capability refused it. */
export function logDenied(log: CapabilityHost['log'], capability: string, message: string): void {
  log('warn', { capability }, `denied: ${message}`);
}

/** The import object entries for `spindle:app/*`, keyed as jco's instantiate expects. */
export function capabilityImports(host: CapabilityHost): Record<string, unknown> {
  const { grants } = host;
  const channelGrants = grants.publishChannels.map(globToRegExp);

  const deny = (capability: string, what: string, granted: string[]): never => {
    const message = `component "${host.component}" is not granted ${what}${granted.length ? ` (granted: ${granted.join(', ')})` : ''}`;
    logDenied(host.log, capability, message);
    throw { tag: 'denied', val: message } satisfies CapabilityError;
  };
  const call = (capability: string, method: string, args: unknown[]): unknown => {
    try {
      return host.call(method, args);
    } catch (err) {
      const invalid = (err as Error)?.name === INVALID_ERROR_NAME;
      const message = errorMessage(err);
      if (!invalid) host.log('warn', { capability, err: message }, `${capability} failed`);
      throw { tag: invalid ? 'invalid' : 'unavailable', val: message } satisfies CapabilityError;
    }
  };
  const store = (name: string) => {
    if (!grants.keyValueStores.includes(name)) deny('key-value', `key-value store "${name}"`, grants.keyValueStores);
  };
  const kv = (op: string, name: string, ...args: unknown[]) => {
    store(name);
    return call('key-value', 'kv', [op, name, ...args]);
  };

  return {
    'spindle:app/types': {},
    'spindle:app/log': {
      log(level: string, message: string) {
        host.log(LEVELS[level] ?? 'info', { source: 'guest' }, message);
      },
    },
    'spindle:app/pubsub': {
      publish(channel: string, data: Uint8Array) {
        if (!channelGrants.some((grant) => grant.test(channel))) deny('pubsub', `channel "${channel}"`, grants.publishChannels);
        call('pubsub', 'publish', [channel, data]);
      },
    },
    'spindle:app/queue': {
      enqueue(queue: string, data: Uint8Array, options: { delayMs?: bigint; attempts?: number; jobId?: string }) {
        if (!grants.enqueueQueues.includes(queue)) deny('queue', `queue "${queue}"`, grants.enqueueQueues);
        const opts = {
          ...(options.delayMs === undefined ? {} : { delayMs: Number(options.delayMs) }),
          ...(options.attempts === undefined ? {} : { attempts: options.attempts }),
          ...(options.jobId === undefined ? {} : { jobId: options.jobId }),
        };
        return call('queue', 'enqueue', [queue, data, opts]);
      },
    },
    'spindle:app/key-value': {
      get: (name: string, key: string) => kv('get', name, key),
      set: (name: string, key: string, value: Uint8Array, ttlMs?: bigint) =>
        void kv('set', name, key, value, ttlMs === undefined ? undefined : Number(ttlMs)),
      delete: (name: string, key: string) => kv('delete', name, key),
      exists: (name: string, key: string) => kv('exists', name, key),
      increment: (name: string, key: string, delta: bigint) => kv('increment', name, key, delta),
      listKeys: (name: string, prefix: string) => kv('listKeys', name, prefix),
    },
    'spindle:app/variables': {
      get(name: string) {
        const value = grants.variables[name];
        if (value === undefined) deny('variables', `variable "${name}"`, Object.keys(grants.variables));
        return value;
      },
    },
  };
}
