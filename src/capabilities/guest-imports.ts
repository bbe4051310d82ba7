/**
 * Spindle's host imports (`spindle:app/*` in `wit/spindle.wit`) for one guest, in its worker
 * thread. Each is checked against the component's grants here, before anything crosses a
 * thread: a call outside them gets a `denied` error value in the guest and a warning in the
 * log, and the guest goes on. Granted calls that need the broker or a store are synchronous
 * host calls to the main thread, which owns those connections (`contract.ts` types them).
 */
import { errorMessage } from '../errors.js';
import type { LogLevel } from '../log.js';
import { globToRegExp } from '../util/glob.js';
import { INVALID_ERROR_NAME, type BlockingHostServices, type Grants, type SpindleInterface } from './contract.js';

/** What the imports need from the worker around them. */
export interface CapabilityHost {
  component: string;
  grants: Grants;
  /** The main thread's services, called synchronously. */
  services: BlockingHostServices;
  log(level: LogLevel, fields: Record<string, unknown>, message: string): void;
}

/** A `capability-error` as jco's glue turns a thrown value into a guest `err`. */
type CapabilityError = { tag: 'denied' | 'invalid' | 'unavailable'; val: string };

const LEVELS: Record<string, LogLevel> = { debug: 'debug', info: 'info', warn: 'warn', error: 'error' };

/** The warning every refused capability call leaves, whichever capability refused it. */
export function logDenied(log: CapabilityHost['log'], capability: string, message: string): void {
  log('warn', { capability }, `denied: ${message}`);
}

/**
 * Runs one granted call on the main thread's services. A failure is logged (unless it is the
 * caller's own bad input) and thrown as the value `errorValue` makes of it, which jco's glue
 * hands the guest as its `err`.
 */
export function serviceCall<T>(
  host: CapabilityHost,
  capability: string,
  serve: (services: BlockingHostServices) => T,
  errorValue: (invalid: boolean, message: string) => unknown,
): T {
  try {
    return serve(host.services);
  } catch (err) {
    const invalid = (err as Error)?.name === INVALID_ERROR_NAME;
    const message = errorMessage(err);
    if (!invalid) host.log('warn', { capability, err: message }, `${capability} failed`);
    throw errorValue(invalid, message);
  }
}

/** The import object entries for `spindle:app/*`, keyed as jco's instantiate expects. */
export function capabilityImports(host: CapabilityHost): Record<SpindleInterface, unknown> {
  const { grants } = host;
  const channelGrants = grants.publishChannels.map(globToRegExp);

  const deny = (capability: string, what: string, granted: string[]): never => {
    const message = `component "${host.component}" is not granted ${what}${granted.length ? ` (granted: ${granted.join(', ')})` : ''}`;
    logDenied(host.log, capability, message);
    throw { tag: 'denied', val: message } satisfies CapabilityError;
  };
  const call = <T>(capability: string, serve: (services: BlockingHostServices) => T): T =>
    serviceCall(host, capability, serve, (invalid, message) => ({ tag: invalid ? 'invalid' : 'unavailable', val: message }) satisfies CapabilityError);
  const kv = <T>(name: string, serve: (services: BlockingHostServices) => T): T => {
    if (!grants.keyValueStores.includes(name)) deny('key-value', `key-value store "${name}"`, grants.keyValueStores);
    return call('key-value', serve);
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
        call('pubsub', (s) => s.publish(channel, data));
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
        return call('queue', (s) => s.enqueue(queue, data, opts));
      },
    },
    'spindle:app/key-value': {
      get: (name: string, key: string) => kv(name, (s) => s.kvGet(name, key)),
      set: (name: string, key: string, value: Uint8Array, ttlMs?: bigint) =>
        kv(name, (s) => s.kvSet(name, key, value, ttlMs === undefined ? undefined : Number(ttlMs))),
      delete: (name: string, key: string) => kv(name, (s) => s.kvDelete(name, key)),
      exists: (name: string, key: string) => kv(name, (s) => s.kvExists(name, key)),
      increment: (name: string, key: string, delta: bigint) => kv(name, (s) => s.kvIncrement(name, key, delta)),
      listKeys: (name: string, prefix: string) => kv(name, (s) => s.kvListKeys(name, prefix)),
      getMany: (name: string, keys: string[]) => kv(name, (s) => s.kvGetMany(name, keys)),
      setMany: (name: string, entries: Array<[string, Uint8Array]>, ttlMs?: bigint) =>
        kv(name, (s) => s.kvSetMany(name, entries, ttlMs === undefined ? undefined : Number(ttlMs))),
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
