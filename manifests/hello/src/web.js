// A standard wasi:http fetch handler, as it would run under any wasi:http host.
addEventListener('fetch', (event) => event.respondWith(respond(event.request)));

async function respond(request) {
  const url = new URL(request.url);
  const body = request.method === 'POST' ? await request.text() : '';
  return new Response(`${request.method} ${url.pathname}${body ? ` with "${body}"` : ''} served by a wasi:http component\n`, {
    headers: { 'content-type': 'text/plain; charset=utf-8', 'x-served-by': 'wasi-http' },
  });
}
