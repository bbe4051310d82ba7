import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, startApp } from './spindle-app.js';

let app;
before(async () => (app = await startApp()));
after(() => app?.stop());

test('a published message reaches the listener', async () => {
  const published = await fetch(`${app.url}/messages`, { method: 'POST', body: 'hello pub/sub' });
  assert.equal(published.status, 202);
  const inbox = await eventually(async () => {
    const messages = await (await fetch(`${app.url}/messages`)).json();
    return messages.length > 0 && messages;
  });
  assert.deepEqual(inbox, ['hello pub/sub']);
});
