// A handler for Spindle's world: the same `handle` export serves every trigger kind, and the
// event's type says which woke it.
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let served = 0;

export function handle(event) {
  served += 1;
  const attrs = Object.fromEntries(event.attributes);
  switch (event.type) {
    case 'spindle.http.request':
      return http(event, attrs);
    case 'spindle.redis.message':
      console.log(`message on ${attrs['redis.channel']}: ${decoder.decode(event.data)}`);
      return { headers: [] };
    case 'spindle.queue.job': {
      const job = JSON.parse(decoder.decode(event.data) || '{}');
      console.log(`job ${attrs['queue.job-id']} attempt ${attrs['queue.attempt']}/${attrs['queue.attempts']}`);
      return { headers: [], body: encoder.encode(JSON.stringify({ greeting: `Hello, ${job.name ?? 'world'}!` })) };
    }
    case 'spindle.cron.tick':
      console.log(`tick due at ${attrs['cron.scheduled-at']} (${attrs['cron.schedule']}), ${served} events served`);
      return { headers: [] };
    default:
      return { tag: 'err', val: { tag: 'give-up', val: `unexpected event type ${event.type}` } };
  }
}

function http(event, attrs) {
  if (attrs['http.param.id'] !== undefined) {
    return reply(200, 'application/json', JSON.stringify({ id: attrs['http.param.id'], served }));
  }
  console.log(`${attrs['http.method']} ${attrs['http.path']}`);
  const query = new URLSearchParams(attrs['http.query'] ?? '');
  const name = query.get('name') ?? (decoder.decode(event.data) || 'world');
  return reply(200, 'text/plain; charset=utf-8', `Hello, ${name}! (path info "${attrs['http.path-info'] ?? ''}", event ${event.id})\n`);
}

function reply(status, contentType, text) {
  return { status, headers: [['content-type', contentType]], body: encoder.encode(text) };
}
