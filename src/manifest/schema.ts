/**
 * The manifest (`spindle.toml`) as one zod schema: the single source of truth for what a
 * manifest may say, its defaults and its documentation. The TypeScript types below are
 * inferred from it, and `spindle schema` prints it as JSON Schema for editors.
 */
import { z } from 'zod';
import { parseListen } from '../util/http.js';
import { formatSize, parseDuration, parseSize } from './units.js';

const NAME = /^[a-zA-Z][a-zA-Z0-9_-]*$/;

const name = (what: string) =>
  z.string().regex(NAME, `expected a ${what} name of letters, digits, '-' and '_', starting with a letter`);

/** The longest delay a Node timer keeps; anything longer fires at once. */
const MAX_TIMER_MS = 2 ** 31 - 1;
/** The most a 32-bit linear memory can hold. */
const MAX_MEMORY = 4 * 1024 ** 3;
/**
 * Without `recycle_above_memory`, a pooled instance is replaced once it has grown past this share
 * of `memory`: a guest that grows slowly (a leak, or a JavaScript engine's own growth) is
 * replaced between events rather than failing mid-event at the cap.
 */
export const DEFAULT_RECYCLE_MEMORY_SHARE = 0.75;
/** Where queues live in Redis unless `runtime.queue_prefix` says otherwise: BullMQ's own default. */
export const DEFAULT_QUEUE_PREFIX = 'bull';
/** The largest HTTP body held in memory for one request. */
const MAX_BODY = 1024 ** 3;

