/**
 * The handler SDK inside a real component: typed event views, reply helpers, and thrown
 * errors that fail an event as `retry-later` or `give-up` without trapping the instance.
 * Also: its `spindle:app/*` declarations are what jco generates from the WIT today.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { App } from '../src/app.js';
import { GUEST_TYPES_DIR, generateGuestTypes } from '../src/build/guest-types.js';
import { startBuiltApp, waitFor, type BuiltApp } from './support/harness.js';

const FIXTURE_DIR = fileURLToPath(new URL('../../test/fixtures/sdk/', import.meta.url));
const FIXTURE = join(FIXTURE_DIR, 'spindle.toml');
const TSC = fileURLToPath(new URL('../../node_modules/.bin/tsc', import.meta.url));

describe('the handler SDK', () => {
  let built: BuiltApp;
  let app: App;
  let url: string;
  let logs: BuiltApp['logs'];
  const failureOf = (res: Response) => built.failureOf(res);

  before(async () => {
    built = await startBuiltApp(FIXTURE);
    ({ app, url, logs } = built);
  });
  after(() => app?.stop());

  it('gives a handler the HTTP request parsed, and answers with the reply helpers', async () => {
    const res = await fetch(`${url}/sdk/echo?name=Ada`, { method: 'POST', headers: { 'x-test': 'yes' }, body: 'hi' });
    assert.equal(res.status, 201);
    assert.equal(res.headers.get('content-type'), 'application/json');
    assert.deepEqual(await res.json(), { method: 'POST', name: 'Ada', header: 'yes', body: 'hi' });
    assert.deepEqual(await (await fetch(`${url}/users/42`)).json(), { id: '42' });
    assert.deepEqual(await (await fetch(`${url}/sdk/json`, { method: 'POST', body: '{"a":[1]}' })).json(), { a: [1] });
    assert.equal((await fetch(`${url}/sdk/nothing`)).status, 204);
  });

  it('reaches key-value through the SDK, with numbers for counters', async () => {
    const first = Number(await (await fetch(`${url}/sdk/store`)).text());
    assert.equal(Number(await (await fetch(`${url}/sdk/store`)).text()), first + 1);
  });

  it('fails an event by what was thrown, and the instance keeps serving', async () => {
    const before = Number(await (await fetch(`${url}/sdk/count`)).text());
    const cases: Array<[string, string]> = [
      ['/sdk/retry', 'retry-later'],
      ['/sdk/give-up', 'give-up'],
      ['/sdk/throw', 'retry-later'],
      ['/sdk/denied', 'give-up'],
      ['/sdk/async', 'give-up'],
    ];
    for (const [path, kind] of cases) {
      const res = await fetch(`${url}${path}`);
      assert.equal(res.status, 500, path);
      await res.arrayBuffer();
      assert.equal(failureOf(res), kind, path);
    }
    const invalid = await fetch(`${url}/sdk/json`, { method: 'POST', body: 'not json' });
    assert.equal(failureOf(invalid), 'give-up', 'data that is not JSON');
    const after = Number(await (await fetch(`${url}/sdk/count`)).text());
    assert.equal(after, before + cases.length + 2, 'the same instance served every event: nothing trapped');
    assert.ok(logs.some((l) => l.failure === 'retry-later' && String(l.msg).includes('Error: blew up')), 'an unexpected error\'s message reaches the log');
  });

  it('shows a queue job its attempt, and retries it on RetryLater', async () => {
    await app.broker.enqueue('jobs', new TextEncoder().encode('{"n":7}'));
    await waitFor(async () => (await app.broker.jobCounts('jobs')).completed === 1, 10_000, 'the job to complete');
    const [job] = await app.broker.completedJobs('jobs');
    assert.deepEqual(JSON.parse(new TextDecoder().decode(job!.returnValue)), { attempt: 3, job: 7 });
  });
});

describe('the SDK\'s declarations of spindle:app imports', () => {
  it('type-check a handler under a project\'s settings (the fixture, with the templates\' tsconfig)', () => {
    const tsc = spawnSync(TSC, ['-p', join(FIXTURE_DIR, 'tsconfig.json')], { encoding: 'utf8' });
    assert.equal(tsc.status, 0, tsc.stdout + tsc.stderr);
  });

  it('are what jco generates from wit/spindle.wit (node dist/src/build/guest-types.js rewrites them)', async () => {
    for (const [path, text] of await generateGuestTypes()) {
      const committed = await readFile(join(GUEST_TYPES_DIR, path), 'utf8').catch(() => '(missing)');
      assert.equal(committed, text, `sdk/wit/${path} differs from the WIT`);
    }
  });
});
