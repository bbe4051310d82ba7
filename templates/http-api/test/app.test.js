import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { startApp } from './spindle-app.js';

let app;
before(async () => (app = await startApp()));
after(() => app?.stop());

test('stores, reads, lists and removes an item', async () => {
  const put = await fetch(`${app.url}/items/7`, { method: 'PUT', body: JSON.stringify({ name: 'tea' }) });
  assert.equal(put.status, 200);
  assert.deepEqual(await (await fetch(`${app.url}/items/7`)).json(), { name: 'tea' });
  assert.deepEqual(await (await fetch(`${app.url}/items`)).json(), ['7']);
  assert.equal((await fetch(`${app.url}/items/7`, { method: 'DELETE' })).status, 204);
  assert.equal((await fetch(`${app.url}/items/7`)).status, 404);
});

test('refuses an item without a name', async () => {
  const res = await fetch(`${app.url}/items/8`, { method: 'PUT', body: '{}' });
  assert.equal(res.status, 400);
});
