addEventListener('fetch', (event) => event.respondWith(new Response('hello world', { headers: { 'content-type': 'text/plain' } })));
