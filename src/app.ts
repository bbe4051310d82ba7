/**
 * An app: the one place where the parts meet. A manifest's components are loaded into the
 * executor, the capabilities' main-thread half is given the broker and the key-value store,
 * and each trigger kind the manifest uses is started with the executor's `dispatch`, wrapped
 * so that every event's outcome is observed and every failure logged exactly once, here.
 * `runApp` is `spindle up`: it runs until SIGINT or SIGTERM and then drains.
 */
import { loadManifest, type LoadedManifest } from './app-manifest.js';
import type { Broker } from './brokers/broker.js';
import { createBroker } from './brokers/index.js';
import { hostServices } from './capabilities/host-services.js';
import { createOutboundRedis } from './capabilities/outbound-redis.js';
import { openSqliteDatabases } from './capabilities/sqlite.js';
import type { Dispatch, Outcome, SpindleEvent } from './event.js';
import { errorMessage } from './errors.js';
import { Executor, defaultCacheDir } from './executor/executor.js';
import type { KeyValue } from './kv/store.js';
import { createLogger, type LogFormat, type Logger } from './log.js';
import type { Manifest, TriggerKind } from './manifest/schema.js';
import { resolveVariables } from './manifest/variables.js';
import { startAdminServer, type AdminServer } from './observability/admin-server.js';
import { observedHostServices, threadCallObserver } from './observability/host-calls.js';
import { startServicesThread } from './capabilities/services-thread.js';
import type { Metrics } from './observability/metrics.js';
import { startTracing } from './observability/tracing.js';
import { redactUrl, redisUrlFor } from './redis/url.js';
import { describeServing } from './serving.js';
import type { HttpTrigger } from './triggers/http.js';
import { triggerAdapters } from './triggers/registry.js';
import { settleWithin } from './util/drain.js';
import type { Trigger, TriggerAdapter } from './triggers/trigger.js';

export interface AppOptions {
  /** Overrides `runtime.listen`. */
  listen?: string;
  /** Overrides `runtime.admin_listen`: serve /metrics, /healthz and /readyz on this host:port. */
  admin?: string;
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
  /** The executor serving new events; `reloadComponents` replaces it. */
  readonly executor: Executor;
  broker: Broker;
  keyValue: KeyValue;
  triggers: Trigger[];
  logger: Logger;
  /** The admin listener, when `runtime.admin_listen` or the `admin` option asks for one. */
  admin?: AdminServer;
  /**
   * Stops every trigger (draining events in flight), then the broker, key-value and executor,
   * within `drain_timeout` plus `SHUTDOWN_GRACE_MS` whatever Redis does. Resolves to the parts
   * that had not finished by then (none on a clean stop). Idempotent.
   */
  stop(): Promise<string[]>;
  /**
   * Loads every component again from its file and sends new events to the new instances;
   * events in flight finish on the old ones. Triggers, the broker and key-value stay as they
   * are, so embedded queues and stores keep their contents. Fails, serving on as before, when a
   * component does not load.
   */
  reloadComponents(): Promise<void>;
}

/** How long start-up waits for Redis before it gives up with a clear error. */
const BROKER_READY_TIMEOUT_MS = 10_000;

/**
 * How long shutdown may take past `drain_timeout`: half for triggers to hand back what they
 * hold (a queue job's lock, the 503s to open requests), half for connections and workers to close.
 */
export const SHUTDOWN_GRACE_MS = 2_000;

export type EventObserver = (component: string, event: SpindleEvent, outcome: Outcome, ms: number) => void;

/**
 * Wraps `dispatch` to observe each event's outcome and log it: the only log line an event's
 * failure gets. The event's source and subject say where it came from (a route, a channel, a
 * queue and job id, a schedule). Events the app cancelled because it was stopping are counted
 * by the executor instead of logged one by one.
 */
function loggedDispatch(dispatch: Dispatch, logger: Logger, observers: EventObserver[]): Dispatch {
  // Not an async function: its suspended frame would be kept for every event waiting in a flood.
  return (component, event, options) => {
    const started = performance.now();
    return dispatch(component, event, options).then((outcome) => logged(component, event, outcome, performance.now() - started));
  };

  function logged(component: string, event: SpindleEvent, outcome: Outcome, elapsed: number): Outcome {
    for (const observe of observers) observe(component, event, outcome, elapsed);
    // The common case, a handled event with debug lines off, builds no log record.
    if (outcome.ok && !logger.isLevelEnabled('debug')) return outcome;
    const ms = Math.round(elapsed * 100) / 100;
    const trigger = event.type.split('.')[1] ?? event.type;
    const fields = { component, trigger, eventId: event.id, source: event.source, subject: event.subject, ms };
    if (outcome.ok) logger.debug(fields, 'event handled');
    else {
      const { kind, message } = outcome.failure;
      logger[kind === 'cancelled' ? 'debug' : 'warn']({ ...fields, failure: kind }, `event failed: ${message}`);
    }
    return outcome;
  }
}

