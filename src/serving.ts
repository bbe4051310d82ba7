/**
 * What a started app serves, as `spindle up` prints it on a terminal before its log: the HTTP
 * address and each route with its component, then each subscription, queue and schedule, and
 * the admin listener. In JSON logs the same facts are in the triggers' own start-up records.
 */
import type { Manifest } from './manifest/schema.js';

export interface ServingAddresses {
  /** The HTTP trigger's base URL, when the app has routes. */
  http?: string;
  /** The admin listener's base URL, when it is on. */
  admin?: string;
  /** `embedded`, or the Redis address (credentials hidden). */
  mode: string;
}

export function describeServing(manifest: Manifest, at: ServingAddresses): string {
  const { http, redis, queue, cron } = manifest.trigger;
  const lines = [`${manifest.application.name} (${at.mode})`];
  const section = (title: string, entries: string[]) => {
    if (entries.length > 0) lines.push(`${title}:`, ...entries.map((e) => `  ${e}`));
  };
  if (at.http) lines.push(`Serving ${at.http}`);
  section('Available Routes', http.map((t) => `${t.component}: ${at.http ?? ''}${t.route}${t.route.endsWith('/...') ? ' (wildcard)' : ''}`));
  section('Subscriptions', redis.map((t) => `${t.channel ?? `${t.pattern} (pattern)`} -> ${t.component}`));
  section('Queues', queue.map((t) => `${t.queue} -> ${t.component} (concurrency ${t.concurrency}, ${t.attempts} attempts)`));
  section('Schedules', cron.map((t) => `${t.schedule} (${t.timezone ?? 'UTC'}) -> ${t.component}`));
  if (at.admin) lines.push(`Admin: ${at.admin}/metrics, ${at.admin}/healthz, ${at.admin}/readyz`);
  return lines.join('\n');
}
