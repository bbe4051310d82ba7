// Each message on "messages": kept in the inbox for an hour, in the order received.
import { kv, log, onMessage } from 'spindle/sdk';

export const handle = onMessage((event) => {
  const key = `${new Date().toISOString()}-${event.id}`;
  kv.set('inbox', key, event.text(), { ttlMs: 60 * 60 * 1000 });
  log.info(`received ${event.data.byteLength} bytes on ${event.redis.channel}`);
});
