/**
 * The main thread's half of Spin's outbound Redis (`fermyon:spin/redis`): a connection per
 * address guests open, kept for the app's life and shared by every component that reaches the
 * same Redis. Whether a guest may reach an address was decided in its worker, against its
 * `allowed_outbound_hosts` (`spin-imports.ts`).
 */
import type { Redis } from 'ioredis';
import { redactUrl, redisOptionsFromUrl } from '../redis/url.js';
import type { RedisArgument, RedisReply } from './contract.js';

export interface OutboundRedis {
  /** Runs `command` with `args` on the Redis at `address`. */
  execute(address: string, command: string, args: RedisArgument[]): Promise<RedisReply>;
  close(): Promise<void>;
}

/** How long a command may wait for a Redis that does not answer before failing to the guest. */
const CONNECT_TIMEOUT_MS = 5_000;

function toReply(value: unknown): RedisReply {
  if (value === null || value === undefined) return null;
  if (typeof value === 'number') return BigInt(value);
  if (typeof value === 'string') return { status: value };
  if (Array.isArray(value)) return value.map(toReply);
  return new Uint8Array(value as Buffer);
}

export function createOutboundRedis(): OutboundRedis {
  const clients = new Map<string, Redis>();
  let closed = false;
  const client = async (address: string): Promise<Redis> => {
    let redis = clients.get(address);
    if (!redis) {
      // Most apps never reach a Redis of their own: ioredis is loaded by the first command.
      const { Redis } = await import('ioredis');
      if (closed) throw new Error('the app is stopping');
      if (clients.has(address)) return clients.get(address)!;
      redis = new Redis({ ...redisOptionsFromUrl(address), maxRetriesPerRequest: 1, connectTimeout: CONNECT_TIMEOUT_MS });
      // Failures reach the guest through its command; the client's own reports would only repeat them.
      redis.on('error', () => {});
      clients.set(address, redis);
    }
    return redis;
  };
  return {
    async execute(address, command, args) {
      try {
        const reply = await (await client(address)).callBuffer(command, ...args.map((a) => (typeof a === 'bigint' ? a.toString() : Buffer.from(a))));
        return toReply(reply);
      } catch (err) {
        throw new Error(`Redis at ${redactUrl(address)}: ${(err as Error).message}`, { cause: err });
      }
    },
    async close() {
      closed = true;
      const all = [...clients.values()];
      clients.clear();
      await Promise.allSettled(all.map((redis) => redis.quit()));
    },
  };
}
