/**
 * Redis addresses, shared by the broker and key-value drivers and the CLI: which Redis a run
 * uses, how a URL becomes ioredis options, and how a URL is shown in logs.
 */
import type { RedisOptions } from 'ioredis';
import type { RuntimeConfig } from '../manifest/schema.js';

export const DEFAULT_REDIS_URL = 'redis://127.0.0.1:6379';

/**
 * The Redis URL to use, or undefined for embedded mode. An explicit URL (`--redis`, then
 * `REDIS_URL`) selects redis mode; otherwise the manifest's `runtime.mode` decides.
 */
export function redisUrlFor(runtime: RuntimeConfig, explicit?: string): string | undefined {
  const url = explicit || process.env.REDIS_URL;
  if (url) return url;
  return runtime.mode === 'redis' ? (runtime.redis_url ?? DEFAULT_REDIS_URL) : undefined;
}

/** ioredis options for a `redis://` or `rediss://` URL, reconnecting with capped backoff. */
export function redisOptionsFromUrl(url: string): RedisOptions {
  const u = new URL(url);
  if (u.protocol !== 'redis:' && u.protocol !== 'rediss:') throw new Error(`expected a redis:// or rediss:// URL, got "${url}"`);
  const db = u.pathname.replace(/^\//, '');
  return {
    host: u.hostname || '127.0.0.1',
    port: Number(u.port || 6379),
    ...(u.username ? { username: decodeURIComponent(u.username) } : {}),
    ...(u.password ? { password: decodeURIComponent(u.password) } : {}),
    ...(db ? { db: Number(db) } : {}),
    ...(u.protocol === 'rediss:' ? { tls: {} } : {}),
    retryStrategy: (times: number) => Math.min(times * 200, 5_000),
  };
}

/** A Redis URL without its password, for logs. */
export function redactUrl(url: string): string {
  try {
    const u = new URL(url);
    if (u.password) u.password = '***';
    return u.toString();
  } catch {
    return url;
  }
}
