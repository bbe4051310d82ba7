/**
 * Host calls seen from outside: each call a guest makes (key-value, publish, enqueue, outgoing
 * HTTP) timed by capability for metrics, and a child span of its event's span when tracing is
 * on. The services themselves are unchanged and know nothing of it. Calls the services thread
 * served are timed there and reported after the fact (`threadCallObserver`).
 */
import type { HostServices, ObservedThreadCall } from '../capabilities/contract.js';
import { hostCallEvent } from '../event.js';
import type { Metrics } from './metrics.js';
import type { Tracing } from './tracing.js';

/** The capability each host service belongs to, as the WIT interfaces name them. */
const CAPABILITY: Record<keyof HostServices, string> = {
  publish: 'pubsub',
  enqueue: 'queue',
  kvGet: 'key-value',
  kvSet: 'key-value',
  kvDelete: 'key-value',
  kvExists: 'key-value',
  kvIncrement: 'key-value',
  kvListKeys: 'key-value',
  kvGetMany: 'key-value',
  kvSetMany: 'key-value',
  fetch: 'outgoing-http',
  redisExecute: 'redis',
  sqliteExecute: 'sqlite',
};

/** `services`, each call timed into `metrics` and traced by `tracing`, whichever is given. */
export function observedHostServices(services: HostServices, observers: { metrics?: Metrics; tracing?: Tracing }): HostServices {
  const { metrics, tracing } = observers;
  if (!metrics && !tracing) return services;
  const observed = {} as Record<string, (...args: unknown[]) => Promise<unknown>>;
  for (const [method, serve] of Object.entries(services) as Array<[keyof HostServices, (...args: unknown[]) => Promise<unknown>]>) {
    const capability = CAPABILITY[method];
    observed[method] = async (...args) => {
      const started = performance.now();
      const call = () => serve(...args);
      try {
        return await (tracing ? tracing.traceHostCall(hostCallEvent.getStore(), capability, method, call) : call());
      } finally {
        metrics?.observeHostCall(capability, method, performance.now() - started);
      }
    };
  }
  return observed as unknown as HostServices;
}

/** What to do with each call the services thread reports; undefined when nothing observes calls. */
export function threadCallObserver(observers: { metrics?: Metrics; tracing?: Tracing }): ((call: ObservedThreadCall) => void) | undefined {
  const { metrics, tracing } = observers;
  if (!metrics && !tracing) return undefined;
  return (call) => {
    const method = call.method as keyof HostServices;
    const capability = CAPABILITY[method] ?? 'unknown';
    metrics?.observeHostCall(capability, method, call.ms);
    tracing?.recordHostCall(call.trace, capability, method, call);
  };
}