/** Loads the components of `loaded` and starts its triggers. */
export async function startApp(loaded: LoadedManifest, options: AppOptions = {}): Promise<App> {
  const logger = options.logger ?? createLogger();
  const manifest: Manifest = options.listen ? { ...loaded.manifest, runtime: { ...loaded.manifest.runtime, listen: options.listen } } : loaded.manifest;

  const variables = resolveVariables(manifest, loaded.file);
  const redisUrl = redisUrlFor(manifest.runtime, options.redis);
  const broker = await createBroker(redisUrl, logger, manifest.runtime.queue_prefix);
  const adminListen = options.admin ?? manifest.runtime.admin_listen;
  // prom-client is imported only for an admin listener to serve its metrics.
  const metrics: Metrics | undefined = adminListen ? new (await import('./observability/metrics.js')).Metrics() : undefined;
  const limits = manifest.runtime.key_value;
  let admin: AdminServer | undefined;
  const tracing = await startTracing(manifest.application.name);
  if (tracing) logger.info('tracing: sending spans over OTLP/HTTP');
  const hostCallObservers = { ...(metrics ? { metrics } : {}), ...(tracing ? { tracing } : {}) };
  const observe = threadCallObserver(hostCallObservers);
  const servicesThread = startServicesThread({
    ...(redisUrl ? { redisUrl } : {}),
    app: manifest.application.name,
    limits: { maxKeyBytes: limits.max_key_size, maxValueBytes: limits.max_value_size, maxStoreBytes: limits.max_store_size, maxStoreKeys: limits.max_store_keys },
    ...(observe ? { observe } : {}),
    onError: (err) => logger.error({ err: errorMessage(err) }, 'the key-value services thread failed; key-value calls fail until the app restarts'),
  });
  const keyValue = servicesThread.keyValue;
  const outboundRedis = createOutboundRedis();
  const sqlite = openSqliteDatabases(loaded.dir);
  const services = observedHostServices(hostServices({ broker, keyValue, outboundRedis, sqlite }), hostCallObservers);
  const loadExecutor = () =>
    Executor.load(manifest, {
      cacheDir: options.cacheDir ?? defaultCacheDir(loaded.dir),
      logger,
      workers: options.workers,
      variables,
      hostServices: services,
      servicesThread,
      onLoaded: (c, ms, i, total) =>
        logger.info({ component: c.id, world: c.world, ms: Math.round(ms), cached: c.cached }, `loaded component ${i}/${total}: ${c.id}`),
    });
  let executor: Executor;
  try {
    if (adminListen) admin = await startAdminServer({ listen: adminListen, metrics: metrics!, logger, brokerReachable: () => broker.reachable() });
    executor = await loadExecutor();
  } catch (err) {
    await Promise.allSettled([broker.close(), servicesThread.close(), outboundRedis.close(), sqlite.close(), admin?.close(), tracing?.shutdown()]);
    throw err;
  }

  logger.info({ mode: redisUrl ? 'redis' : 'embedded', ...(redisUrl ? { redis: redactUrl(redisUrl) } : {}) }, 'runtime mode');
  try {
    await broker.waitUntilReady(options.brokerReadyTimeoutMs ?? BROKER_READY_TIMEOUT_MS);
  } catch (err) {
    await Promise.allSettled([broker.close(), servicesThread.close(), outboundRedis.close(), sqlite.close(), executor.close(), admin?.close(), tracing?.shutdown()]);
    throw err;
  }

  metrics?.watch({
    admissions: () => executor.admissions(),
    queues: [...new Set(manifest.trigger.queue.map((q) => q.queue))],
    queueDepth: (queue) => broker.jobCounts(queue),
    subscriberDrops: () => broker.subscriberDrops(),
    workerRestarts: () => executor.workerRestarts(),
    instanceCounts: () => executor.instanceCounts(),
  });
  const observers = [metrics?.observeEvent, options.onEvent].filter((o) => o !== undefined);
  // Through the variable, so events go to whichever executor serves when they arrive.
  const toExecutor: Dispatch = (id, event, opts) => executor.dispatch(id, event, opts);
  const dispatch = loggedDispatch(tracing ? tracing.wrap(toExecutor) : toExecutor, logger, observers);
  const triggers: Trigger[] = [];
  // Triggers stop taking events and drain; at drain_timeout closing the executor cancels what
  // still runs, so each trigger settles its own way (a 503, a job handed back to its queue)
  // while its connections are open; then the connections close.
  const stopAll = async (): Promise<string[]> => {
    admin?.setLifecycle('draining');
    const drainMs = manifest.runtime.drain_timeout;
    const stopping = Object.fromEntries(triggers.map((t) => [`${t.kind} trigger`, t.stop({ drainMs: drainMs + SHUTDOWN_GRACE_MS / 2 })]));
    await settleWithin(stopping, drainMs);
    const executorClosed = executor.close();
    const triggersStopped = await settleWithin(stopping, SHUTDOWN_GRACE_MS / 2);
    const closed = await settleWithin(
      { [`broker (${redisUrl ? `Redis ${redactUrl(redisUrl)}` : 'embedded'})`]: broker.close(), 'key-value': servicesThread.close(), 'outbound redis': outboundRedis.close(), sqlite: sqlite.close(), executor: executorClosed, ...(admin ? { 'admin listener': admin.close() } : {}), ...(tracing ? { 'trace exporter': tracing.shutdown() } : {}) },
      SHUTDOWN_GRACE_MS / 2,
    );
    for (const { label, err } of [...triggersStopped.failed, ...closed.failed]) logger.error({ err: errorMessage(err) }, `${label} failed to stop`);
    const unfinished = [...triggersStopped.pending, ...closed.pending];
    if (unfinished.length > 0) {
      logger.error({ unfinished }, `shutdown did not finish within drain_timeout + ${SHUTDOWN_GRACE_MS} ms: ${unfinished.join(', ')} still closing`);
    }
    return unfinished;
  };
  try {
    for (const [kind, configs] of Object.entries(manifest.trigger) as Array<[TriggerKind, unknown[]]>) {
      if (configs.length === 0) continue;
      const adapter = triggerAdapters[kind] as TriggerAdapter<typeof kind>;
      const trigger = adapter.create(configs as never, { manifest, logger, broker, ...(metrics ? { metrics } : {}) });
      triggers.push(trigger);
      await trigger.start(dispatch);
    }
  } catch (err) {
    await stopAll();
    throw err;
  }

  admin?.setLifecycle('ready');
  let stopping: Promise<string[]> | undefined;
  const reloadComponents = async () => {
    const next = await loadExecutor();
    if (stopping) return next.close();
    const previous = executor;
    executor = next;
    await previous.idle();
    await previous.close();
  };
  return {
    manifest,
    get executor() {
      return executor;
    },
    broker,
    keyValue,
    triggers,
    logger,
    ...(admin ? { admin } : {}),
    stop: () => (stopping ??= stopAll()),
    reloadComponents,
  };
}