/** A duration written `"500ms"`, `"5s"`, `"2m"`, `"1h"`, or a number of milliseconds. */
const duration = z.union([z.string(), z.number()]).transform((value, ctx) => {
  const ms = parseDuration(value);
  if (ms === undefined || ms <= 0) {
    ctx.addIssue({ code: 'custom', message: `expected a duration like "5s" or "500ms", got ${JSON.stringify(value)}` });
    return z.NEVER;
  }
  if (ms > MAX_TIMER_MS) {
    ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is longer than the longest timer Node keeps (${MAX_TIMER_MS} ms, about 24.8 days)` });
    return z.NEVER;
  }
  return ms;
});

/** A size written `"64MiB"`, `"512KiB"`, `"1MB"`, or a number of bytes, at most `max`. */
const size = (max: number) =>
  z.union([z.string(), z.number()]).transform((value, ctx) => {
    const bytes = parseSize(value);
    if (bytes === undefined || bytes <= 0) {
      ctx.addIssue({ code: 'custom', message: `expected a size like "64MiB" or "1MB", got ${JSON.stringify(value)}` });
      return z.NEVER;
    }
    if (bytes > max) {
      ctx.addIssue({ code: 'custom', message: `${JSON.stringify(value)} is above the most allowed here, ${formatSize(max)}` });
      return z.NEVER;
    }
    return bytes;
  });

function isRedisUrl(text: string): boolean {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    return false;
  }
  return (url.protocol === 'redis:' || url.protocol === 'rediss:') && url.hostname !== '' && /^(\/\d*)?$/.test(url.pathname);
}

const componentRef = name('component').describe('The id of a component declared under [component.<id>].');

export const httpTriggerSchema = z.strictObject({
  route: z
    .string()
    .describe('Spin route syntax: an exact path, a prefix ending in "/...", ":name" segments. Exact beats wildcard; the longest prefix wins.'),
  component: componentRef,
});

const deadLetterQueue = name('queue')
  .optional()
  .describe('A queue that gets a job for every event of this trigger that failed (it cannot be retried where it came from): the failure and the data.');

export const redisTriggerSchema = z
  .strictObject({
    channel: z.string().min(1).optional().describe('A channel to SUBSCRIBE to.'),
    pattern: z.string().min(1).optional().describe('A glob pattern to PSUBSCRIBE to, e.g. "orders.*".'),
    component: componentRef,
    dead_letter_queue: deadLetterQueue,
  })
  .refine((t) => (t.channel === undefined) !== (t.pattern === undefined), {
    message: 'expected exactly one of "channel" or "pattern"',
  });

export const backoffSchema = z.strictObject({
  type: z.enum(['fixed', 'exponential']).default('exponential'),
  delay: duration.default(1_000).describe('The first retry delay; exponential doubles it each attempt.'),
});

export const queueTriggerSchema = z.strictObject({
  queue: name('queue'),
  component: componentRef,
  concurrency: z.number().int().min(1).max(1_000).default(1).describe('Jobs processed at once by this process.'),
  attempts: z.number().int().min(1).max(1_000).default(3).describe('Tries before a job fails for good.'),
  backoff: backoffSchema.default({ type: 'exponential', delay: 1_000 }),
  keep_completed: z.number().int().min(0).default(1_000).describe('Completed jobs kept for inspection.'),
  keep_failed: z.number().int().min(0).default(10_000).describe('Failed jobs kept (the dead-letter view).'),
  lock_duration: duration
    .optional()
    .describe('Redis mode: a job whose process stops renewing its lock this long is handed to another process (BullMQ default 30s).'),
});

export const cronTriggerSchema = z.strictObject({
  schedule: z.string().min(1).describe('A 5-field (minute) or 6-field (second) cron expression.'),
  timezone: z.string().optional().describe('An IANA time zone such as "Europe/Vienna"; default UTC.'),
  component: componentRef,
  dead_letter_queue: deadLetterQueue,
});

export const fileMountSchema = z.union([
  z
    .string()
    .describe('A directory or file relative to the manifest, mounted at the same path.')
    .transform((path) => ({ source: path, destination: `/${path.replace(/^(\.\/)+/, '').replace(/\/+$/, '')}` })),
  z.strictObject({
    source: z.string().describe('A host directory, relative to the manifest.'),
    destination: z.string().regex(/^\//, 'expected an absolute guest path').describe('Where the guest sees it.'),
  }),
]);

export const buildSchema = z
  .strictObject({
    source: z.string().describe('The JS or TS handler source to componentize, relative to the manifest.'),
    world: z
      .string()
      .regex(/^[a-z][a-z0-9-]*$/, 'expected a WIT world name')
      .default('handler')
      .describe('"handler" for Spindle\'s own world (export handle), "http" for a wasi:http fetch-event handler, or a world of `wit`.'),
    wit: z
      .string()
      .optional()
      .describe('A folder of the app\'s own WIT declaring `world`, relative to the manifest; it may use Spindle\'s package spindle:app@0.1.0 (e.g. include spindle:app/handler@0.1.0). For dependencies and the components that import them.'),
  })
  .refine((b) => b.wit !== undefined || b.world === 'handler' || b.world === 'http', {
    message: 'expected world "handler" or "http", or a "wit" folder declaring the world',
  });

/**
 * An import name a dependency serves, Spin's syntax: an interface with or without its version
 * (`"acme:text/render@0.1.0"`, `"acme:text/render"`), or a package (`"acme:text"`,
 * `"acme:text@0.1.0"`) for every interface the component imports from it.
 */
const DEPENDENCY_KEY = /^[a-z][a-z0-9-]*:[a-z][a-z0-9-]*(\/[a-z][a-z0-9-]*)?(@\d+\.\d+\.\d+[0-9A-Za-z.+-]*)?$/;

export const dependencySchema = z
  .strictObject({
    path: z.string().min(1).optional().describe('A component .wasm file, relative to the manifest.'),
    component: componentRef.optional().describe('Another component of this manifest, whose source serves as the dependency.'),
    export: z
      .string()
      .min(1)
      .optional()
      .describe('The dependency\'s export to use, when it is named differently from the import (interface keys only).'),
  })
  .refine((d) => (d.path === undefined) !== (d.component === undefined), { message: 'expected exactly one of "path" or "component"' });

export const componentSchema = z.strictObject({
  source: z.string().min(1).describe('The component .wasm file, relative to the manifest.'),
  description: z.string().optional(),
  environment: z.record(z.string(), z.string()).default({}).describe('The only environment variables the guest sees.'),
  allowed_outbound_hosts: z
    .array(z.string())
    .default([])
    .describe('Hosts the guest may reach, Spin syntax: "https://api.example.com", "http://*:8080". None by default.'),
  files: z.array(fileMountSchema).default([]).describe('Host paths the guest may open; nothing else is visible.'),
  timeout: duration.default(30_000).describe('Deadline for one event; a guest past it is stopped.'),
  memory: size(MAX_MEMORY).default(128 * 1024 * 1024).describe('Cap on the instance\'s linear memory.'),
  isolation: z
    .enum(['per-event', 'pooled'])
    .default('pooled')
    .describe('"per-event": a fresh instance for every event. "pooled": warm instances reused until a trap.'),
  recycle_after_events: z
    .number()
    .int()
    .min(1)
    .optional()
    .describe('"pooled": replace an instance after it has handled this many events.'),
  recycle_above_memory: size(MAX_MEMORY)
    .optional()
    .describe(
      `"pooled": replace an instance whose linear memory has grown past this (e.g. a slow leak). Default: ${DEFAULT_RECYCLE_MEMORY_SHARE * 100}% of memory; set it to memory to replace instances by recycle_after_events alone.`,
    ),
  max_concurrency: z.number().int().min(1).default(64).describe('Events in flight for this component; beyond it HTTP answers 503.'),
  overload_wait: duration
    .optional()
    .describe('At max_concurrency, how long an HTTP request may wait for room before it is refused with 503; by default it is refused at once. Pub/sub, queue and cron events wait until there is room.'),
  key_value_stores: z.array(name('store')).default([]).describe('Key-value stores the guest may use.'),
  sqlite_databases: z
    .array(name('database'))
    .default([])
    .describe('SQLite databases the guest may open through Spin\'s sqlite interface; each is a file under the app\'s .spindle/sqlite/.'),
  publish_channels: z.array(z.string()).default([]).describe('Channels (globs allowed) the guest may publish to.'),
  enqueue_queues: z.array(name('queue')).default([]).describe('Queues the guest may add jobs to.'),
  variables: z.record(z.string(), z.string()).default({}).describe('Variables the guest sees: name → template like "{{ api_key }}".'),
  build: buildSchema.optional().describe('How `spindle build` makes `source` from JS/TS.'),
  dependencies: z
    .record(
      z.string().regex(DEPENDENCY_KEY, 'expected an import name like "acme:text/render@0.1.0", "acme:text/render" or a package "acme:text"'),
      dependencySchema,
    )
    .default({})
    .describe('Imports served by another component\'s exports, linked in the same worker: import name → { path } or { component }.'),
  dependencies_inherit_configuration: z
    .boolean()
    .default(false)
    .describe('Give dependencies this component\'s environment, files, outbound hosts, stores, channels, queues and variables; by default they get none.'),
});

export const variableSchema = z
  .strictObject({
    default: z.string().optional(),
    required: z.boolean().default(false),
    secret: z.boolean().default(false).describe('Never logged; may come from the environment as SPINDLE_VARIABLE_<NAME>.'),
  })
  .refine((v) => !(v.required && v.default !== undefined), { message: 'a required variable cannot have a default' })
  .refine((v) => v.required || v.default !== undefined, { message: 'a variable needs a default or required = true' });

export const keyValueLimitsSchema = z.strictObject({
  max_key_size: size(64 * 1024).default(1024).describe('Longest key a guest may use, in bytes of UTF-8.'),
  max_value_size: size(MAX_BODY).default(1024 * 1024).describe('Largest value a guest may set.'),
  max_store_size: size(MAX_MEMORY)
    .default(64 * 1024 * 1024)
    .describe('Embedded mode: keys plus values one store may hold in this process. In redis mode Redis\'s maxmemory bounds it.'),
  max_store_keys: z.number().int().min(1).max(100_000_000).default(100_000).describe('Embedded mode: keys one store may hold.'),
});

export const runtimeSchema = z.strictObject({
  mode: z.enum(['embedded', 'redis']).default('embedded').describe('"embedded": one process, no external service. "redis": shared through Redis.'),
  redis_url: z
    .string()
    .refine(isRedisUrl, { message: 'expected a Redis URL like "redis://host:6379/0" (redis:// or rediss://, a port up to 65535, a numeric database)' })
    .optional()
    .describe('Redis to use in redis mode; --redis and REDIS_URL override it.'),
  queue_prefix: z
    .string()
    .regex(/^[A-Za-z0-9_{}-]+$/, "expected letters, digits, '-', '_' and braces (a Redis Cluster hash tag such as \"{bull}\")")
    .default(DEFAULT_QUEUE_PREFIX)
    .describe('Redis mode: the key prefix of the app\'s queues. BullMQ\'s default, so plain BullMQ producers and dashboards see them; Spindle\'s own keys keep "spindle:".'),
  listen: z.string().default('127.0.0.1:3000').describe('host:port for HTTP triggers; --listen overrides it.'),
  admin_listen: z
    .string()
    .superRefine((value, ctx) => {
      const listen = parseListen(value);
      if (typeof listen === 'string') ctx.addIssue({ code: 'custom', message: listen });
    })
    .optional()
    .describe('host:port for the admin listener (/metrics, /healthz, /readyz); off unless set. --admin overrides it.'),
  max_body_size: size(MAX_BODY).default(1024 * 1024).describe('Largest HTTP request body accepted; larger gets 413.'),
  drain_timeout: duration.default(10_000).describe('How long shutdown waits for events in flight.'),
  key_value: keyValueLimitsSchema
    .default(() => keyValueLimitsSchema.parse({}))
    .describe('Bounds on what guests store; a call past one gets the capability\'s `invalid` error.'),
});

export const triggersSchema = z.strictObject({
  http: z.array(httpTriggerSchema).default([]),
  redis: z.array(redisTriggerSchema).default([]),
  queue: z.array(queueTriggerSchema).default([]),
  cron: z.array(cronTriggerSchema).default([]),
});

export const manifestSchema = z.strictObject({
  spindle_manifest_version: z.literal(1, { error: 'expected spindle_manifest_version = 1' }),
  application: z.strictObject({
    name: name('application'),
    version: z.string().optional(),
    description: z.string().optional(),
  }),
  variables: z.record(z.string().regex(/^[a-z][a-z0-9_]*$/, 'expected a lower_snake_case variable name'), variableSchema).default({}),
  runtime: runtimeSchema.default(() => runtimeSchema.parse({})),
  trigger: triggersSchema.default(() => triggersSchema.parse({})),
  component: z.record(name('component'), componentSchema),
});

export type Manifest = z.output<typeof manifestSchema>;
export type ComponentConfig = z.output<typeof componentSchema>;
export type RuntimeConfig = z.output<typeof runtimeSchema>;
export type Triggers = z.output<typeof triggersSchema>;
export type TriggerKind = keyof Triggers;
export type HttpTriggerConfig = z.output<typeof httpTriggerSchema>;
export type RedisTriggerConfig = z.output<typeof redisTriggerSchema>;
export type QueueTriggerConfig = z.output<typeof queueTriggerSchema>;
export type CronTriggerConfig = z.output<typeof cronTriggerSchema>;
export type FileMount = z.output<typeof fileMountSchema>;
export type DependencyConfig = z.output<typeof dependencySchema>;
