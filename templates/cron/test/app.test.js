import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { eventually, startApp } from './spindle-app.js';

let app;
before(async () => (app = await startApp()));
after(() => app?.stop());

test('the job runs on its schedule', async () => {
  const runs = await eventually(async () => {
    const body = await (await fetch(`${app.url}/runs`)).json();
    return body.count > 0 && body;
  });
  assert.ok(!Number.isNaN(Date.parse(runs.last)), `the last run's time: ${runs.last}`);
});
