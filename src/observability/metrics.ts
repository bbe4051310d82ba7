/**
 * Prometheus metrics for one app, on a registry of its own (several apps in one process, as in
 * tests, never share counters). Events are counted as they end; what is a level rather than a
 * count (events in flight, queue depth) is read from its source when scraped, so nothing is
 * sampled between scrapes.
 */
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Outcome, SpindleEvent } from '../event.js';

/** Job counts of one queue by state, as the broker reports them. */
export type QueueDepth = Record<'waiting' | 'active' | 'delayed' | 'failed', number>;

/** Where the scrape-time metrics come from; given once the app's parts exist. */
export interface MetricsSources {
  /** Events running and waiting for room, by component. */
  admissions(): Map<string, { inFlight: number; waiting: number }>;
  /** The queues the app consumes, by name. */
  queues: string[];
  /** Job counts of `queue`; rejects when the broker cannot answer. */
  queueDepth(queue: string): Promise<QueueDepth>;
  /** How many times the broker dropped this process's pub/sub subscriber. */
  subscriberDrops(): number;
  /** Worker threads replaced so far, by why. */
  workerRestarts(): { deadline: number; crash: number };
  /** Instances made, and put back to their state, for events so far, by component. */
  instanceCounts(): Map<string, { created: number; restored: number }>;
}

/** Seconds; from a fast in-process call to a guest near the default 30 s deadline. */
const DURATION_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];

/** How long a scrape waits for one queue's counts before leaving them out. */
const QUEUE_DEPTH_TIMEOUT_MS = 1_000;

/** `http` from `spindle.http.request`: the trigger kind that produced an event. */
function triggerOf(event: SpindleEvent): string {
  return event.type.split('.')[1] ?? event.type;
}

export class Metrics {
  readonly registry = new Registry();
  #sources: MetricsSources | undefined;
  readonly #events: Counter<'component' | 'trigger' | 'outcome'>;
  readonly #duration: Histogram<'component' | 'trigger'>;
  readonly #dropped: Counter<'component'>;
  readonly #ticks: Counter<'component' | 'result'>;
  readonly #hostCalls: Histogram<'capability' | 'call'>;

  constructor() {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#events = new Counter({
      name: 'spindle_events_total',
      help: 'Events handled, by component, trigger kind and outcome (ok, or the failure kind).',
      labelNames: ['component', 'trigger', 'outcome'],
      registers,
    });
    this.#duration = new Histogram({
      name: 'spindle_event_duration_seconds',
      help: 'Time from dispatch to outcome, waiting for room included.',
      labelNames: ['component', 'trigger'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    this.#dropped = new Counter({
      name: 'spindle_pubsub_messages_dropped_total',
      help: 'Pub/sub messages dropped because the component had more than its buffer waiting.',
      labelNames: ['component'],
      registers,
    });
    this.#ticks = new Counter({
      name: 'spindle_cron_ticks_total',
      help: 'Cron ticks, fired or skipped because the previous tick still ran.',
      labelNames: ['component', 'result'],
      registers,
    });
    this.#hostCalls = new Histogram({
      name: 'spindle_host_call_duration_seconds',
      help: 'Host calls guests made to the main thread (key-value, publish, enqueue, outgoing HTTP), by capability and call.',
      labelNames: ['capability', 'call'],
      buckets: DURATION_BUCKETS,
      registers,
    });
    const sources = () => this.#sources;
    new Gauge({
      name: 'spindle_events_in_flight',
      help: 'Events a component is running.',
      labelNames: ['component'],
      registers,
      collect() {
        for (const [component, a] of sources()?.admissions() ?? []) this.set({ component }, a.inFlight);
      },
    });
    new Gauge({
      name: 'spindle_events_waiting',
      help: 'Events waiting for room under a component\'s max_concurrency.',
      labelNames: ['component'],
      registers,
      collect() {
        for (const [component, a] of sources()?.admissions() ?? []) this.set({ component }, a.waiting);
      },
    });
    new Gauge({
      name: 'spindle_queue_jobs',
      help: 'Jobs in a queue by state; left out when the broker does not answer in time.',
      labelNames: ['queue', 'state'],
      registers,
      async collect() {
        this.reset();
        const s = sources();
        if (!s) return;
        await Promise.all(
          s.queues.map(async (queue) => {
            const depth = await withTimeout(s.queueDepth(queue), QUEUE_DEPTH_TIMEOUT_MS).catch(() => undefined);
            for (const [state, n] of Object.entries(depth ?? {})) this.set({ queue, state }, n);
          }),
        );
      },
    });
    const reportedInstances = new Map<string, { created: number; restored: number }>();
    new Counter({
      name: 'spindle_instances_total',
      help: 'Guest instances an event ran on that were created for it, or restored to their state after an earlier event (per-event isolation).',
      labelNames: ['component', 'source'],
      registers,
      collect() {
        for (const [component, counts] of sources()?.instanceCounts() ?? []) {
          const reported = reportedInstances.get(component) ?? { created: 0, restored: 0 };
          for (const source of ['created', 'restored'] as const) this.inc({ component, source }, counts[source] - reported[source]);
          reportedInstances.set(component, counts);
        }
      },
    });
    const reportedRestarts = { deadline: 0, crash: 0 };
    new Counter({
      name: 'spindle_worker_restarts_total',
      help: 'Worker threads replaced: after an event ran past its deadline, or after the worker died.',
      labelNames: ['reason'],
      registers,
      collect() {
        const restarts = sources()?.workerRestarts() ?? reportedRestarts;
        for (const reason of ['deadline', 'crash'] as const) {
          this.inc({ reason }, restarts[reason] - reportedRestarts[reason]);
          reportedRestarts[reason] = restarts[reason];
        }
      },
    });
    let reportedDrops = 0;
    new Counter({
      name: 'spindle_pubsub_subscriber_drops_total',
      help: 'Times Redis dropped this process\'s pub/sub subscriber; messages published meanwhile were lost.',
      registers,
      collect() {
        const drops = sources()?.subscriberDrops() ?? 0;
        this.inc(drops - reportedDrops);
        reportedDrops = drops;
      },
    });
  }

  /** Starts reading scrape-time metrics from `sources`. */
  watch(sources: MetricsSources): void {
    this.#sources = sources;
  }

  /** Counts one event's outcome and duration; an `EventObserver`. */
  readonly observeEvent = (component: string, event: SpindleEvent, outcome: Outcome, ms: number): void => {
    const trigger = triggerOf(event);
    this.#events.inc({ component, trigger, outcome: outcome.ok ? 'ok' : outcome.failure.kind });
    this.#duration.observe({ component, trigger }, ms / 1000);
  };

  observeHostCall(capability: string, call: string, ms: number): void {
    this.#hostCalls.observe({ capability, call }, ms / 1000);
  }

  messagesDropped(component: string, count: number): void {
    this.#dropped.inc({ component }, count);
  }

  cronTick(component: string, fired: boolean): void {
    this.#ticks.inc({ component, result: fired ? 'fired' : 'skipped' });
  }

  /** The Prometheus text exposition of every metric. */
  scrape(): Promise<string> {
    return this.registry.metrics();
  }
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timedOut = new Promise<never>((_, reject) => (timer = setTimeout(() => reject(new Error(`no answer within ${ms} ms`)), ms)));
  return Promise.race([promise, timedOut]).finally(() => clearTimeout(timer));
}
