// A handler for Spindle's world: the same `handle` export serves every trigger kind, and the
// event's kind says which woke it.
import { handler, json, text, type HttpEvent } from 'spindle/sdk';

let served = 0;

export const handle = handler((event) => {
  served += 1;
  switch (event.kind) {
    case 'http':
      return http(event);
    case 'redis':
      console.log(`message on ${event.redis.channel}: ${event.text()}`);
      return;
    case 'queue': {
      const { jobId, attempt, attempts } = event.queue;
      const job = event.data.byteLength > 0 ? event.json<{ name?: string }>() : {};
      console.log(`job ${jobId} attempt ${attempt}/${attempts}`);
      return json(200, { greeting: `Hello, ${job.name ?? 'world'}!` });
    }
    case 'cron':
      console.log(`tick due at ${event.cron.scheduledAt.toISOString()} (${event.cron.schedule}), ${served} events served`);
      return;
  }
});

function http(event: HttpEvent) {
  const { method, path, pathInfo, params, query } = event.http;
  if (params.id !== undefined) return json(200, { id: params.id, served });
  console.log(`${method} ${path}`);
  const name = query.get('name') ?? (event.text() || 'world');
  return text(200, `Hello, ${name}! (path info "${pathInfo}", event ${event.id})\n`);
}
