// A fetch handler for the wasi:http/proxy world: a Request in, a Response out.
addEventListener('fetch', (event) => {
  const fetchEvent = event as FetchEvent;
  fetchEvent.respondWith(respond(fetchEvent.request));
});

async function respond(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (request.method === 'POST') {
    return Response.json({ path: url.pathname, received: await request.text() }, { status: 201 });
  }
  return new Response(`Hello from ${url.pathname}\n`, { headers: { 'content-type': 'text/plain; charset=utf-8' } });
}
