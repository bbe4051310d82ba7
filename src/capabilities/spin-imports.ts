/**
 * Spin's platform imports for one guest, in its worker thread, served by Spindle's own
 * capabilities under the same grants: Spin's key-value and `wasi:keyvalue` open the stores in
 * `key_value_stores`, Spin's variables and `wasi:config/store` read the component's
 * `variables`. The rest of Spin's platform links so a component built against the whole world
 * loads, and each call answers with its interface's own error value.
 *
 * Every error is thrown as the value jco's glue hands the guest as its `err`.
 */
import { spinImportKey, type SpinInterface } from './contract.js';
import { logDenied, serviceCall, type CapabilityHost } from './guest-imports.js';

/** Spin's `variant error` cases as the glue reads a thrown value. */
type VariantError = { tag: string; val?: string };

const UNSUPPORTED = 'not supported by Spindle';

/** Spin's variable names: lower-case letters, digits and underscores, starting with a letter. */
const VARIABLE_NAME = /^[a-z][a-z0-9_]*$/;

/** A resource class whose `open` always fails with `error`: the interface links, every use is refused. */
function unsupportedConnection(error: VariantError) {
  return class Connection {
    static open(): never {
      throw error;
    }
  };
}

/** The import object entries for Spin's platform, keyed as jco's instantiate expects (`spinImportKey`). */
export function spinImports(host: CapabilityHost): Record<string, unknown> {
  const { grants } = host;
  const other = (message: string): VariantError => ({ tag: 'other', val: message });

  /** Opens store `label`, refusing one the component is not granted. */
  const openStore = (label: string, capability: string): string => {
    if (!grants.keyValueStores.includes(label)) {
      const granted = grants.keyValueStores.length ? ` (granted: ${grants.keyValueStores.join(', ')})` : '';
      logDenied(host.log, capability, `component "${host.component}" is not granted key-value store "${label}"${granted}`);
      throw { tag: 'access-denied' } satisfies VariantError;
    }
    return label;
  };
  const kv = <T>(capability: string, serve: Parameters<typeof serviceCall<T>>[2]): T =>
    serviceCall(host, capability, serve, (_, message) => other(message));

  /** Spin's `key-value` store and `wasi:keyvalue`'s bucket share their data with `spindle:app/key-value`. */
  class Store {
    constructor(readonly label: string) {}
    static open(label: string): Store {
      return new Store(openStore(label, 'key-value'));
    }
    get(key: string) {
      return kv('key-value', (s) => s.kvGet(this.label, key));
    }
    set(key: string, value: Uint8Array) {
      kv('key-value', (s) => s.kvSet(this.label, key, value));
    }
    delete(key: string) {
      kv('key-value', (s) => s.kvDelete(this.label, key));
    }
    exists(key: string) {
      return kv('key-value', (s) => s.kvExists(this.label, key));
    }
    getKeys() {
      return kv('key-value', (s) => s.kvListKeys(this.label, ''));
    }
    /** `wasi:keyvalue`: all keys in one page, so there is never a cursor to continue from. */
    listKeys() {
      return { keys: this.getKeys(), cursor: undefined };
    }
  }
  class Bucket extends Store {}
  class Cas {
    static new(): never {
      throw other(`compare-and-swap is ${UNSUPPORTED}`);
    }
  }

  const variable = (name: string, invalid: (message: string) => VariantError, missing: (name: string) => VariantError) => {
    if (!VARIABLE_NAME.test(name)) throw invalid(`"${name}" is not a variable name: lower-case letters, digits and '_', starting with a letter`);
    const value = grants.variables[name];
    if (value === undefined) {
      logDenied(host.log, 'variables', `component "${host.component}" has no variable "${name}"`);
      throw missing(name);
    }
    return value;
  };

  const entries: Record<SpinInterface, unknown> = {
    'fermyon:spin/redis-types': {},
    'fermyon:spin/rdbms-types': {},
    'fermyon:spin/key-value': { Store },
    'fermyon:spin/variables': {
      get: (name: string) => variable(name, (message) => ({ tag: 'invalid-name', val: message }), (n) => ({ tag: 'undefined', val: n })),
    },
    'wasi:config/store': {
      get(key: string) {
        return VARIABLE_NAME.test(key) ? grants.variables[key] : undefined;
      },
      getAll: () => Object.entries(grants.variables),
    },
    'wasi:keyvalue/store': { open: (identifier: string) => new Bucket(openStore(identifier, 'key-value')), Bucket },
    'wasi:keyvalue/atomics': {
      increment: (bucket: Bucket, key: string, delta: bigint) => kv('key-value', (s) => s.kvIncrement(bucket.label, key, delta)),
      Cas,
      swap(): never {
        throw { tag: 'store-error', val: other(`compare-and-swap is ${UNSUPPORTED}`) };
      },
    },
    'wasi:keyvalue/batch': {
      getMany: (bucket: Bucket, keys: string[]) =>
        keys.map((key) => {
          const value = bucket.get(key);
          return value === undefined ? undefined : [key, value];
        }),
      setMany: (bucket: Bucket, pairs: Array<[string, Uint8Array]>) => pairs.forEach(([key, value]) => bucket.set(key, value)),
      deleteMany: (bucket: Bucket, keys: string[]) => keys.forEach((key) => bucket.delete(key)),
    },
    'fermyon:spin/llm': {
      infer(): never {
        throw { tag: 'runtime-error', val: `LLM inferencing is ${UNSUPPORTED}` };
      },
      generateEmbeddings(): never {
        throw { tag: 'runtime-error', val: `LLM embeddings are ${UNSUPPORTED}` };
      },
    },
    'fermyon:spin/redis': { Connection: unsupportedConnection(other(`outbound Redis is ${UNSUPPORTED}`)) },
    'fermyon:spin/postgres': { Connection: unsupportedConnection({ tag: 'connection-failed', val: `PostgreSQL is ${UNSUPPORTED}` }) },
    'fermyon:spin/mysql': { Connection: unsupportedConnection({ tag: 'connection-failed', val: `MySQL is ${UNSUPPORTED}` }) },
    'fermyon:spin/mqtt': { Connection: unsupportedConnection({ tag: 'connection-failed', val: `MQTT is ${UNSUPPORTED}` }) },
    'fermyon:spin/sqlite': { Connection: unsupportedConnection({ tag: 'io', val: `SQLite is ${UNSUPPORTED}` }) },
  };
  return Object.fromEntries(Object.entries(entries).map(([name, value]) => [spinImportKey(name as SpinInterface), value]));
}
