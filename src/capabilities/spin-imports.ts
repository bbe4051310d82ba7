/**
 * Spin's platform imports for one guest, in its worker thread, served by Spindle's own
 * capabilities under the same grants: Spin's key-value and `wasi:keyvalue` open the stores in
 * `key_value_stores`, Spin's variables and `wasi:config/store` read the component's
 * `variables`; Spin's outbound Redis reaches the `redis://` hosts in `allowed_outbound_hosts`;
 * Spin's SQLite opens the databases in `sqlite_databases`.
 * The rest of Spin's platform links so a component built against the whole world loads, and
 * each call answers with its interface's own error value.
 *
 * Every error is thrown as the value jco's glue hands the guest as its `err`.
 */
import { type RedisArgument, type RedisReply, type SpinInterface, type SqliteValue } from './contract.js';
import { logDenied, serviceCall, type CapabilityHost } from './guest-imports.js';
import type { OutboundPolicy } from './outbound-hosts.js';

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

const other = (message: string): VariantError => ({ tag: 'other', val: message });
const decoder = new TextDecoder();

/** Spin's `redis-parameter` and `redis-result` as jco passes them. */
type RedisParameter = { tag: 'int64'; val: bigint } | { tag: 'binary'; val: Uint8Array };
type RedisResult = { tag: 'nil' } | { tag: 'status'; val: string } | { tag: 'int64'; val: bigint } | { tag: 'binary'; val: Uint8Array };

function redisResult(reply: RedisReply): RedisResult[] {
  if (Array.isArray(reply)) return reply.flatMap(redisResult);
  if (reply === null) return [{ tag: 'nil' }];
  if (typeof reply === 'bigint') return [{ tag: 'int64', val: reply }];
  if (reply instanceof Uint8Array) return [{ tag: 'binary', val: reply }];
  return [{ tag: 'status', val: reply.status }];
}

const redisText = (reply: RedisReply): string => (reply instanceof Uint8Array ? decoder.decode(reply) : typeof reply === 'object' && reply && 'status' in reply ? reply.status : String(reply));
const redisCount = (reply: RedisReply): number => Number(reply);

/**
 * `fermyon:spin/redis`'s connection class for one guest: an address is opened only when a
 * `redis://` (or `rediss://`) entry of `allowed_outbound_hosts` admits it.
 */
function redisConnectionClass(host: CapabilityHost, policy: OutboundPolicy) {
  return class Connection {
    private constructor(readonly address: string) {}

    static open(address: string): Connection {
      let url: URL;
      try {
        url = new URL(address);
      } catch {
        throw { tag: 'invalid-address' } satisfies VariantError;
      }
      const scheme = url.protocol.replace(/:$/, '');
      if ((scheme !== 'redis' && scheme !== 'rediss') || !url.hostname) throw { tag: 'invalid-address' } satisfies VariantError;
      if (!policy(scheme, url.host)) {
        const message = `component "${host.component}" may not reach ${scheme}://${url.host}: it is not in allowed_outbound_hosts`;
        logDenied(host.log, 'outbound-redis', message);
        throw other(message);
      }
      return new Connection(address);
    }

    private run(command: string, args: RedisArgument[]): RedisReply {
      return serviceCall(host, 'outbound-redis', (s) => s.redisExecute(this.address, command, args), (_, message) =>
        /\bWRONGTYPE\b/.test(message) ? { tag: 'type-error' } : other(message),
      );
    }

    publish(channel: string, payload: Uint8Array): void {
      this.run('PUBLISH', [channel, payload]);
    }
    get(key: string): Uint8Array | undefined {
      const reply = this.run('GET', [key]);
      return reply instanceof Uint8Array ? reply : undefined;
    }
    set(key: string, value: Uint8Array): void {
      this.run('SET', [key, value]);
    }
    incr(key: string): bigint {
      return BigInt(redisCount(this.run('INCR', [key])));
    }
    del(keys: string[]): number {
      return redisCount(this.run('DEL', keys));
    }
    sadd(key: string, values: string[]): number {
      return redisCount(this.run('SADD', [key, ...values]));
    }
    smembers(key: string): string[] {
      const reply = this.run('SMEMBERS', [key]);
      return Array.isArray(reply) ? reply.map(redisText) : [];
    }
    srem(key: string, values: string[]): number {
      return redisCount(this.run('SREM', [key, ...values]));
    }
    execute(command: string, args: RedisParameter[]): RedisResult[] {
      return redisResult(this.run(command, args.map((a) => a.val)));
    }
  };
}

/** Spin's sqlite `value` as jco passes it. */
type SpinSqliteValue = { tag: 'integer'; val: bigint } | { tag: 'real'; val: number } | { tag: 'text'; val: string } | { tag: 'blob'; val: Uint8Array } | { tag: 'null' };

function spinSqliteValue(value: SqliteValue): SpinSqliteValue {
  if (value === null) return { tag: 'null' };
  if (typeof value === 'bigint') return { tag: 'integer', val: value };
  if (typeof value === 'number') return { tag: 'real', val: value };
  if (typeof value === 'string') return { tag: 'text', val: value };
  return { tag: 'blob', val: value };
}

