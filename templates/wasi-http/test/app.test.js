import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApp } from './spindle-app.js';

let app;
before(async () => (app = await startApp()));
after(() => app?.stop());

test('answers GET and POST', async () => {
  const res = await fetch(`${app.url}/hello`);
  assert.equal(res.status, 200);
  assert.equal(await res.text(), 'Hello from /hello\n');
  const posted = await fetch(`${app.url}/notes`, { method: 'POST', body: 'hi' });
  assert.equal(posted.status, 201);
  assert.deepEqual(await posted.json(), { path: '/notes', received: 'hi' });
});
