/**
 * The OpenTelemetry side of `tracing.ts`, imported only when traces are asked for: the API and
 * its core package alone take tens of milliseconds to import, at every start.
 */
import { ROOT_CONTEXT, SpanKind, SpanStatusCode, trace, type Context, type Tracer } from '@opentelemetry/api';
import { W3CTraceContextPropagator } from '@opentelemetry/core';
import { attribute, traceAttributes, traceContextOf, type Dispatch, type Outcome, type SpindleEvent, type TraceContext } from '../event.js';

export interface Tracing {
  /** `dispatch` with one span per event. */
  wrap(dispatch: Dispatch): Dispatch;
  /** Runs `call`, a host call made by `event`'s guest, in a span under the event's. */
  traceHostCall<T>(event: SpindleEvent | undefined, capability: string, method: string, call: () => Promise<T>): Promise<T>;
  /** A span for a host call served and timed elsewhere (the services thread), a child of the event whose trace it carries. */
  recordHostCall(parent: TraceContext | undefined, capability: string, method: string, timing: { startedAt: number; ms: number; error?: string }): void;
  /** Sends the spans still buffered and stops. */
  shutdown(): Promise<void>;
}

/** Starts tracing for the app `appName`: the SDK and its OTLP/HTTP exporter, sending spans in batches. */
export async function startTracer(appName: string): Promise<Tracing> {
  const [{ TracerProvider, BatchSpanProcessor }, { OTLPTraceExporter }, resources, { samplerFromEnv }] = await Promise.all([
    import('@opentelemetry/sdk-trace'),
    import('@opentelemetry/exporter-trace-otlp-http'),
    import('@opentelemetry/resources'),
    import('./sampler.js'),
  ]);
  const resource = resources
    .resourceFromAttributes({ 'service.name': appName })
    .merge(resources.detectResources({ detectors: [resources.envDetector] }));
  const provider = new TracerProvider({
    resource,
    sampler: samplerFromEnv(process.env),
    spanProcessors: [new BatchSpanProcessor({ exporter: new OTLPTraceExporter(), scheduledDelayMillis: batchDelayMs(process.env) })],
  });
  const tracer = provider.getTracer('spindle');
  return {
    wrap: (dispatch) => tracedDispatch(dispatch, tracer),
    traceHostCall: async (event, capability, method, call) => {
      const span = tracer.startSpan(`${capability} ${method}`, { kind: SpanKind.CLIENT, attributes: { 'spindle.capability': capability, 'spindle.host_call': method } }, event ? parentOf(event) : ROOT_CONTEXT);
      try {
        return await call();
      } catch (err) {
        span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : String(err) });
        throw err;
      } finally {
        span.end();
      }
    },
    recordHostCall: (parent, capability, method, { startedAt, ms, error }) => {
      const span = tracer.startSpan(
        `${capability} ${method}`,
        { kind: SpanKind.CLIENT, attributes: { 'spindle.capability': capability, 'spindle.host_call': method }, startTime: startedAt },
        parent ? contextOf(parent) : ROOT_CONTEXT,
      );
      if (error !== undefined) span.setStatus({ code: SpanStatusCode.ERROR, message: error });
      span.end(startedAt + ms);
    },
    shutdown: () => provider.shutdown(),
  };
}

/** `OTEL_BSP_SCHEDULE_DELAY`: how long spans wait to be sent in a batch; the specification's default is 5 s. */
function batchDelayMs(env: NodeJS.ProcessEnv): number {
  const ms = Number(env.OTEL_BSP_SCHEDULE_DELAY);
  return Number.isFinite(ms) && ms > 0 ? ms : 5_000;
}

const propagator = new W3CTraceContextPropagator();

const carrierGetter = {
  get: (carrier: Record<string, string>, key: string) => carrier[key],
  keys: (carrier: Record<string, string>) => Object.keys(carrier),
};
const carrierSetter = { set: (carrier: Record<string, string>, key: string, value: string) => void (carrier[key] = value) };

/** The context an event continues: the trace it arrived with, or none. */
function parentOf(event: SpindleEvent): Context {
  const context = traceContextOf(event);
  return context ? contextOf(context) : ROOT_CONTEXT;
}

function contextOf(trace: TraceContext): Context {
  return propagator.extract(ROOT_CONTEXT, { ...trace }, carrierGetter);
}

/** `http` from `spindle.http.request`. */
const triggerOf = (event: SpindleEvent) => event.type.split('.')[1] ?? event.type;

/** A span name of low cardinality, as OpenTelemetry's conventions ask: the route or the queue, never an id. */
function spanName(event: SpindleEvent, trigger: string, component: string): string {
  if (trigger === 'http') return `${attribute(event, 'http.method') ?? 'HTTP'} ${attribute(event, 'http.route') ?? component}`;
  if (trigger === 'queue') return `process ${attribute(event, 'queue.name') ?? component}`;
  if (trigger === 'redis') return `process ${attribute(event, 'redis.pattern') ?? event.subject ?? component}`;
  return `${trigger} ${event.subject ?? component}`;
}

const SPAN_KIND: Record<string, SpanKind> = { http: SpanKind.SERVER, queue: SpanKind.CONSUMER, redis: SpanKind.CONSUMER, cron: SpanKind.INTERNAL };

function tracedDispatch(dispatch: Dispatch, tracer: Tracer): Dispatch {
  return async (component, event, options) => {
    const trigger = triggerOf(event);
    const span = tracer.startSpan(
      spanName(event, trigger, component),
      {
        kind: SPAN_KIND[trigger] ?? SpanKind.INTERNAL,
        attributes: { 'spindle.trigger': trigger, 'spindle.component': component, 'spindle.event.id': event.id, 'spindle.source': event.source, ...(event.subject ? { 'spindle.subject': event.subject } : {}) },
      },
      parentOf(event),
    );
    const carrier: Record<string, string> = {};
    propagator.inject(trace.setSpan(ROOT_CONTEXT, span), carrier, carrierSetter);
    const own = carrier.traceparent ? traceAttributes({ traceparent: carrier.traceparent, ...(carrier.tracestate ? { tracestate: carrier.tracestate } : {}) }) : [];
    const traced: SpindleEvent = { ...event, attributes: [...event.attributes.filter(([name]) => name !== 'traceparent' && name !== 'tracestate'), ...own] };
    let outcome: Outcome | undefined;
    try {
      outcome = await dispatch(component, traced, options);
      return outcome;
    } finally {
      if (outcome && !outcome.ok) {
        span.setAttribute('spindle.failure.kind', outcome.failure.kind);
        span.setStatus({ code: SpanStatusCode.ERROR, message: outcome.failure.message });
      }
      span.setAttribute('spindle.outcome', outcome ? (outcome.ok ? 'ok' : outcome.failure.kind) : 'internal');
      span.end();
    }
  };
}
