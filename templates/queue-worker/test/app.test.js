import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, startApp } from './spindle-app.js';

let app;
before(async () => (app = await startApp()));
after(() => app?.stop());

test('works an enqueued job and serves its result', async () => {
  const submitted = await fetch(`${app.url}/jobs`, { method: 'POST', body: JSON.stringify({ text: 'hello queue' }) });
  assert.equal(submitted.status, 202);
  const { id } = await submitted.json();
  const result = await eventually(async () => {
    const res = await fetch(`${app.url}/jobs/${id}`);
    return res.status === 200 && res.json();
  });
  assert.deepEqual(result, { text: 'HELLO QUEUE', words: 2, attempt: 1 });
});