/** `fermyon:spin/sqlite@2.0.0`'s connection class: a database opens only when granted in `sqlite_databases`. */
function sqliteConnectionClass(host: CapabilityHost) {
  return class Connection {
    private constructor(readonly database: string) {}

    static open(database: string): Connection {
      if (!host.grants.sqliteDatabases.includes(database)) {
        const granted = host.grants.sqliteDatabases.length ? ` (granted: ${host.grants.sqliteDatabases.join(', ')})` : '';
        logDenied(host.log, 'sqlite', `component "${host.component}" is not granted SQLite database "${database}"${granted}`);
        throw { tag: 'access-denied' } satisfies VariantError;
      }
      return new Connection(database);
    }

    execute(statement: string, parameters: SpinSqliteValue[]) {
      const params = parameters.map((p) => (p.tag === 'null' ? null : p.val));
      const { columns, rows } = serviceCall(host, 'sqlite', (s) => s.sqliteExecute(this.database, statement, params), (_, message) => ({ tag: 'io', val: message }));
      return { columns, rows: rows.map((row) => ({ values: row.map(spinSqliteValue) })) };
    }
  };
}

/**
 * The import object entries for Spin's platform, keyed as jco's instantiate expects
 * (`SpinInterface`); `policy` is the component's `allowed_outbound_hosts`.
 */
export function spinImports(host: CapabilityHost, policy: OutboundPolicy): Record<SpinInterface, unknown> {
  const { grants } = host;

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

  const postgres = { Connection: unsupportedConnection({ tag: 'connection-failed', val: `PostgreSQL is ${UNSUPPORTED}` }) };
  const sqlite3 = { Connection: unsupportedConnection({ tag: 'io', val: `spin:sqlite@3.0.0 is ${UNSUPPORTED}; fermyon:spin/sqlite@2.0.0 is served` }) };
  return {
    'fermyon:spin/redis-types': {},
    'fermyon:spin/rdbms-types@2.0.0': {},
    'fermyon:spin-cron/cron-types@2.0.0': {},
    'fermyon:spin/key-value@2.0.0': { Store },
    'fermyon:spin/variables@2.0.0': {
      get: (name: string) => variable(name, (message) => ({ tag: 'invalid-name', val: message }), (n) => ({ tag: 'undefined', val: n })),
    },
    'wasi:config/store@0.2.0-draft-2024-09-27': {
      get(key: string) {
        return VARIABLE_NAME.test(key) ? grants.variables[key] : undefined;
      },
      getAll: () => Object.entries(grants.variables),
    },
    'wasi:keyvalue/store@0.2.0-draft2': { open: (identifier: string) => new Bucket(openStore(identifier, 'key-value')), Bucket },
    'wasi:keyvalue/atomics@0.2.0-draft2': {
      increment: (bucket: Bucket, key: string, delta: bigint) => kv('key-value', (s) => s.kvIncrement(bucket.label, key, delta)),
      Cas,
      swap(): never {
        throw { tag: 'store-error', val: other(`compare-and-swap is ${UNSUPPORTED}`) };
      },
    },
    // One crossing to the store for the whole batch, as `spindle:app/key-value`'s get-many and set-many.
    'wasi:keyvalue/batch@0.2.0-draft2': {
      getMany: (bucket: Bucket, keys: string[]) =>
        kv('key-value', (s) => s.kvGetMany(bucket.label, keys)).map((value, i) => (value === undefined ? undefined : [keys[i]!, value])),
      setMany: (bucket: Bucket, pairs: Array<[string, Uint8Array]>) => kv('key-value', (s) => s.kvSetMany(bucket.label, pairs)),
      deleteMany: (bucket: Bucket, keys: string[]) => keys.forEach((key) => bucket.delete(key)),
    },
    'fermyon:spin/llm@2.0.0': {
      infer(): never {
        throw { tag: 'runtime-error', val: `LLM inferencing is ${UNSUPPORTED}` };
      },
      generateEmbeddings(): never {
        throw { tag: 'runtime-error', val: `LLM embeddings are ${UNSUPPORTED}` };
      },
    },
    'fermyon:spin/redis@2.0.0': { Connection: redisConnectionClass(host, policy) },
    'fermyon:spin/postgres@2.0.0': postgres,
    'spin:postgres/postgres@3.0.0': postgres,
    'spin:postgres/postgres@4.0.0': postgres,
    'fermyon:spin/mysql@2.0.0': { Connection: unsupportedConnection({ tag: 'connection-failed', val: `MySQL is ${UNSUPPORTED}` }) },
    'fermyon:spin/mqtt@2.0.0': { Connection: unsupportedConnection({ tag: 'connection-failed', val: `MQTT is ${UNSUPPORTED}` }) },
    'fermyon:spin/sqlite@2.0.0': { Connection: sqliteConnectionClass(host) },
    'spin:sqlite/sqlite@3.0.0': sqlite3,
  } satisfies Record<SpinInterface, unknown>;
}
