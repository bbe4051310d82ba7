// A handler for Spindle's world: the same `handle` export serves every trigger kind.
const encoder = new TextEncoder();
const decoder = new TextDecoder();
let served = 0;

export function handle(event) {
  served += 1;
  const attrs = Object.fromEntries(event.attributes);
  console.log(`${event.type} ${attrs['http.method'] ?? ''} ${attrs['http.path'] ?? ''}`);

  if (attrs['http.param.id'] !== undefined) {
    const user = { id: attrs['http.param.id'], served };
    return reply(200, 'application/json', JSON.stringify(user));
  }
  const query = new URLSearchParams(attrs['http.query'] ?? '');
  const name = query.get('name') ?? (decoder.decode(event.data) || 'world');
  return reply(200, 'text/plain; charset=utf-8', `Hello, ${name}! (path info "${attrs['http.path-info'] ?? ''}", event ${event.id})\n`);
}

function reply(status, contentType, text) {
  return { status, headers: [['content-type', contentType]], body: encoder.encode(text) };
}
