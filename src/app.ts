/**
 * An app: a manifest's components loaded into the executor and its triggers started, each
 * trigger given the executor's `dispatch`. `runApp` is `spindle up`: it runs until SIGINT or
 * SIGTERM and then drains.
 */
import type { Broker } from './brokers/broker.js';
import { createBroker, redisUrlFor } from './brokers/index.js';
import type { Dispatch, Outcome, SpindleEvent } from './event.js';
import { errorMessage } from './errors.js';
import { createLogger, type Logger } from './log.js';
import { loadManifest, type LoadedManifest } from './manifest/load.js';
import type { Manifest, TriggerKind } from './manifest/schema.js';
import { Executor, defaultCacheDir } from './executor/executor.js';
import { hostServices } from './host-services.js';
import { createKeyValue } from './kv/index.js';
import type { KeyValue } from './kv/store.js';
import { resolveVariables } from './manifest/variables.js';
import type { Trigger, TriggerFactory } from './triggers/trigger.js';

export interface AppOptions {
  /** Overrides `runtime.listen`. */
  listen?: string;
  /** Runs in redis mode on this Redis, whatever the manifest says. */
  redis?: string;
  /** How long start-up waits for Redis before failing; default 10 s. */
  brokerReadyTimeoutMs?: number;
  /** Called after every event with its outcome and duration: a hook for metrics. */
  onEvent?: EventObserver;
  /** Worker threads running guests; see `ExecutorOptions.workers`. */
  workers?: number;
  logger?: Logger;
  cacheDir?: string;
}

export interface App {
  manifest: Manifest;
  executor: Executor;
  broker: Broker;
  keyValue: KeyValue;
  triggers: Trigger[];
  logger: Logger;
  /** Stops every trigger (draining events in flight), then the executor. Idempotent. */
  stop(): Promise<void>;
}

/** How long start-up waits for Redis before it gives up with a clear error. */
const BROKER_READY_TIMEOUT_MS = 10_000;

export type EventObserver = (component: string, event: SpindleEvent, outcome: Outcome, ms: number) => void;

/** Wraps `dispatch` to log each event's outcome with its component and event id. */
function loggedDispatch(dispatch: Dispatch, logger: Logger, observe?: EventObserver): Dispatch {
  return async (component, event) => {
    const started = performance.now();
    const outcome = await dispatch(component, event);
    const elapsed = performance.now() - started;
    observe?.(component, event, outcome, elapsed);
    const ms = Math.round(elapsed * 100) / 100;
    if (outcome.ok) logger.debug({ component, eventId: event.id, type: event.type, ms }, 'event handled');
    else logger.warn({ component, eventId: event.id, type: event.type, ms, failure: outcome.failure.kind }, `event failed: ${outcome.failure.message}`);
    return outcome;
  };
}

/** Loads the components of `loaded` and starts its triggers. */
export async function startApp(loaded: LoadedManifest, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger();
  const manifest: Manifest = options.listen ? { ...loaded.manifest, runtime: { ...loaded.manifest.runtime, listen: options.listen } } : loaded.manifest;

  const variables = resolveVariables(manifest, loaded.file);
  const redisUrl = redisUrlFor(manifest.runtime, options.redis);
  const broker = createBroker(redisUrl, logger);
  const keyValue = createKeyValue(redisUrl, manifest.application.name);
  let executor: Executor;
  try {
    executor = await Executor.load(manifest, {
      cacheDir: options.cacheDir ?? defaultCacheDir(loaded.dir),
      logger,
      workers: options.workers,
      variables,
      hostCalls: hostServices({ broker, keyValue }),
      onLoaded: (c, ms, i, total) =>
        logger.info({ component: c.id, world: c.world, ms: Math.round(ms), cached: c.cached }, `loaded component ${i}/${total}: ${c.id}`),
    });
  } catch (err) {
    await Promise.allSettled([broker.close(), keyValue.close()]);
    throw err;
  }

  logger.info({ mode: redisUrl ? 'redis' : 'embedded', ...(redisUrl ? { redis: redactUrl(redisUrl) } : {}) }, 'runtime mode');
  try {
    await broker.waitUntilReady(options.brokerReadyTimeoutMs ?? BROKER_READY_TIMEOUT_MS);
  } catch (err) {
    await Promise.allSettled([broker.close(), keyValue.close(), executor.close()]);
    throw err;
  }

  const dispatch = loggedDispatch(executor.dispatch, logger, options.onEvent);
  const triggers: Trigger[] = [];
  const stopAll = async () => {
    const results = await Promise.allSettled(triggers.map((t) => t.stop({ drainMs: manifest.runtime.drain_timeout })));
    for (const r of results) if (r.status === 'rejected') logger.error({ err: errorMessage(r.reason) }, 'trigger failed to stop');
    await Promise.allSettled([broker.close(), keyValue.close(), executor.close()]);
  };
  try {
    for (const [kind, configs] of Object.entries(manifest.trigger) as Array<[TriggerKind, unknown[]]>) {
      if (configs.length === 0) continue;
      const { default: create } = (await import(`./triggers/${kind}.js`)) as { default: TriggerFactory<typeof kind> };
      const trigger = create(configs as never, { manifest, logger, broker });
      triggers.push(trigger);
      await trigger.start(dispatch);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  let stopping: Promise<void> | undefined;
  return { manifest, executor, broker, keyValue, triggers, logger, stop: () => (stopping ??= stopAll()) };
}

/** `spindle up`: runs the app in `file` until a signal, then drains. Returns the exit code. */
export async function runApp(file: string, options: { listen?: string; redis?: string; workers?: number; logLevel?: string }): Promise<number> {
  const logger = createLogger(options.logLevel ? { level: options.logLevel as 'info' } : {});
  const loaded = await loadManifest(file);
  const app = await startApp(loaded, { ...options, logger });
  logger.info({ app: loaded.manifest.application.name }, 'ready');

  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal, drainMs: loaded.manifest.runtime.drain_timeout }, 'shutting down: draining events in flight');
  const forced = () => {
    logger.warn('second signal: exiting without draining');
    process.exit(130);
  };
  process.once('SIGINT', forced);
  process.once('SIGTERM', forced);
  try {
    await app.stop();
  } catch (err) {
    logger.error({ err: errorMessage(err) }, 'shutdown failed');
    return 1;
  }
  logger.info('stopped');
  return 0;
}


/** A Redis URL without its password, for logs. */
function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