/** `spindle up`: runs the app in `file` until a signal, then drains. Returns the exit code. */
export async function runApp(
  file: string,
  options: { listen?: string; admin?: string; redis?: string; workers?: number; logLevel?: string; logFormat?: LogFormat },
): Promise<number> {
  const logger = createLogger({ ...(options.logLevel ? { level: options.logLevel as 'info' } : {}), ...(options.logFormat ? { format: options.logFormat } : {}) });
  const loaded = await loadManifest(file);
  const app = await startApp(loaded, { ...options, logger });
  if (options.logFormat === 'pretty') {
    const redisUrl = redisUrlFor(app.manifest.runtime, options.redis);
    const http = app.triggers.find((t): t is HttpTrigger => t.kind === 'http')?.url;
    console.log(`\n${describeServing(app.manifest, { mode: redisUrl ? `redis ${redactUrl(redisUrl)}` : 'embedded', ...(http ? { http } : {}), ...(app.admin ? { admin: app.admin.url } : {}) })}\n`);
  }
  logger.info({ app: loaded.manifest.application.name }, 'ready');
  return untilSignal(logger, () => app.manifest.runtime.drain_timeout, () => app.stop());
}

/**
 * Waits for SIGINT or SIGTERM, then `stop`s (a second signal exits at once). Returns the exit
 * code: 1 when something had not stopped within the drain.
 */
export async function untilSignal(logger: Logger, drainMs: () => number, stop: () => Promise<string[]>): Promise<number> {
  const signal = await new Promise<NodeJS.Signals>((resolve) => {
    process.once('SIGINT', () => resolve('SIGINT'));
    process.once('SIGTERM', () => resolve('SIGTERM'));
  });
  logger.info({ signal, drainMs: drainMs() }, 'shutting down: draining events in flight');
  const forced = () => {
    logger.warn('second signal: exiting without draining');
    process.exit(130);
  };
  process.once('SIGINT', forced);
  process.once('SIGTERM', forced);
  const unfinished = await stop();
  if (unfinished.length > 0) return 1;
  logger.info('stopped');
  return 0;
}

