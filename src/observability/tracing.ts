/**
 * OpenTelemetry traces, off unless `OTEL_EXPORTER_OTLP_ENDPOINT` or
 * `OTEL_EXPORTER_OTLP_TRACES_ENDPOINT` is set: only then are the SDK and the OTLP/HTTP exporter
 * loaded, and with neither set dispatch is not wrapped at all. The exporter reads the standard
 * `OTEL_EXPORTER_OTLP_*` variables itself; `OTEL_SERVICE_NAME` and `OTEL_RESOURCE_ATTRIBUTES`
 * name the service (default: the app's name); `OTEL_TRACES_SAMPLER` and its argument choose
 * the sampler, `OTEL_BSP_SCHEDULE_DELAY` how often spans are sent.
 *
 * Each event gets one span, a child of the trace context the event arrived with (an HTTP
 * request's `traceparent` header, a queue job's stored context). The event then carries its
 * own span as its `traceparent` attribute: the guest can read it, and what the guest enqueues
 * or fetches continues the trace from there (`capabilities/host-services.ts`).
 */
import type { Tracing } from './tracer.js';

export type { Tracing } from './tracer.js';

/** Whether the environment asks for traces. */
export function tracingRequested(env: NodeJS.ProcessEnv = process.env): boolean {
  return Boolean(env.OTEL_EXPORTER_OTLP_ENDPOINT || env.OTEL_EXPORTER_OTLP_TRACES_ENDPOINT) && env.OTEL_SDK_DISABLED !== 'true';
}

/** Starts tracing for the app `appName` when the environment asks for it; undefined otherwise. */
export async function startTracing(appName: string): Promise<Tracing | undefined> {
  if (!tracingRequested()) return undefined;
  const { startTracer } = await import('./tracer.js');
  return startTracer(appName);
}
